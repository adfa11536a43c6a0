#!/usr/bin/env bash
# CPU profile of one gateway build on two routes: where route A's CPU per call goes, and how much
# more (or less) each part costs than on route B.
#
#   bench/profile.sh app.jar                       # LLM route (A) against plain route (B)
#   ROUTE_B=llm bench/profile.sh app.jar           # one route twice: how far two profiles differ
#   ARGS=--llm-gateway.access-log.enabled=false bench/profile.sh app.jar   # arguments of the one JVM
#
# One gateway JVM is pinned to PROXY_CORE, the upstream and wrk to LOAD_CORE (as in ab.sh). The JVM
# starts with async-profiler loaded but idle; after WARMUP_SECONDS of load on each route (in
# turns), each route is loaded for PROFILE_SECONDS with the profiler on (itimer, so it works in a
# VM without perf events). Per route it prints requests/s and the process's CPU time per call, and
# writes the collapsed stacks; then profile-diff.js sets them side by side by the innermost Java
# frame's package (and class, for java.*), scaled to the measured CPU per call. itimer samples at the kernel's tick,
# so the profile gives shares, and the scale comes from /proc.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
JAR=${1:?usage: bench/profile.sh app.jar}
ROUTE_A=${ROUTE_A:-llm}
ROUTE_B=${ROUTE_B:-plain}
ARGS=${ARGS:-}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:--Xms256m -Xmx256m}
WARMUP_SECONDS=${WARMUP_SECONDS:-210}           # per route, in steps of 30 s taken in turn
PROFILE_SECONDS=${PROFILE_SECONDS:-60}
CONNS=${CONNS:-32}
LOAD_CORE=${LOAD_CORE:-0}
PROXY_CORE=${PROXY_CORE:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18100}
PORT=${PORT:-18102}
ASYNC_PROFILER_VERSION=${ASYNC_PROFILER_VERSION:-4.1}   # tools.profiler:async-profiler on Maven Central
OUT=${OUT:-$BENCH_DIR/out/profile}

for tool in node java jcmd taskset wrk curl unzip; do
  command -v "$tool" >/dev/null || { echo "profile.sh: $tool not found (bench/run.sh installs wrk)" >&2; exit 1; }
done
[ -f "$JAR" ] || { echo "profile.sh: $JAR not found" >&2; exit 1; }
mkdir -p "$OUT"

case "$(uname -m)" in
  x86_64) platform=linux-x64 ;;
  aarch64) platform=linux-arm64 ;;
  *) echo "profile.sh: no async-profiler build for $(uname -m)" >&2; exit 1 ;;
esac
LIB=$OUT/async-profiler-$ASYNC_PROFILER_VERSION/$platform/libasyncProfiler.so
if [ ! -f "$LIB" ]; then
  "$BENCH_DIR/../mvnw" -q dependency:copy -Dartifact="tools.profiler:async-profiler:$ASYNC_PROFILER_VERSION" \
    -DoutputDirectory="$OUT" || { echo "profile.sh: could not fetch async-profiler from Maven" >&2; exit 1; }
  unzip -q -o "$OUT/async-profiler-$ASYNC_PROFILER_VERSION.jar" "$platform/*" -d "$OUT/async-profiler-$ASYNC_PROFILER_VERSION"
fi

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

PORT=$UPSTREAM_PORT taskset -c "$LOAD_CORE" node "$BENCH_DIR/upstream.js" >"$OUT/upstream.log" 2>&1 &
PIDS+=($!)
# shellcheck disable=SC2086
BENCH_UPSTREAM_PORT=$UPSTREAM_PORT taskset -c "$PROXY_CORE" java $GATEWAY_JAVA_OPTS -agentpath:"$LIB" \
  -jar "$JAR" --server.port="$PORT" --spring.config.additional-location="file:$BENCH_DIR/gateway-bench.yml" \
  $ARGS >"$OUT/gateway.log" 2>&1 &
PIDS+=($!)
GATEWAY_PID=$!
for _ in $(seq 1 120); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/actuator/health" && break
  sleep 1
done
curl -s -o /dev/null "http://127.0.0.1:$PORT/actuator/health" || { echo "profile.sh: gateway did not start" >&2; exit 1; }

load() { # route seconds -> "requests requests/s", as wrk counted them
  taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNS" -d"$2"s -s "$BENCH_DIR/post.lua" \
    "http://127.0.0.1:$PORT/$1/v1/chat/completions" |
    awk '/ requests in / {n = $1} /^Requests\/sec/ {r = $2} END {print n, r}'
}
cpu_ticks() { awk '{print $14+$15}' "/proc/$GATEWAY_PID/stat"; }
profiler() { # the option string is quoted once more: jcmd would read "a,b=c" as an option named "a,b"
  jcmd "$GATEWAY_PID" JVMTI.agent_load "$LIB" "\"$1\"" | grep -q 'return code: 0' \
    || { echo "profile.sh: async-profiler refused '$1' (see $OUT/gateway.log)" >&2; exit 1; }
}

echo "warming up (${WARMUP_SECONDS}s per route, in turns)"
for _ in $(seq 1 $(((WARMUP_SECONDS + 29) / 30))); do
  load "$ROUTE_A" 30 >/dev/null
  load "$ROUTE_B" 30 >/dev/null
done

ticks_per_second=$(getconf CLK_TCK)
args=()
for side in a b; do
  if [ $side = a ]; then route=$ROUTE_A; else route=$ROUTE_B; fi
  file=$OUT/$side-$route.collapsed
  profiler "start,event=itimer"
  before=$(cpu_ticks)   # read around wrk alone: the attach and the dump of the stacks stay out
  read -r calls rate < <(load "$route" "$PROFILE_SECONDS")
  after=$(cpu_ticks)
  profiler "stop,collapsed,file=$file"
  cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$calls" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  echo "/$route: $calls calls, $rate req/s, CPU per call $cpu_us us (profiler on), stacks in $file"
  args+=("$file" "$cpu_us")
done
node "$BENCH_DIR/profile-diff.js" "${args[@]}"
