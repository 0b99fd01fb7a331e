#!/usr/bin/env bash
# Installs what maxgate needs to build, run and test, from Debian's packages and
# (for the compatibility tests and the console tests) npm packages pinned in
# tests/compat/package-lock.json and tests/e2e/package-lock.json.  Idempotent and quiet when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBS=(
  build-essential pkg-config ca-certificates openssl
  libh2o-evloop-dev libjansson-dev libsodium-dev libinih-dev
  libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3 zlib1g-dev
  libcmocka-dev libqrencode-dev libfido2-dev libcbor-dev
  libunistring-dev john-data wamerican
  libhpdf-dev poppler-utils
  clang libclang-rt-14-dev
  python3 python3-pytest python3-requests python3-aiosmtpd
  wrk nginx
  tmux bsdutils procps curl
  chromium fonts-wqy-zenhei
)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm  >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# nginx from Debian enables itself as a service; the benchmark starts its own.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  systemctl stop nginx >/dev/null 2>&1 || true
fi

# npm packages for the compatibility tests and the console's browser tests,
# exactly as the lockfiles pin them.  playwright-core drives Debian's chromium
# (above); no browser is ever downloaded.
for d in tests/compat tests/e2e; do
  [ -f "$d/package-lock.json" ] || continue
  stamp=$d/node_modules/.lock-stamp
  want=$(sha256sum "$d/package-lock.json" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "deps: npm ci ($d)"
    (cd "$d" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" > "$stamp"
  fi
done
