#!/usr/bin/env bash
# `make run`: initialise a local maxgate in ./var and start it in the foreground.
# With MINIMAX_API_KEY set it forwards to the real MiniMax API (MINIMAX_REGION=cn
# for the China endpoint); without it, it starts maxgate-sim as a labelled demo
# upstream.  Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=build/release/bin
VAR=${MAXGATE_VAR:-var}
PORT=${MAXGATE_PORT:-8080}
SIM_PORT=${MAXGATE_SIM_PORT:-8081}
SIM_TLS_PORT=${MAXGATE_SIM_TLS_PORT:-8444}
mkdir -p "$VAR"; chmod 700 "$VAR"
CONF=$VAR/maxgate.ini

region=global; tag=gl
case "${MINIMAX_REGION:-global}" in
  cn|CN) region=cn; tag=cn ;;
  global|gl|"") ;;
  *) echo "make run: MINIMAX_REGION must be 'global' or 'cn', not '${MINIMAX_REGION}'" >&2; exit 2 ;;
esac

sim_pid=""
cleanup() { [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [ -n "${MINIMAX_API_KEY:-}" ]; then
  mode="MiniMax ($region)"
  if [ "$region" = cn ]; then upstream=https://api.minimaxi.com; else upstream=https://api.minimax.io; fi
  channel_env=MINIMAX_API_KEY
else
  mode="DEMO: maxgate-sim, a local MiniMax simulator (answers are simulated, not real MiniMax output)"
  upstream=http://127.0.0.1:$SIM_PORT
  channel_env=MG_DEMO_UPSTREAM_KEY
  export MG_DEMO_UPSTREAM_KEY=${MG_DEMO_UPSTREAM_KEY:-demo-upstream-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
  if [ ! -f "$VAR/sim.crt" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=127.0.0.1 \
      -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
      -keyout "$VAR/sim.key" -out "$VAR/sim.crt" >/dev/null 2>&1
  fi
  "$BIN/maxgate-sim" --listen 127.0.0.1:$SIM_PORT --tls-listen 127.0.0.1:$SIM_TLS_PORT \
      --tls-cert "$VAR/sim.crt" --tls-key "$VAR/sim.key" --region "$region" \
      --key "$MG_DEMO_UPSTREAM_KEY" --public-url https://127.0.0.1:$SIM_TLS_PORT \
      > "$VAR/sim.log" 2>&1 &
  sim_pid=$!
fi

# The config is rewritten each run (it holds no secret: the upstream key is
# referenced by environment variable).
cat > "$CONF" <<INI
[server]
listen = 127.0.0.1:$PORT
public_base_url = http://127.0.0.1:$PORT
access_log = access.log

[store]
database = maxgate.db
usage_journal = usage.journal

[secrets]
file = secrets

[accounts]
; the demo lets anyone sign up in the console; mail goes to $VAR/outbox (no SMTP server is set)
signup_mode = open

[mail]
outbox_dir = outbox

[channel.$( [ -n "${MINIMAX_API_KEY:-}" ] && echo minimax-$region || echo demo-sim )]
region = $region
base_url = $upstream
key_env = $channel_env
INI

admin_email=${MAXGATE_DEMO_ADMIN:-admin@example.com}
admin_file=$VAR/demo-admin-password
if [ ! -s "$admin_file" ]; then
  # no default admin exists anywhere: this demo one gets a random password, kept only in $admin_file (0600)
  (umask 077; "$BIN/maxgated" init --config "$CONF" --admin-email "$admin_email" --generate-admin-password \
      > "$admin_file.tmp" 2>/dev/null)
  if [ -s "$admin_file.tmp" ]; then mv "$admin_file.tmp" "$admin_file"; else rm -f "$admin_file.tmp"; fi
else
  "$BIN/maxgated" init --config "$CONF" >/dev/null 2>&1
fi
admin_pw=$(cat "$admin_file" 2>/dev/null || echo "(set before this demo: see $admin_file)")
email=${MAXGATE_DEMO_EMAIL:-demo@example.com}
"$BIN/maxgated" admin user create --config "$CONF" --email "$email" >/dev/null 2>&1 || true
key=$("$BIN/maxgated" admin key create --config "$CONF" --email "$email" --name "make-run" --region "$tag" 2>/dev/null)

cat <<MSG

  maxgate is starting
  upstream : $mode
  base URL : http://127.0.0.1:$PORT
  API key  : $key
  try      : curl http://127.0.0.1:$PORT/v1/chat/completions -H "Authorization: Bearer \$KEY" \\
               -H 'content-type: application/json' -d '{"model":"MiniMax-M2.7","messages":[{"role":"user","content":"hi"}]}'
  console  : http://127.0.0.1:$PORT/console/   (open it in a browser)
  admin    : $admin_email / $admin_pw
  mail     : written to $VAR/outbox/ (no SMTP server configured; verification links are in there)
  data     : $VAR/ (database, access log)        stop: Ctrl-C

MSG
"$BIN/maxgated" serve --config "$CONF"
