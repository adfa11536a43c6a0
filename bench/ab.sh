#!/usr/bin/env bash
# A/B of two gateway builds (or one build with two sets of arguments): CPU and heap per call.
#
#   bench/ab.sh A.jar B.jar [route]            # route: llm (default) or plain
#   ARGS_B=--llm-gateway.access-log.enabled=false bench/ab.sh A.jar A.jar
#   JAVA_OPTS_B="-Xms256m -Xmx256m -Dsome.property=x" bench/ab.sh A.jar A.jar
#   ROUTE_A=llm ROUTE_B=plain bench/ab.sh A.jar A.jar   # what the LLM layer costs over a plain route
#
# Both gateways run at once, pinned to the same core (PROXY_CORE), with the upstream and wrk on
# LOAD_CORE. After a warm-up of both, they are loaded in turn for ROUNDS rounds of ROUND_SECONDS
# each, A then B. The host's drift over a round hits both alike, which single runs of one JVM
# after another do not give: on this project's VM those moved by 15-30 % from run to run. Per
# round it prints requests/s, the process's CPU time per call (utime + stime from /proc) and the
# heap allocated per call (jstat: eden used plus young collections times eden capacity, exact for
# the Serial collector a one-core JVM gets). At the end: medians, and in how many rounds A used
# less CPU per call than B. Run it with A and B swapped too: an A/A run (one jar against itself)
# differs by about 5 % and splits the rounds about evenly.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
JAR_A=${1:?usage: bench/ab.sh A.jar B.jar [route]}
JAR_B=${2:?usage: bench/ab.sh A.jar B.jar [route]}
ROUTE=${3:-llm}
ROUTE_A=${ROUTE_A:-$ROUTE}                    # per side, e.g. the plain route against the LLM route
ROUTE_B=${ROUTE_B:-$ROUTE}
ROUNDS=${ROUNDS:-8}
ROUND_SECONDS=${ROUND_SECONDS:-6}
WARMUP_SECONDS=${WARMUP_SECONDS:-60}          # per gateway, in three steps taken in turn
CONNS=${CONNS:-32}
LOAD_CORE=${LOAD_CORE:-0}
PROXY_CORE=${PROXY_CORE:-1}
UPSTREAM_PORT=${UPSTREAM_PORT:-18100}
PORT_A=${PORT_A:-18102}
PORT_B=${PORT_B:-18104}
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:--Xms256m -Xmx256m}
JAVA_OPTS_A=${JAVA_OPTS_A:-$GATEWAY_JAVA_OPTS}   # per side, e.g. to compare one system property
JAVA_OPTS_B=${JAVA_OPTS_B:-$GATEWAY_JAVA_OPTS}
ARGS_A=${ARGS_A:-}
ARGS_B=${ARGS_B:-}
OUT=${OUT:-$BENCH_DIR/out/ab}

for tool in node java jstat taskset wrk curl; do
  command -v "$tool" >/dev/null || { echo "ab.sh: $tool not found (bench/run.sh installs wrk)" >&2; exit 1; }
done
[ -f "$JAR_A" ] && [ -f "$JAR_B" ] || { echo "ab.sh: jar not found" >&2; exit 1; }
mkdir -p "$OUT"

# shellcheck source=bench/pinned-gateways.sh
. "$BENCH_DIR/pinned-gateways.sh"
start_upstream
start_gateway "$JAR_A" "$PORT_A" "$ARGS_A" "$OUT/gateway-a.log" "$JAVA_OPTS_A"; PID_A=$GATEWAY_PID
start_gateway "$JAR_B" "$PORT_B" "$ARGS_B" "$OUT/gateway-b.log" "$JAVA_OPTS_B"; PID_B=$GATEWAY_PID
await_gateway "$PORT_A"
await_gateway "$PORT_B"

heap_kb() { # pid: KB allocated so far (jstat reports KB)
  jstat -gc "$1" | awk 'NR==1{for(i=1;i<=NF;i++)c[$i]=i} NR==2{printf "%.0f", $c["EU"]+$c["YGC"]*$c["EC"]}'
}
ticks_per_second=$(getconf CLK_TCK)

echo "warming both gateways up (${WARMUP_SECONDS}s each, in turns)"
for _ in 1 2 3; do
  load "$PORT_A" $((WARMUP_SECONDS / 3)) "$ROUTE_A" >/dev/null
  load "$PORT_B" $((WARMUP_SECONDS / 3)) "$ROUTE_B" >/dev/null
done

ROWS="$OUT/rounds.txt"
: >"$ROWS"
printf '%-5s %-4s %10s %14s %12s\n' round side 'req/s' 'CPU us/call' 'heap KB/call'
for round in $(seq 1 "$ROUNDS"); do
  for side in A B; do
    if [ "$side" = A ]; then pid=$PID_A; port=$PORT_A; route=$ROUTE_A; else pid=$PID_B; port=$PORT_B; route=$ROUTE_B; fi
    heap0=$(heap_kb "$pid"); cpu0=$(cpu_ticks "$pid")
    result=$(load "$port" "$ROUND_SECONDS" "$route")
    heap1=$(heap_kb "$pid"); cpu1=$(cpu_ticks "$pid")
    calls=$(echo "$result" | awk '/requests in/{print $1}')
    rps=$(echo "$result" | awk '/Requests\/sec/{print $2}')
    row=$(awk -v c0="$cpu0" -v c1="$cpu1" -v h0="$heap0" -v h1="$heap1" -v n="$calls" -v hz="$ticks_per_second" \
      'BEGIN{printf "%.0f %.1f", (c1-c0)*1e6/hz/n, (h1-h0)/n}')
    echo "$side $rps $row" >>"$ROWS"
    printf '%-5s %-4s %10s %14s %12s\n' "$round" "$side" "$rps" ${row}
  done
done

python3 - "$ROWS" "$JAVA_OPTS_A $JAR_A $ARGS_A /$ROUTE_A" "$JAVA_OPTS_B $JAR_B $ARGS_B /$ROUTE_B" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for side, name in (('A', sys.argv[2]), ('B', sys.argv[3])):
    r = [x for x in rows if x[0] == side]
    rps = [float(x[1]) for x in r]; cpu = [float(x[2]) for x in r]; heap = [float(x[3]) for x in r]
    print(f"{side} ({name.strip()}): req/s median {statistics.median(rps):.0f}, CPU per call median "
          f"{statistics.median(cpu):.0f} us (min {min(cpu):.0f}), heap per call median {statistics.median(heap):.1f} KB")
pairs = [(float(rows[i][2]), float(rows[i + 1][2])) for i in range(0, len(rows) - 1, 2)]
print(f"rounds where A used less CPU per call than B: {sum(1 for a, b in pairs if a < b)} of {len(pairs)}")
PY
