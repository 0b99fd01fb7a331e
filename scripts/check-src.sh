#!/usr/bin/env bash
# Source checks (as curl's checksrc): banned libc calls, memcmp/strcmp on
# secrets, and the layer rule of docs/architecture.md via #include lines.
set -uo pipefail
cd "$(dirname "$0")/.."
bad=0
if grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|strncpy|gets)\s*\(' src tools --include='*.c' --include='*.h'; then
  echo "check-src: banned libc call above (see docs/STYLE)"; bad=1
fi
if grep -rnE '\b(memcmp|strcmp)\s*\([^)]*(key|secret|token|hash|digest|mac)' src --include='*.c' | grep -v 'mg-allow-cmp'; then
  echo "check-src: memcmp/strcmp near a secret; use sodium_memcmp or CRYPTO_memcmp"; bad=1
fi
# layer -> folders it may include
declare -A allow=(
  [core]="core"
  [net]="core net"
  [store]="core store"
  [auth]="core store auth"
  [billing]="core store billing"
  [runtime]="core store runtime"
  [mail]="core mail"
  [gateway]="core net store runtime auth billing gateway"
  [platform]="core net store runtime auth billing mail platform"
  [server]="core net store runtime auth billing mail gateway platform server"
  [cli]="core cli"
)
for layer in "${!allow[@]}"; do
  [ -d "src/$layer" ] || continue
  while IFS= read -r line; do
    inc=$(sed -E 's/.*#include "([a-z]+)\/.*/\1/' <<<"${line#*:}")
    ok=0; for a in ${allow[$layer]}; do [ "$inc" = "$a" ] && ok=1; done
    if [ $ok = 0 ]; then echo "check-src: layer $layer may not include $inc: $line"; bad=1; fi
  done < <(grep -rnE '#include "[a-z]+/' "src/$layer" || true)
done
exit $bad
