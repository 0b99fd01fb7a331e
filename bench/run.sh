#!/usr/bin/env bash
# `make bench`: maxgated against the simulator directly and against nginx
# proxy_pass, side by side in one run (docs/benchmarks.md).
#   (a) wrk -> maxgate-sim
#   (b) wrk -> maxgated (1 loop thread) -> maxgate-sim
#   (c) wrk -> nginx (1 worker, keepalive upstream) -> maxgate-sim
#   (l) as (b) with a key that has RPM, TPM and its own cap (GW-9), never reached
# for a plain and a streamed chat request; ROUNDS rounds interleaved; medians.
# Then the memory rows (bench/streams.py), through (b) and (c):
#   streams: BENCH_STREAMS (2000) slow streams open at once; RSS before and while open
#   stalled: BENCH_STALLED (20) clients start a 25 MB stream and stop reading; RSS growth
# BENCH_ROWS picks the rows: a comma list of cpu, streams, stalled (default all three).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/release/bin
CONNS=${BENCH_CONNS:-50}
SECS=${BENCH_SECS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
ROWS=${BENCH_ROWS:-cpu,streams,stalled}
OPEN_N=${BENCH_STREAMS:-2000}
STALL_N=${BENCH_STALLED:-20}
has_row() { case ",$ROWS," in *,"$1",*) return 0 ;; esac; return 1; }
# Every open stream costs the client, the proxy and the simulator a descriptor each, nginx two.
NOFILE=$((2 * OPEN_N + 1024))
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $NOFILE ] || ulimit -n $NOFILE 2>/dev/null ||
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $NOFILE ] && has_row streams; then
  echo "bench: ulimit -n is $(ulimit -n), the streams row needs $NOFILE (hard limit $(ulimit -Hn))" >&2; exit 1
fi
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT INT TERM
. bench/lib.sh

SIM_PORT=$(port); GW_PORT=$(port); NG_PORT=$(port)
$BIN/maxgate-sim --listen 127.0.0.1:$SIM_PORT --no-record > "$T/sim.out" 2>&1 & SIM_PID=$!; pids+=($SIM_PID)
KEY=$(bench_gateway "$BIN" "$T" "$GW_PORT" "$SIM_PORT")
# the same account's second key with every per-key limit set, high enough never to refuse
KEY_LIM=$($BIN/maxgated --config "$T/maxgate.ini" admin key create --email bench@example.com --name limited 2>/dev/null)
$BIN/maxgated --config "$T/maxgate.ini" admin key edit --id "${KEY_LIM:7:12}" --rpm 1000000000 --tpm 1000000000 \
  --cap 1000000 > /dev/null 2> "$T/edit.err" || { cat "$T/edit.err" >&2; exit 1; }
$BIN/maxgated --config "$T/maxgate.ini" serve > "$T/gw.out" 2> "$T/gw.err" & GW_PID=$!; pids+=($GW_PID)

