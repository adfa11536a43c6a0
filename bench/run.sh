#!/usr/bin/env bash
# Benchmark harness for llm-gateway. See bench/README.md.
#
#   bench/run.sh          full run: direct, nginx, stock Spring Cloud Gateway, gateway plain route,
#                         gateway LLM route
#   bench/run.sh soak     bounded soak against the gateway LLM route (nginx when no GATEWAY_JAR)
#
# Everything below can be overridden from the environment, e.g.
#   GATEWAY_JAR=target/llm-gateway-0.1.0-SNAPSHOT.jar WARMUP=5 DURATION=10 bench/run.sh
set -euo pipefail

# ---- what is measured ---------------------------------------------------------------------------
GATEWAY_JAR=${GATEWAY_JAR:-}                       # unset: gateway rows are skipped
GATEWAY_JAVA_OPTS=${GATEWAY_JAVA_OPTS:--Xms256m -Xmx256m}
GATEWAY_ARGS=${GATEWAY_ARGS:-}                     # extra --key=value arguments for the gateway
GATEWAY_START_TIMEOUT=${GATEWAY_START_TIMEOUT:-120} # seconds
STOCK=${STOCK:-1}                                  # 1: also measure a default Spring Cloud Gateway app (bench/stock-scg)
STOCK_JAR=${STOCK_JAR:-}                           # unset: built from bench/stock-scg with the repo's mvnw
# A JVM is measured once it is warm: 5 s windows of JSON load until three in a row agree within
# JVM_WARMUP_SPREAD (at least JVM_WARMUP_MIN, at most JVM_WARMUP_MAX seconds per route), then
# streams for a while.
JVM_WARMUP_SPREAD=${JVM_WARMUP_SPREAD:-0.10}
JVM_WARMUP_MIN=${JVM_WARMUP_MIN:-40}
JVM_WARMUP_MAX=${JVM_WARMUP_MAX:-240}
JVM_STREAM_WARMUP=${JVM_STREAM_WARMUP:-10}

UPSTREAM_PORT=${UPSTREAM_PORT:-18000}
NGINX_PORT=${NGINX_PORT:-18001}
GATEWAY_PORT=${GATEWAY_PORT:-18002}
STOCK_PORT=${STOCK_PORT:-18003}

# Core pinning (2 cores): upstream + load generators on LOAD_CORE, the proxy under test alone on
# PROXY_CORE. Set PIN=0 to run unpinned.
PIN=${PIN:-1}
LOAD_CORE=${LOAD_CORE:-0}
PROXY_CORE=${PROXY_CORE:-1}

WARMUP=${WARMUP:-10}                 # seconds of load thrown away before each measurement
DURATION=${DURATION:-15}             # seconds measured
CONNS=${CONNS:-"32 128"}             # wrk connections, non-streaming
STREAMS=${STREAMS:-"32 128"}         # concurrent streams, streaming
STREAM_CHUNKS=${STREAM_CHUNKS:-20}
STREAM_DELAY_MS=${STREAM_DELAY_MS:-20}
MEMORY=${MEMORY:-1}                  # 0: skip the RSS and heap measurements
HOLD_STREAMS=${HOLD_STREAMS:-1000}   # streams held open for the RSS measurement
HOLD_SETTLE=${HOLD_SETTLE:-3}        # seconds to wait with all streams open before reading RSS
LONG_CHUNKS=${LONG_CHUNKS:-100000}   # the one long stream of the heap test
LONG_BATCH=${LONG_BATCH:-1000}       # chunks per upstream tick
LONG_DELAY_MS=${LONG_DELAY_MS:-100}  # ms between ticks: 100000/1000*100ms = ~10 s

SOAK_SECONDS=${SOAK_SECONDS:-180}
SOAK_CONCURRENCY=${SOAK_CONCURRENCY:-64}
SOAK_STREAM_FRAC=${SOAK_STREAM_FRAC:-0.5}
SOAK_FAIL_FRAC=${SOAK_FAIL_FRAC:-0.05}   # upstream answers 500
SOAK_RESET_FRAC=${SOAK_RESET_FRAC:-0.02} # upstream cuts the stream mid-way

# ---- targets ------------------------------------------------------------------------------------
T_FULL_VS_STOCK=${T_FULL_VS_STOCK:-1.0}     # full telemetry req/s >= x * stock Spring Cloud Gateway req/s
T_FULL_VS_DIRECT=${T_FULL_VS_DIRECT:-0.33}  # full telemetry req/s >= x * direct req/s
T_TTFC_P50_MS=${T_TTFC_P50_MS:-2}           # added TTFC over direct at 128 streams
T_TTFC_P99_MS=${T_TTFC_P99_MS:-5}
T_RSS_MB=${T_RSS_MB:-512}                   # RSS with HOLD_STREAMS open streams
T_HEAP_GROWTH_MB=${T_HEAP_GROWTH_MB:-8}     # heap after GC may grow at most this across the long stream

