# Sourced by ab.sh and profile.sh: the fake upstream and wrk pinned to LOAD_CORE, gateway JVMs pinned
# to PROXY_CORE reading gateway-bench.yml, and the reads both scripts take of them. Expects
# BENCH_DIR, OUT, LOAD_CORE, PROXY_CORE, UPSTREAM_PORT and CONNS to be set; every process started
# here is killed when the sourcing script exits.

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

start_upstream() {
  PORT=$UPSTREAM_PORT taskset -c "$LOAD_CORE" node "$BENCH_DIR/upstream.js" >"$OUT/upstream.log" 2>&1 &
  PIDS+=($!)
}

start_gateway() { # jar port args log java-options; sets GATEWAY_PID
  # shellcheck disable=SC2086
  BENCH_UPSTREAM_PORT=$UPSTREAM_PORT taskset -c "$PROXY_CORE" java $5 -jar "$1" --server.port="$2" \
    --spring.config.additional-location="file:$BENCH_DIR/gateway-bench.yml" $3 >"$4" 2>&1 &
  PIDS+=($!)
  GATEWAY_PID=$!
}

answers() { # port: any HTTP answer counts (the stock application has no health endpoint)
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/actuator/health")" != 000 ]
}

await_gateway() { # port: waits up to 120 s for it to answer
  for _ in $(seq 1 120); do answers "$1" && return 0; sleep 1; done
  echo "$(basename "$0"): gateway on $1 did not start" >&2
  exit 1
}

load() { # port seconds route: wrk's report of that much JSON load on the route
  taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNS" -d"$2"s -s "$BENCH_DIR/post.lua" \
    "http://127.0.0.1:$1/$3/v1/chat/completions"
}

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; } # pid: utime + stime, in clock ticks