mkdir -p "$T/nginx"
cat > "$T/nginx/nginx.conf" <<NGINX
worker_processes 1;
worker_rlimit_nofile $NOFILE;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log warn;
events { worker_connections $NOFILE; }
http {
  access_log off;
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  upstream sim { server 127.0.0.1:$SIM_PORT; keepalive 256; }
  server {
    listen 127.0.0.1:$NG_PORT;
    location / {
      proxy_pass http://sim;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" & pids+=($!)

for p in $SIM_PORT $GW_PORT $NG_PORT; do
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.05; done
done
NG_WORKER=""
for _ in $(seq 50); do NG_WORKER=$(pgrep -f "nginx: worker process" -P "$(cat "$T/nginx/nginx.pid" 2>/dev/null || echo 1)" | head -1 || true); [ -n "$NG_WORKER" ] && break; sleep 0.05; done

cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# run TARGET KIND -> prints "rps p50_us p99_us cpu_us_per_req"
run() {
  local url auth pid stream=0
  case $1 in
    a) url=http://127.0.0.1:$SIM_PORT; auth=$BENCH_UPSTREAM; pid="" ;;
    b) url=http://127.0.0.1:$GW_PORT; auth=$KEY; pid=$GW_PID ;;
    l) url=http://127.0.0.1:$GW_PORT; auth=$KEY_LIM; pid=$GW_PID ;;
    c) url=http://127.0.0.1:$NG_PORT; auth=$BENCH_UPSTREAM; pid=$NG_WORKER ;;
  esac
  [ "$2" = stream ] && stream=1
  local c0=0; [ -n "$pid" ] && c0=$(cpu_ticks "$pid")
  local out
  out=$(BENCH_AUTH=$auth BENCH_STREAM=$stream wrk -t$((CONNS < 2 ? 1 : 2)) -c"$CONNS" -d"${SECS}s" --latency -s bench/chat.lua \
        "$url/v1/chat/completions")
  local c1=0; [ -n "$pid" ] && c1=$(cpu_ticks "$pid")
  echo "$out" | /usr/bin/python3 -c '
import re, sys
t = sys.stdin.read()
def us(v):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if m is None:
        sys.exit("cannot read wrk latency %r in:\n%s" % (v, t))
    return float(m.group(1)) * {"us": 1, "ms": 1000, "s": 1000000, "m": 60000000}[m.group(2)]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
reqs = int(re.search(r"(\d+) requests in", t).group(1))
p50 = us(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
p99 = us(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
ticks = int(sys.argv[2]) - int(sys.argv[1])
hz = 100
cpu = ticks * 1e6 / hz / reqs if int(sys.argv[3]) else 0
print("%.0f %.0f %.0f %.1f %s" % (rps, p50, p99, cpu, errs.group(1) if errs else 0))
' "$c0" "$c1" "${pid:+1}${pid:-0}"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
col() { for r in $(seq "$ROUNDS"); do echo "${R[$1,$2,$r]}" | awk -v c="$3" '{print $c}'; done | median; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

echo "maxgate benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, rows $ROWS"

declare -A R
if has_row cpu; then
  for kind in plain stream; do
    for t in a b l c; do run $t $kind > /dev/null; done   # warm-up (connections, pools)
  done
  for r in $(seq "$ROUNDS"); do
    for kind in plain stream; do
      for t in a b l c; do R[$t,$kind,$r]=$(run $t $kind); done
    done
  done
  RSS=$(awk '/VmHWM/ {print $2}' /proc/$GW_PID/status)
  echo
  echo "wrk -t$((CONNS < 2 ? 1 : 2)) -c$CONNS -d${SECS}s, $ROUNDS interleaved rounds, medians"
  echo
  echo "| request | target | req/s | p50 µs | p99 µs | CPU µs/req | non-2xx |"
  echo "|---|---|---|---|---|---|---|"
  for kind in plain stream; do
    for t in a b l c; do
      case $t in a) name="sim direct" ;; b) name="maxgated" ;; l) name="maxgated, key with limits" ;; c) name="nginx proxy_pass" ;; esac
      echo "| $kind | $name | $(col $t $kind 1) | $(col $t $kind 2) | $(col $t $kind 3) | $( [ $t = a ] && echo - || col $t $kind 4) | $(col $t $kind 5) |"
    done
  done
  echo
  for kind in plain stream; do
    a50=$(col a $kind 2); b50=$(col b $kind 2); brps=$(col b $kind 1); crps=$(col c $kind 1)
    bcpu=$(col b $kind 4); ccpu=$(col c $kind 4)
    lcpu=$(col l $kind 4)
    /usr/bin/python3 -c "print('$kind: maxgated added p50 = %.0f µs; throughput maxgated/nginx = %.2f; CPU per request maxgated/nginx = %.2f; key with limits/without = %.2f' % ($b50-$a50, $brps/$crps, ($bcpu/$ccpu) if $ccpu else float('nan'), ($lcpu/$bcpu) if $bcpu else float('nan')))"
  done
  echo "maxgated peak RSS (VmHWM) after the CPU rows: $((RSS / 1024)) MiB"
