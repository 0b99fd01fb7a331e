#!/usr/bin/env bash
# bench/callgrind.sh [BINDIR] [N]: instructions (callgrind Ir) the whole maxgated process spends on
# sequential plain chat requests through one loop thread to maxgate-sim.  It runs N (2000) and 2N
# requests, each in a fresh process and database, and prints both totals and the difference per
# request (startup and shutdown cancel out).  Repeatable on a noisy machine where CPU time is not:
# compare two builds side by side (docs/benchmarks.md).  BINDIR defaults to build/release/bin.
# CALLGRIND_OUT=prefix keeps both profiles (prefix.N, prefix.2N) for callgrind_annotate; STREAM=1 asks
# for streamed answers (as the bench's stream row: 8 tokens).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/release/bin}
N=${2:-2000}
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT INT TERM
. bench/lib.sh
SIM_PORT=$(port)
"$BIN/maxgate-sim" --listen 127.0.0.1:$SIM_PORT --no-record > "$T/sim.out" 2>&1 & pids+=($!)

# run COUNT: prints the Ir of one maxgated serving COUNT requests from a fresh database.
run() {
    local count=$1 d gw_port key gw
    d=$(mktemp -d -p "$T")
    gw_port=$(port)
    key=$(bench_gateway "$BIN" "$d" "$gw_port" "$SIM_PORT")
    valgrind --tool=callgrind --callgrind-out-file="$T/cg.$count.out" "$BIN/maxgated" --config "$d/maxgate.ini" serve \
        > "$d/gw.out" 2> "$d/gw.err" & gw=$!
    pids+=($gw)
    for _ in $(seq 1200); do (exec 3<>/dev/tcp/127.0.0.1/$gw_port) 2>/dev/null && break; sleep 0.05; done
    /usr/bin/python3 - "$gw_port" "$key" "$count" "${STREAM:-0}" <<'PY'
import http.client, json, sys
port, key, n, stream = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
body = json.dumps({"model": "MiniMax-M2.7", "stream": stream, "messages": [{"role": "user", "content": "hello"}]})
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    if stream:
        h["x-sim-tokens"] = "8"  # as bench/chat.lua
    c.request("POST", "/v1/chat/completions", body, h)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit("a request failed: HTTP %d" % r.status)
PY
    kill -TERM $gw
    wait $gw || true
    callgrind_annotate "$T/cg.$count.out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

one=$(run "$N")
two=$(run $((2 * N)))
[ -z "${CALLGRIND_OUT:-}" ] || { cp "$T/cg.$N.out" "$CALLGRIND_OUT.$N"; cp "$T/cg.$((2 * N)).out" "$CALLGRIND_OUT.$((2 * N))"; }
echo "maxgated ($BIN)$([ "${STREAM:-0}" = 1 ] && echo ", streamed"): $N requests $one Ir, $((2 * N)) requests $two Ir, $(((two - one) / N)) Ir per request"
