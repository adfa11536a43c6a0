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
# frame, scaled to the measured CPU per call: itimer samples at the kernel's tick, so a profile
# gives shares, and the scale comes from /proc.
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

# shellcheck source=bench/pinned-gateways.sh
. "$BENCH_DIR/pinned-gateways.sh"
start_upstream
start_gateway "$JAR" "$PORT" "$ARGS" "$OUT/gateway.log" "$GATEWAY_JAVA_OPTS -agentpath:$LIB"
await_gateway "$PORT"

calls_and_rate() { # route seconds -> "requests requests/s", as wrk counted them
  load "$PORT" "$2" "$1" | awk '/ requests in / {n = $1} /^Requests\/sec/ {r = $2} END {print n, r}'
}
profiler() { # the option string is quoted once more: jcmd would read "a,b=c" as an option named "a,b"
  local answer
  answer=$(jcmd "$GATEWAY_PID" JVMTI.agent_load "$LIB" "\"$1\"")
  [[ $answer == *'return code: 0'* ]] \
    || { echo "profile.sh: async-profiler refused '$1' (see $OUT/gateway.log)" >&2; exit 1; }
}

echo "warming up (${WARMUP_SECONDS}s per route, in turns)"
for _ in $(seq 1 $(((WARMUP_SECONDS + 29) / 30))); do
  load "$PORT" 30 "$ROUTE_A" >/dev/null
  load "$PORT" 30 "$ROUTE_B" >/dev/null
done

ticks_per_second=$(getconf CLK_TCK)
args=()
for side in a b; do
  if [ $side = a ]; then route=$ROUTE_A; else route=$ROUTE_B; fi
  file=$OUT/$side-$route.collapsed
  profiler "start,event=itimer"
  before=$(cpu_ticks "$GATEWAY_PID")   # around wrk alone: the attach and the dump stay out
  read -r calls rate < <(calls_and_rate "$route" "$PROFILE_SECONDS")
  after=$(cpu_ticks "$GATEWAY_PID")
  profiler "stop,collapsed,file=$file"
  [ "${calls:-0}" -gt 0 ] || { echo "profile.sh: wrk counted no calls on /$route" >&2; exit 1; }
  cpu_us=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$calls" 'BEGIN {printf "%.1f", t / hz * 1e6 / n}')
  echo "/$route: $calls calls, $rate req/s, CPU per call $cpu_us us (profiler on), stacks in $file"
  args+=("$file" "$cpu_us")
done
node "$BENCH_DIR/profile-diff.js" "${args[@]}"
