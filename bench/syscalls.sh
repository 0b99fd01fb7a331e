#!/usr/bin/env bash
# bench/syscalls.sh [BIN_DIR]: syscalls per request of maxgated (1 loop thread) under wrk, loop thread and whole process
# Needs strace and wrk; the simulator comes from build/release.  BIN_DIR may hold an older
# maxgated to compare against.
set -euo pipefail
cd "$(dirname "$0")/.."; ROOT=$PWD
BIN=$(realpath "${1:-build/release/bin}"); SIM=$ROOT/build/release/bin/maxgate-sim
T=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT
. bench/lib.sh
SP=$(port); GP=$(port)
$SIM --listen 127.0.0.1:$SP --no-record > "$T/sim.out" 2>&1 & pids+=($!)
KEY=$(bench_gateway "$BIN" "$T" "$GP" "$SP")
cd "$T"
$BIN/maxgated --config maxgate.ini serve > gw.out 2> gw.err & GW=$!; pids+=($GW)
for p in $SP $GP; do for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.05; done; done
cd "$ROOT"
BENCH_AUTH=$KEY BENCH_STREAM=0 wrk -t1 -c20 -d2s -s bench/chat.lua http://127.0.0.1:$GP/v1/chat/completions > /dev/null
LOOP=$(for t in /proc/$GW/task/*; do echo "$(awk '{print $14+$15}' $t/stat) $(basename $t)"; done | sort -rn | head -1 | awk '{print $2}')
trace() { # label, then strace's target arguments
  local label=$1; shift
  strace -c "$@" -o "$T/strace.txt" & local st=$!
  sleep 0.5
  local out; out=$(BENCH_AUTH=$KEY BENCH_STREAM=0 wrk -t1 -c20 -d5s -s bench/chat.lua http://127.0.0.1:$GP/v1/chat/completions)
  sleep 0.3; kill -INT $st; wait $st 2>/dev/null || true
  local reqs; reqs=$(echo "$out" | grep -o '[0-9]* requests in' | awk '{print $1}')
  echo "== $label: $reqs requests"
  awk -v n="$reqs" '$NF != "total" && $1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ {printf "%-16s %8d calls  %.3f per request\n", $NF, $4, $4/n; tot+=$4}
    END {printf "%-16s %8d calls  %.3f per request\n", "ALL", tot, tot/n}' "$T/strace.txt" | sort -k2 -rn | head -14
}
trace "loop thread" -p "$LOOP"
trace "whole process (all threads)" -f -p "$GW"