MODE=${1:-bench}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$BENCH_DIR/out}
RAW=$OUT/raw
RESULTS=$OUT/results.md
export BENCH_UPSTREAM_PORT=$UPSTREAM_PORT

# ---- helpers ------------------------------------------------------------------------------------
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
calc() { awk "BEGIN { v = $1; printf \"%.${2:-2}f\", v }"; }   # calc EXPR [decimals]
ge() { awk "BEGIN { exit !(($1) >= ($2)) }"; }                  # ge A B: A >= B
le() { awk "BEGIN { exit !(($1) <= ($2)) }"; }
# Command prefixes (arrays, not functions, so that "$!" of a background job is the real process).
PIN_LOAD=(); PIN_PROXY=()
set_pinning() {
  if [ "$PIN" = 1 ]; then PIN_LOAD=(taskset -c "$LOAD_CORE"); PIN_PROXY=(taskset -c "$PROXY_CORE"); fi
}

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_tools() {
  local missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v nginx >/dev/null || missing+=(nginx)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian (apt-get)"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    # Do not let the nginx package start the system-wide service.
    local policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
      $sudo chmod +x /usr/sbin/policy-rc.d; policy_added=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { $sudo apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive \
             $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
    [ $policy_added = 1 ] && $sudo rm -f /usr/sbin/policy-rc.d
  fi
  for t in node java taskset ss curl wrk nginx; do command -v $t >/dev/null || die "$t not found"; done
  if [ -n "$GATEWAY_JAR" ]; then
    [ -f "$GATEWAY_JAR" ] || die "GATEWAY_JAR=$GATEWAY_JAR does not exist"
    command -v jcmd >/dev/null || log "jcmd not found: heap via /actuator/metrics instead"
  fi
  [ "$PIN" = 1 ] && [ "$(nproc --all)" -lt 2 ] && { log "fewer than 2 cores: running unpinned"; PIN=0; }
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  [ "$(ulimit -n)" -ge $((HOLD_STREAMS * 2 + 100)) ] || log "WARNING: ulimit -n $(ulimit -n) is low for $HOLD_STREAMS streams"
}

port_free() { ! ss -Hltn "( sport = :$1 )" | grep -q .; }

wait_http() { # wait_http URL TIMEOUT_S [PID]: any HTTP status counts
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$1" || true)" != 000 ] && return 0
    sleep 0.2
  done
  return 1
}