fi

# The memory rows measure maxgated (b) and the nginx worker (c), each through its own port.
target_port() { [ "$1" = b ] && echo "$GW_PORT" || echo "$NG_PORT"; }
target_auth() { [ "$1" = b ] && echo "$KEY" || echo "$BENCH_UPSTREAM"; }
target_pid() { [ "$1" = b ] && echo "$GW_PID" || echo "$NG_WORKER"; }
target_name() { [ "$1" = b ] && echo "maxgated" || echo "nginx proxy_pass"; }

if has_row streams; then
  # Slow streams: the first event at once, then one every 5 s for 5 minutes; closed once measured.
  declare -A O
  for t in b c; do
    O[$t]=$(/usr/bin/python3 bench/streams.py open "$(target_port $t)" "$(target_auth $t)" "$(target_pid $t)" \
            --n "$OPEN_N" --tokens 60 --delay-ms 5000)
  done
  echo
  echo "$OPEN_N concurrent open streams (bench/streams.py open, x-sim-delay-ms 5000), VmRSS before and while open"
  echo
  echo "| row | target | open / failed | RSS before MiB | RSS open MiB | KiB per stream | s to open all |"
  echo "|---|---|---|---|---|---|---|"
  for t in b c; do
    read -r ok bad r0 r1 secs <<< "${O[$t]}"
    per=$(awk -v a="$r0" -v b="$r1" -v n="$ok" 'BEGIN {printf "%.1f", n ? (b - a) / n : 0}')
    echo "| $OPEN_N open streams | $(target_name $t) | $ok / $bad | $(mib "$r0") | $(mib "$r1") | $per | $secs |"
  done
  read -r _ _ b0 b1 _ <<< "${O[b]}"; read -r okc _ c0 c1 _ <<< "${O[c]}"; read -r okb _ _ _ _ <<< "${O[b]}"
  awk -v b0="$b0" -v b1="$b1" -v c0="$c0" -v c1="$c1" -v nb="$okb" -v nc="$okc" 'BEGIN {
    pb = nb ? (b1 - b0) / nb : 0; pc = nc ? (c1 - c0) / nc : 0
    printf "open streams: RSS per stream maxgated/nginx = %s\n", (pc > 0) ? sprintf("%.2f", pb / pc) : "n/a" }'
fi

if has_row stalled; then
  # 25 MB streams (x-sim-tokens 100000) whose clients stop reading after the response head.
  declare -A S
  for t in b c; do
    S[$t]=$(/usr/bin/python3 bench/streams.py stall "$(target_port $t)" "$(target_auth $t)" "$(target_pid $t)" \
            --sim-pid "$SIM_PID" --n "$STALL_N" --tokens 100000)
  done
  echo
  echo "$STALL_N stalled readers (bench/streams.py stall: 25 MB streams, SO_RCVBUF 4 KiB, never read), until VmRSS and"
  echo "the simulator's bytes written stop moving (10 samples 0.2 s apart) or 50 s"
  echo
  echo "| row | target | RSS before MiB | RSS peak MiB | growth MiB | upstream sent MiB | settled after s |"
  echo "|---|---|---|---|---|---|---|"
  for t in b c; do
    read -r r0 peak _ sent secs settled <<< "${S[$t]}"
    echo "| $STALL_N stalled readers | $(target_name $t) | $(mib "$r0") | $(mib "$peak") | +$(mib $((peak - r0))) |" \
         "$(awk -v b="$sent" 'BEGIN {printf "%.1f", b / 1048576}') | $secs$( [ "$settled" = 1 ] || echo ' (deadline)') |"
  done
fi
