#!/usr/bin/env bash
# Builds and runs the parsing micro-benchmark (bench/micro_parse.c) at -O2,
# the release flags, against the same sources the server uses.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/release/bench
mkdir -p "$out"
cc -std=gnu17 -O2 -Isrc -D_GNU_SOURCE $(pkg-config --cflags jansson libsodium) -o "$out/micro_parse" \
  bench/micro_parse.c src/core/jscan.c src/core/mg.c src/core/buf.c src/core/log.c src/core/clock.c \
  src/gateway/usage.c src/billing/prices.c $(pkg-config --libs jansson libsodium) -lpthread -lm
exec "$out/micro_parse"