smoke() { # smoke URL: a JSON and a streaming request must both answer 200 with usage / [DONE]
  local j s
  j=$(curl -s -m 10 -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$1" || true)
  s=$(curl -sN -m 10 -H 'content-type: application/json' -H 'x-bench-chunks: 3' -H 'x-bench-delay-ms: 1' \
      -d '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}' "$1" || true)
  [[ "$j" == *'"usage"'* ]] && [[ "$s" == *'data: [DONE]'* ]] && [[ "$s" == *'"total_tokens"'* ]]
}

start_upstream() {
  port_free "$UPSTREAM_PORT" || die "port $UPSTREAM_PORT busy (set UPSTREAM_PORT)"
  PORT=$UPSTREAM_PORT STREAM_CHUNKS=$STREAM_CHUNKS STREAM_DELAY_MS=$STREAM_DELAY_MS \
    "${PIN_LOAD[@]}" node "$BENCH_DIR/upstream.js" >"$RAW/upstream.log" 2>&1 &
  UPSTREAM_PID=$!; PIDS+=("$UPSTREAM_PID")
  wait_http "http://127.0.0.1:$UPSTREAM_PORT/_stats" 10 "$UPSTREAM_PID" || die "upstream did not start"
}

start_nginx() {
  port_free "$NGINX_PORT" || die "port $NGINX_PORT busy (set NGINX_PORT)"
  local prefix=$OUT/nginx
  mkdir -p "$prefix"
  sed -e "s#@PREFIX@#$prefix#g" -e "s#@NGINX_PORT@#$NGINX_PORT#g" -e "s#@UPSTREAM_PORT@#$UPSTREAM_PORT#g" \
    "$BENCH_DIR/nginx.conf.in" >"$prefix/nginx.conf"
  "${PIN_PROXY[@]}" nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/nginx-error.log" >"$RAW/nginx.log" 2>&1 &
  NGINX_PID=$!; PIDS+=("$NGINX_PID")
  wait_http "http://127.0.0.1:$NGINX_PORT/_stats" 10 "$NGINX_PID" || die "nginx did not start (see $RAW/nginx.log)"
}

stop_pid() { # stop_pid PID: TERM, wait up to 30 s, then KILL
  local i
  kill "$1" 2>/dev/null || return 0
  for ((i = 0; i < 150; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$1" 2>/dev/null || true
}

start_jvm() { # start_jvm NAME PORT LOG PROBE_PATH JAR [ARG...]: the JVM on the proxy core; sets JVM_PID
  local name=$1 port=$2 logf=$3 probe=$4 jar=$5
  shift 5
  port_free "$port" || die "port $port busy (see the *_PORT settings)"
  # shellcheck disable=SC2086
  "${PIN_PROXY[@]}" java $GATEWAY_JAVA_OPTS -jar "$jar" --server.port="$port" "$@" >"$logf" 2>&1 &
  JVM_PID=$!; PIDS+=("$JVM_PID")
  log "$name starting (pid $JVM_PID, log $logf)"
  wait_http "http://127.0.0.1:$port$probe" "$GATEWAY_START_TIMEOUT" "$JVM_PID" \
    || die "$name did not start within ${GATEWAY_START_TIMEOUT}s (see $logf)"
}

start_gateway() {
  # shellcheck disable=SC2086
  start_jvm gateway "$GATEWAY_PORT" "$OUT/gateway.log" /actuator/health "$GATEWAY_JAR" \
    --spring.config.additional-location="file:$BENCH_DIR/gateway-bench.yml" $GATEWAY_ARGS
  GATEWAY_PID=$JVM_PID
}

build_stock() {
  [ -n "$STOCK_JAR" ] && { [ -f "$STOCK_JAR" ] || die "STOCK_JAR=$STOCK_JAR does not exist"; return; }
  STOCK_JAR=$BENCH_DIR/stock-scg/target/stock-scg.jar
  log "building the stock Spring Cloud Gateway app (bench/stock-scg)"
  "$BENCH_DIR/../mvnw" -B -q -ntp -f "$BENCH_DIR/stock-scg/pom.xml" package >"$RAW/stock-build.log" 2>&1 \
    || die "building bench/stock-scg failed (see $RAW/stock-build.log)"
}

start_stock() { # no actuator there: any HTTP answer on / means it is up
  start_jvm "stock Spring Cloud Gateway" "$STOCK_PORT" "$RAW/stock.log" / "$STOCK_JAR"
  STOCK_PID=$JVM_PID
}

warm_jvm() { # warm_jvm TARGET: JIT warm-up until the JSON rate stops climbing, then streams
  local t=$1 url=${URL[$1]} i cur ws=""
  local -a last=()
  for ((i = 1; i * 5 <= JVM_WARMUP_MAX; i++)); do
    cur=$("${PIN_LOAD[@]}" wrk -t1 -c32 -d5s -s "$BENCH_DIR/post.lua" "$url" 2>/dev/null | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
    cur=${cur:-0}; ws="$ws $cur"; last=("${last[@]: -2}" "$cur")
    if [ $((i * 5)) -ge "$JVM_WARMUP_MIN" ] && [ ${#last[@]} = 3 ] && awk -v a="${last[0]}" -v b="${last[1]}" -v c="${last[2]}" -v s="$JVM_WARMUP_SPREAD" \
      'BEGIN { lo = a; hi = a; if (b < lo) lo = b; if (c < lo) lo = c; if (b > hi) hi = b; if (c > hi) hi = c; exit !(lo > 0 && hi <= lo * (1 + s)) }'; then
      break
    fi
  done
  R[warm,$t]="$((i * 5 > JVM_WARMUP_MAX ? JVM_WARMUP_MAX : i * 5)) s"
  log "  warm-up $t: JSON req/s per 5 s window:$ws"
  "${PIN_LOAD[@]}" node "$BENCH_DIR/client.js" stream --url "$url" --concurrency 32 --warmup 0 \
    --duration "$JVM_STREAM_WARMUP" --chunks 5 --delay 1 >/dev/null 2>&1 || true
}

rss_mb() { # rss_mb PID: RSS of the process and its children, MB
  local total=0 p kb
  for p in $1 $(pgrep -P "$1" || true); do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  calc "$total / 1024" 0
}

heap_mb() { # heap_mb PID: live heap in MB, counted in the same safepoint as a full GC
  local used
  # jmap -histo:live collects and counts at once. A separate GC.run then GC.heap_info would also
  # count what a busy stream allocated between the two attaches (tens of MB at 10k events/s).
  if command -v jmap >/dev/null; then
    used=$(jmap -histo:live "$1" 2>/dev/null | awk '/^Total/ { print $3 }')
    if [ -n "$used" ]; then calc "$used / 1048576" 1; return; fi
  fi
  # Fallback: actuator (after a GC request through jcmd when possible)
  used=$(curl -s -m 5 "http://127.0.0.1:$GATEWAY_PORT/actuator/metrics/jvm.memory.used?tag=area:heap" \
    | { grep -oE '"value":[0-9.eE+]+' || true; } | head -1 | cut -d: -f2)
  [ -n "$used" ] && calc "$used / 1048576" 1 || echo "n/a"
}

upstream_conns() { ss -Htn state established "( dport = :$UPSTREAM_PORT )" | wc -l; }
upstream_stat() { json_field "$(curl -s -m 5 "http://127.0.0.1:$UPSTREAM_PORT/_stats" || true)" "$1"; }

wait_streams_drained() { # wait until the upstream has no stream in flight; echoes what is left
  local i n
  for ((i = 0; i < 50; i++)); do n=$(upstream_stat streamsInFlight); [ "${n:-1}" = 0 ] && break; sleep 0.2; done
  echo "${n:-?}"
}

# ---- measurements -------------------------------------------------------------------------------
declare -A R   # results: R[key,target,conc]
TARGETS=()     # names in order
declare -A URL PID_OF LABEL

to_ms() { # wrk latency like 512.00us / 1.20ms / 2.00s -> ms
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

eden_kb() { # eden_kb PID: KB allocated in eden so far, as EU + YGC x EC; only differences mean anything
  # Exact for the Serial collector a JVM pinned to one core gets (a young collection runs when
  # eden is full); approximate for collectors that resize eden. Empty for a process that is no JVM.
  jstat -gc "$1" 2>/dev/null | awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i }
    NR == 2 && col["EU"] { printf "%.0f", $col["EU"] + $col["YGC"] * $col["EC"] }' || true
}

run_wrk() { # run_wrk TARGET CONNS
  local t=$1 c=$2 f="$RAW/wrk-$1-c$2.txt" a0="" a1="" n
  "${PIN_LOAD[@]}" wrk -t1 -c"$c" -d"${WARMUP}s" -s "$BENCH_DIR/post.lua" "${URL[$t]}" >/dev/null 2>&1 || true
  [ -n "${PID_OF[$t]:-}" ] && command -v jstat >/dev/null && a0=$(eden_kb "${PID_OF[$t]}")
  "${PIN_LOAD[@]}" wrk -t1 -c"$c" -d"${DURATION}s" --timeout 10s --latency -s "$BENCH_DIR/post.lua" "${URL[$t]}" >"$f" 2>&1 || true
  [ -n "$a0" ] && a1=$(eden_kb "${PID_OF[$t]}")
  # Heap allocated per request: per-call work that, unlike req/s, does not move with what else
  # the host runs (single runs on a shared VM differ by 30 % in req/s, by a few % in this).
  n=$(awk '/ requests in / { print $1 }' "$f")
  R[alloc,$t,$c]=""
  [ -n "$a1" ] && [ "${n:-0}" -gt 0 ] && R[alloc,$t,$c]=$(calc "($a1 - $a0) / $n" 1)
  R[rps,$t,$c]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$f")
  R[p50,$t,$c]=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")
  R[p99,$t,$c]=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
  local non2xx sock
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$f"); sock=$( (grep 'Socket errors' "$f" || true) | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }' || true)
  R[err,$t,$c]=$(( ${non2xx:-0} + ${sock:-0} ))
  [ -n "${R[rps,$t,$c]}" ] || { R[rps,$t,$c]=0; log "wrk output unreadable: $f"; }
  log "  json   $t c=$c: ${R[rps,$t,$c]} req/s p50 ${R[p50,$t,$c]} ms p99 ${R[p99,$t,$c]} ms errors ${R[err,$t,$c]}${R[alloc,$t,$c]:+ heap ${R[alloc,$t,$c]} KB/req}"
}

json_field() { { grep -oE "\"$2\":[^,}]*" <<<"$1" || true; } | head -1 | cut -d: -f2 | tr -d '"'; }

run_streams() { # run_streams TARGET STREAMS
  local t=$1 c=$2 f="$RAW/stream-$1-c$2.json" line
  "${PIN_LOAD[@]}" node "$BENCH_DIR/client.js" stream --url "${URL[$t]}" --concurrency "$c" --warmup "$WARMUP" \
    --duration "$DURATION" --chunks "$STREAM_CHUNKS" --delay "$STREAM_DELAY_MS" >"$f" 2>&1 || true
  line=$(tail -1 "$f")
  for k in ttfc_p50 ttfc_p99 total_p50 total_p99 streams_per_s errors count; do
    R[$k,$t,$c]=$(json_field "$line" "$k")
  done
  log "  stream $t n=$c: ttfc p50 ${R[ttfc_p50,$t,$c]} p99 ${R[ttfc_p99,$t,$c]} ms, total p50 ${R[total_p50,$t,$c]} p99 ${R[total_p99,$t,$c]} ms, errors ${R[errors,$t,$c]}/${R[count,$t,$c]}"
}

run_hold() { # run_hold TARGET: RSS of the proxy with HOLD_STREAMS streams open
  local t=$1 pid=${PID_OF[$1]} f="$RAW/hold-$1.txt" cpid i
  R[rss_idle,$t]=$(rss_mb "$pid")
  "${PIN_LOAD[@]}" node "$BENCH_DIR/client.js" hold --url "${URL[$t]}" --concurrency "$HOLD_STREAMS" \
    --chunks 1000000 --delay 1000 --hold-max 300 >"$f" 2>&1 &
  cpid=$!; PIDS+=("$cpid")
  for ((i = 0; i < 600; i++)); do grep -q READY "$f" && break; kill -0 $cpid 2>/dev/null || break; sleep 0.2; done
  sleep "$HOLD_SETTLE"
  R[rss_hold,$t]=$(rss_mb "$pid")
  R[hold_ok,$t]=$( (grep -oE 'ok=[0-9]+' "$f" || true) | cut -d= -f2); R[hold_ok,$t]=${R[hold_ok,$t]:-0}
  R[hold_up,$t]=$(upstream_conns)
  kill "$cpid" 2>/dev/null || true; wait "$cpid" 2>/dev/null || true
  R[hold_left,$t]=$(wait_streams_drained)
  log "  hold   $t: RSS idle ${R[rss_idle,$t]} MB, with ${R[hold_ok,$t]}/$HOLD_STREAMS streams open ${R[rss_hold,$t]} MB (upstream conns ${R[hold_up,$t]}; streams still open upstream after close: ${R[hold_left,$t]})"
}

run_long_stream() { # run_long_stream TARGET: heap after GC before / mid / after one long stream
  local t=$1 pid=${PID_OF[$1]} f="$RAW/long-$1.json" cpid half
  R[heap_before]=$(heap_mb "$pid")
  "${PIN_LOAD[@]}" node "$BENCH_DIR/client.js" single --url "${URL[$t]}" --chunks "$LONG_CHUNKS" --batch "$LONG_BATCH" \
    --delay "$LONG_DELAY_MS" >"$f" 2>&1 &
  cpid=$!; PIDS+=("$cpid")
  half=$(calc "$LONG_CHUNKS / $LONG_BATCH * $LONG_DELAY_MS / 2000" 1)
  sleep "$half"
  R[heap_mid]=$(heap_mb "$pid")
  wait "$cpid" 2>/dev/null || true
  R[heap_after]=$(heap_mb "$pid")
  R[long_events]=$(json_field "$(tail -1 "$f")" events); R[long_complete]=$(json_field "$(tail -1 "$f")" complete)
  R[long_ms]=$(json_field "$(tail -1 "$f")" ms)
  log "  long   $t: heap after GC before ${R[heap_before]} MB, mid-stream ${R[heap_mid]} MB, after ${R[heap_after]} MB; ${R[long_events]} events in ${R[long_ms]} ms, complete=${R[long_complete]}"
}

alive() { # alive TARGET: the process behind it must still run
  local p=${PID_OF[$1]:-}
  [ -z "$p" ] || kill -0 "$p" 2>/dev/null || die "$1 (pid $p) exited during the run; see $OUT/gateway.log / $RAW"
}

add_target() { TARGETS+=("$1"); URL[$1]=$2; PID_OF[$1]=${3:-}; LABEL[$1]=$4; }

# ---- report -------------------------------------------------------------------------------------
ratio() { # ratio A B -> A/B or n/a
  if [ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "$2" != 0 ] && [ "$1" != null ] && [ "$2" != null ]; then calc "$1 / $2" 2; else echo n/a; fi
}
diff_ms() { if [ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "$1" != null ] && [ "$2" != null ]; then calc "$1 - $2" 2; else echo n/a; fi; }

CHECKS=()
check() { # check NAME OK? DETAIL
  CHECKS+=("| $1 | $3 | $2 |")
}

report() {
  local t c have_gw=0
  [ -n "${PID_OF[gw-llm]:-}" ] && have_gw=1
  {
    echo "# llm-gateway benchmark"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') · $(nproc --all) cores ·" \
      "pinning: $( [ "$PIN" = 1 ] && echo "upstream+load on core $LOAD_CORE, proxy on core $PROXY_CORE" || echo off) ·" \
      "warm-up ${WARMUP}s, measure ${DURATION}s · stream: $STREAM_CHUNKS chunks ${STREAM_DELAY_MS} ms apart"
    echo
    echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) — above ~1 means other jobs shared the cores."
    echo
    echo "Versions: node $(node --version), $(nginx -v 2>&1 | sed 's#.*/#nginx #'), $(wrk -v 2>&1 | head -1 | awk '{print "wrk " $2}'), java $(java -version 2>&1 | head -1 | awk -F'"' '{print $2}')${GATEWAY_JAR:+, gateway $(basename "$GATEWAY_JAR") ($GATEWAY_JAVA_OPTS)}"
    if [ $have_gw = 0 ]; then echo; echo "**Gateway rows skipped: GATEWAY_JAR is not set.**"; fi
    echo
    echo "JVM warm-up before measuring (see README): $(for t in "${TARGETS[@]}"; do [ -n "${R[warm,$t]:-}" ] && printf '%s %s; ' "${LABEL[$t]}" "${R[warm,$t]}"; done)"
    echo
    echo "## Non-streaming (wrk, POST JSON)"
    echo
    echo "| target | conns | req/s | p50 ms | p99 ms | errors | JVM heap allocated KB/req |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    for t in "${TARGETS[@]}"; do for c in $CONNS; do
      echo "| ${LABEL[$t]} | $c | ${R[rps,$t,$c]:-} | ${R[p50,$t,$c]:-} | ${R[p99,$t,$c]:-} | ${R[err,$t,$c]:-} | ${R[alloc,$t,$c]:-} |"
    done; done
    echo
    echo "## Streaming (SSE, $STREAM_CHUNKS chunks ${STREAM_DELAY_MS} ms apart; TTFC = first byte of the first data: event)"
    echo
    echo "| target | streams | streams/s | TTFC p50 ms | TTFC p99 ms | total p50 ms | total p99 ms | errors |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for t in "${TARGETS[@]}"; do for c in $STREAMS; do
      echo "| ${LABEL[$t]} | $c | ${R[streams_per_s,$t,$c]:-} | ${R[ttfc_p50,$t,$c]:-} | ${R[ttfc_p99,$t,$c]:-} | ${R[total_p50,$t,$c]:-} | ${R[total_p99,$t,$c]:-} | ${R[errors,$t,$c]:-}/${R[count,$t,$c]:-} |"
    done; done
    echo
    echo "## Memory"
    echo
    echo "| target | RSS idle MB | RSS with $HOLD_STREAMS open streams MB | streams open | upstream conns | left open upstream after close |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for t in "${TARGETS[@]}"; do
      [ -n "${R[rss_hold,$t]:-}" ] || continue
      echo "| ${LABEL[$t]} | ${R[rss_idle,$t]} | ${R[rss_hold,$t]} | ${R[hold_ok,$t]} | ${R[hold_up,$t]} | ${R[hold_left,$t]} |"
    done
    if [ -n "${R[heap_before]:-}" ]; then
      echo
      echo "Heap after full GC around one stream of $LONG_CHUNKS chunks through ${LABEL[gw-llm]}:" \
        "before ${R[heap_before]} MB, mid-stream ${R[heap_mid]} MB, after ${R[heap_after]} MB" \
        "(${R[long_events]} events in ${R[long_ms]} ms, complete=${R[long_complete]})."
    fi
    echo
    echo "## Ratios"
    echo
    echo "| ratio | $(for c in $CONNS; do printf '%s conns | ' "$c"; done)"
    echo "| --- | $(for c in $CONNS; do printf -- '---: | '; done)"
    local pairs=("gw-llm stock full telemetry / stock Spring Cloud Gateway (req/s)"
      "gw-llm gw-plain full telemetry / gateway plain route (req/s)" "gw-plain stock gateway plain route / stock Spring Cloud Gateway (req/s)"
      "gw-llm nginx full telemetry / nginx (req/s)" "stock nginx stock Spring Cloud Gateway / nginx (req/s)"
      "gw-llm direct full telemetry / direct (req/s)" "nginx direct nginx / direct (req/s)")
    local p a b name
    for p in "${pairs[@]}"; do
      read -r a b name <<<"$p"
      [ -n "${URL[$a]:-}" ] && [ -n "${URL[$b]:-}" ] || continue
      echo "| $name | $(for c in $CONNS; do printf '%s | ' "$(ratio "${R[rps,$a,$c]:-}" "${R[rps,$b,$c]:-}")"; done)"
    done
    echo
    echo "Overhead over direct, ms (proxy minus direct):"
    echo
    echo "| target | $(for c in $CONNS; do printf 'JSON p50 @%s | JSON p99 @%s | ' "$c" "$c"; done)$(for c in $STREAMS; do printf 'TTFC p50 @%s | TTFC p99 @%s | ' "$c" "$c"; done)"
    echo "| --- |$(for c in $CONNS $STREAMS; do printf -- ' ---: | ---: |'; done)"
    for t in "${TARGETS[@]}"; do
      [ "$t" = direct ] && continue
      printf '| %s | ' "${LABEL[$t]}"
      for c in $CONNS; do printf '%s | %s | ' "$(diff_ms "${R[p50,$t,$c]:-}" "${R[p50,direct,$c]:-}")" "$(diff_ms "${R[p99,$t,$c]:-}" "${R[p99,direct,$c]:-}")"; done
      for c in $STREAMS; do printf '%s | %s | ' "$(diff_ms "${R[ttfc_p50,$t,$c]:-}" "${R[ttfc_p50,direct,$c]:-}")" "$(diff_ms "${R[ttfc_p99,$t,$c]:-}" "${R[ttfc_p99,direct,$c]:-}")"; done
      echo
    done
    echo
    echo "## Targets"
    echo
    echo "| target | measured | result |"
    echo "| --- | --- | --- |"
    if [ $have_gw = 1 ]; then
      local r ok
      for c in $CONNS; do
        if [ -n "${URL[stock]:-}" ]; then
          r=$(ratio "${R[rps,gw-llm,$c]:-}" "${R[rps,stock,$c]:-}"); ok=FAIL; [ "$r" != n/a ] && ge "$r" "$T_FULL_VS_STOCK" && ok=PASS
          check "full telemetry ≥ ${T_FULL_VS_STOCK}× stock Spring Cloud Gateway req/s @$c" "$ok" "${r}×"
        else
          check "full telemetry ≥ ${T_FULL_VS_STOCK}× stock Spring Cloud Gateway req/s @$c" SKIP "STOCK=0"
        fi
        r=$(ratio "${R[rps,gw-llm,$c]:-}" "${R[rps,direct,$c]:-}"); ok=FAIL; [ "$r" != n/a ] && ge "$r" "$T_FULL_VS_DIRECT" && ok=PASS
        check "full telemetry ≥ ${T_FULL_VS_DIRECT}× direct req/s @$c" "$ok" "${r}×"
      done
      local c128; c128=$(echo $STREAMS | awk '{print $NF}')
      r=$(diff_ms "${R[ttfc_p50,gw-llm,$c128]:-}" "${R[ttfc_p50,direct,$c128]:-}"); ok=FAIL; [ "$r" != n/a ] && le "$r" "$T_TTFC_P50_MS" && ok=PASS
      check "added TTFC p50 ≤ ${T_TTFC_P50_MS} ms @$c128 streams" "$ok" "$r ms"
      r=$(diff_ms "${R[ttfc_p99,gw-llm,$c128]:-}" "${R[ttfc_p99,direct,$c128]:-}"); ok=FAIL; [ "$r" != n/a ] && le "$r" "$T_TTFC_P99_MS" && ok=PASS
      check "added TTFC p99 ≤ ${T_TTFC_P99_MS} ms @$c128 streams" "$ok" "$r ms"
      if [ "$MEMORY" = 1 ]; then
        ok=FAIL; [ -n "${R[rss_hold,gw-llm]:-}" ] && [ "${R[hold_ok,gw-llm]}" -ge "$HOLD_STREAMS" ] && le "${R[rss_hold,gw-llm]}" "$T_RSS_MB" && ok=PASS
        check "RSS ≤ ${T_RSS_MB} MB with $HOLD_STREAMS open streams" "$ok" "${R[rss_hold,gw-llm]:-n/a} MB (${R[hold_ok,gw-llm]:-0} open)"
        ok=FAIL
        if [[ "${R[heap_mid]:-}" =~ ^[0-9.]+$ && "${R[heap_after]:-}" =~ ^[0-9.]+$ ]] && [ "${R[long_complete]}" = true ] \
           && le "${R[heap_mid]} - ${R[heap_before]}" "$T_HEAP_GROWTH_MB" && le "${R[heap_after]} - ${R[heap_before]}" "$T_HEAP_GROWTH_MB"; then ok=PASS; fi
        check "heap flat across $LONG_CHUNKS-chunk stream (growth ≤ ${T_HEAP_GROWTH_MB} MB)" "$ok" \
          "${R[heap_before]:-?} → ${R[heap_mid]:-?} → ${R[heap_after]:-?} MB"
      else
        check "RSS with $HOLD_STREAMS open streams, heap across the long stream" SKIP "MEMORY=0"
      fi
      printf '%s\n' "${CHECKS[@]}"
    else
      echo "| all gateway targets | — | SKIP (GATEWAY_JAR not set) |"
    fi
    echo
    if [ $have_gw = 1 ]; then
      echo "Telemetry sanity: OTLP requests received by the sink (upstream): $(upstream_stat otlp);" \
        "gateway.log lines (access log on): $(wc -l <"$OUT/gateway.log")."
      echo
    fi
    echo "Raw outputs: bench/out/raw/ (wrk text, client JSON lines), gateway log: bench/out/gateway.log."
  } >"$RESULTS"
  echo
  cat "$RESULTS"
}

# ---- main ---------------------------------------------------------------------------------------
measure() { # measure TARGET: JSON at each connection count, then streams
  local t=$1 c
  alive "$t"
  log "$t: non-streaming"
  for c in $CONNS; do run_wrk "$t" "$c"; done
  log "$t: streaming"
  for c in $STREAMS; do run_streams "$t" "$c"; done
  alive "$t"
}

bench() {
  start_upstream
  add_target direct "http://127.0.0.1:$UPSTREAM_PORT/v1/chat/completions" "" "direct"
  start_nginx
  add_target nginx "http://127.0.0.1:$NGINX_PORT/v1/chat/completions" "$NGINX_PID" "nginx"
  local t
  for t in direct nginx; do smoke "${URL[$t]}" || die "smoke test failed for $t (${URL[$t]})"; measure "$t"; done
  if [ -z "$GATEWAY_JAR" ]; then
    log "GATEWAY_JAR not set: skipping the JVM rows (measuring direct and nginx only)"
  else
    # One JVM at a time on the proxy core: the stock app is stopped before the gateway starts.
    if [ "$STOCK" = 1 ]; then
      build_stock
      start_stock
      add_target stock "http://127.0.0.1:$STOCK_PORT/plain/v1/chat/completions" "$STOCK_PID" "stock Spring Cloud Gateway"
      smoke "${URL[stock]}" || die "smoke test failed for stock (${URL[stock]})"
      warm_jvm stock
      measure stock
      stop_pid "$STOCK_PID"; PID_OF[stock]=""
    fi
    start_gateway
    add_target gw-plain "http://127.0.0.1:$GATEWAY_PORT/plain/v1/chat/completions" "$GATEWAY_PID" "gateway plain route"
    add_target gw-llm "http://127.0.0.1:$GATEWAY_PORT/llm/v1/chat/completions" "$GATEWAY_PID" "gateway full telemetry"
    for t in gw-plain gw-llm; do smoke "${URL[$t]}" || die "smoke test failed for $t (${URL[$t]})"; done
    for t in gw-plain gw-llm; do warm_jvm "$t"; measure "$t"; done
  fi
  if [ "$MEMORY" = 1 ]; then
  log "memory: $HOLD_STREAMS open streams"
  run_hold nginx
  fi
  if [ "$MEMORY" = 1 ] && [ -n "$GATEWAY_JAR" ]; then
    run_hold gw-llm
    log "memory: heap across one stream of $LONG_CHUNKS chunks"
    run_long_stream gw-llm
  fi
  report
}

soak() {
  start_upstream
  local url pid name
  if [ -n "$GATEWAY_JAR" ]; then
    start_gateway; pid=$GATEWAY_PID; name="gateway full telemetry"
    url="http://127.0.0.1:$GATEWAY_PORT/llm/v1/chat/completions"
  else
    log "GATEWAY_JAR not set: soaking nginx instead (harness check only)"
    start_nginx; pid=$NGINX_PID; name="nginx"; url="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
  fi
  smoke "$url" || die "smoke test failed ($url)"
  log "soak warm-up ${WARMUP}s"
  "${PIN_LOAD[@]}" node "$BENCH_DIR/client.js" soak --url "$url" --concurrency "$SOAK_CONCURRENCY" --duration "$WARMUP" \
    --chunks "$STREAM_CHUNKS" --delay "$STREAM_DELAY_MS" >/dev/null 2>&1 || true
  local heap_start heap_end rss_start rss_end line conns left
  heap_start=n/a; heap_end=n/a
  [ -n "$GATEWAY_JAR" ] && heap_start=$(heap_mb "$pid")
  rss_start=$(rss_mb "$pid")
  log "soak: ${SOAK_SECONDS}s at $SOAK_CONCURRENCY concurrent, streams ${SOAK_STREAM_FRAC}, upstream 500 ${SOAK_FAIL_FRAC}, mid-stream resets ${SOAK_RESET_FRAC}"
  "${PIN_LOAD[@]}" node "$BENCH_DIR/client.js" soak --url "$url" --concurrency "$SOAK_CONCURRENCY" --duration "$SOAK_SECONDS" \
    --stream-frac "$SOAK_STREAM_FRAC" --fail-frac "$SOAK_FAIL_FRAC" --reset-frac "$SOAK_RESET_FRAC" \
    --chunks "$STREAM_CHUNKS" --delay "$STREAM_DELAY_MS" >"$RAW/soak.json" 2>&1 || true
  line=$(tail -1 "$RAW/soak.json")
  left=$(wait_streams_drained)
  sleep 2
  conns=$(upstream_conns)
  [ -n "$GATEWAY_JAR" ] && heap_end=$(heap_mb "$pid")
  rss_end=$(rss_mb "$pid")
  local errors; errors=$(json_field "$line" errors)
  {
    echo "# llm-gateway soak"
    echo
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) · $name · ${SOAK_SECONDS}s · $SOAK_CONCURRENCY concurrent · streams ${SOAK_STREAM_FRAC}, upstream 500 ${SOAK_FAIL_FRAC}, mid-stream resets ${SOAK_RESET_FRAC}"
    echo
    echo "| measure | value |"
    echo "| --- | ---: |"
    echo "| JSON ok | $(json_field "$line" json_ok) |"
    echo "| streams ok | $(json_field "$line" stream_ok) |"
    echo "| upstream 500 passed through (expected) | $(json_field "$line" expected_500) |"
    echo "| mid-stream resets passed through (expected) | $(json_field "$line" expected_reset) |"
    echo "| **unexpected errors** | **${errors:-?}** $( (grep -oE '"errKinds":\{[^}]*\}' <<<"$line" || true) | cut -d: -f2-) |"
    echo "| total time p50 / p99 ms | $(json_field "$line" total_p50) / $(json_field "$line" total_p99) |"
    echo "| heap after GC, start → end MB | $heap_start → $heap_end |"
    echo "| RSS start → end MB | $rss_start → $rss_end |"
    echo "| open upstream connections at end (ss, incl. idle keep-alive pool) | $conns |"
    echo "| streams still in flight at the upstream at end | $left |"
    echo "| ERROR lines in gateway log | $( [ -n "$GATEWAY_JAR" ] && { grep -c ' ERROR ' "$OUT/gateway.log" || true; } || echo n/a) |"
    echo
    echo "Result: $( [ "${errors:-1}" = 0 ] && [ "$left" = 0 ] && echo PASS || echo FAIL) (no unexpected errors, no stream left open upstream)"
  } >"$OUT/soak.md"
  echo; cat "$OUT/soak.md"
}

mkdir -p "$OUT" "$RAW"
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
ensure_tools
set_pinning
case "$MODE" in
  bench) bench ;;
  soak) soak ;;
  *) die "usage: bench/run.sh [soak]" ;;
esac
