# bench/lib.sh: what the bench scripts share (sourced, not run).

# The simulator's channel key, which bench_gateway's config names (the server started later reads it).
export BENCH_UPSTREAM=bench-upstream-key

# A free loopback port (the kernel's choice).
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_gateway BIN DIR GW_PORT SIM_PORT: DIR/maxgate.ini for a maxgated on GW_PORT with one loop thread,
# no access log and the simulator on SIM_PORT as its one channel, initialised, with the account
# bench@example.com capped (every request takes and settles a reservation, BL-3, as a reseller's
# customers' do); prints that account's new API key.
bench_gateway() {
  local bin=$1 dir=$2 gw_port=$3 sim_port=$4
  cat > "$dir/maxgate.ini" <<INI
[server]
listen = 127.0.0.1:$gw_port
threads = 1
access_log = off
log_level = warn
[channel.sim]
region = global
base_url = http://127.0.0.1:$sim_port
key_env = BENCH_UPSTREAM
INI
  "$bin/maxgated" --config "$dir/maxgate.ini" init >/dev/null 2>&1
  "$bin/maxgated" --config "$dir/maxgate.ini" admin user create --email bench@example.com >/dev/null
  "$bin/maxgated" --config "$dir/maxgate.ini" admin user set-cap --email bench@example.com --cap 1000000 >/dev/null
  "$bin/maxgated" --config "$dir/maxgate.ini" admin key create --email bench@example.com --name bench 2>/dev/null
}
