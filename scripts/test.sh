#!/usr/bin/env bash
# Runs the test suites against the sanitizer build (build/asan).
#   scripts/test.sh            every suite
#   scripts/test.sh unit|fuzz|integration|compat|e2e|src
# The fuzz suite builds the libFuzzer harnesses (mk/fuzz.mk, build/fuzz) and
# replays every committed seed in tests/fuzz/corpus/<name>/ once; the timed
# fuzzing runs are `make fuzz`.
# Prints one summary line per suite and a total "N passed, N failed" line;
# exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export MG_BIN_DIR=${MG_BIN_DIR:-$PWD/build/asan/bin}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PY=/usr/bin/python3   # Debian's, which has python3-pytest and python3-requests

want=${1:-all}
passed=0; failed=0
declare -a failures=()

note() { printf '%s\n' "$*"; }

run_src() {
  if scripts/check-src.sh; then passed=$((passed+1)); note "src checks: ok"
  else failed=$((failed+1)); failures+=("src checks"); fi
}

run_unit() {
  local p=0 f=0
  for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    if "$t" > "build/asan/tests/$(basename "$t").log" 2>&1; then p=$((p+1))
    else f=$((f+1)); failures+=("unit: $(basename "$t")"); tail -n 30 "build/asan/tests/$(basename "$t").log"; fi
  done
  note "unit: $p binaries passed, $f failed"
  passed=$((passed+p)); failed=$((failed+f))
}

run_fuzz() {
  local p=0 f=0 name
  mkdir -p build/fuzz
  if ! make -s -f mk/fuzz.mk -j2 fuzz-build > build/fuzz/build.log 2>&1; then
    tail -n 30 build/fuzz/build.log
    failed=$((failed+1)); failures+=("fuzz: build (build/fuzz/build.log)"); note "fuzz: build failed"; return
  fi
  for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c); name=${name#fuzz_}
    if make -s -f mk/fuzz.mk "replay-$name"; then p=$((p+1))
    else f=$((f+1)); failures+=("fuzz: $name"); fi
  done
  note "fuzz: $p harnesses replayed their corpus, $f failed"
  passed=$((passed+p)); failed=$((failed+f))
}

run_pytest() { # suite dir
  local dir=$1 out rc
  [ -n "$(ls "$dir"/test_*.py 2>/dev/null)" ] || { note "$dir: no tests"; return; }
  out=$(mktemp)
  $PY -m pytest -q -p no:cacheprovider "$dir" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  local p f e
  p=$(grep -Eo '[0-9]+ passed' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -Eo '[0-9]+ failed' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  e=$(grep -Eo '[0-9]+ errors?' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  rm -f "$out"
  passed=$((passed+p)); failed=$((failed+f+e))
  if [ "$rc" != 0 ] && [ "$((f+e))" = 0 ]; then failed=$((failed+1)); failures+=("$dir: pytest exit $rc"); fi
  [ "$((f+e))" = 0 ] || failures+=("$dir: $f failed, $e errors")
}

# The console in Debian's chromium (tests/e2e, node's test runner with
# playwright-core); screenshots land in build/e2e/screenshots/.
run_e2e() {
  local out rc p f s
  [ -d tests/e2e/node_modules/playwright-core ] || { failed=$((failed+1)); failures+=("e2e: run scripts/deps.sh (npm ci)"); note "e2e: playwright-core missing"; return; }
  out=$(mktemp)
  node --test --test-reporter=tap --test-concurrency=1 tests/e2e/ > "$out" 2>&1
  rc=$?
  grep -E '^(not )?ok |^# (Subtest|SKIP)|^  error:' "$out" | grep -v '^# Subtest' || true
  p=$(grep -Eo '^# pass [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0)
  f=$(grep -Eo '^# fail [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0)
  s=$(grep -Eo '^# skipped [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0)
  [ "$f" = 0 ] || grep -A30 '^not ok' "$out" | head -120
  rm -f "$out"
  note "e2e: $p passed, $f failed, $s skipped (screenshots in build/e2e/screenshots/)"
  passed=$((passed+p)); failed=$((failed+f))
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then failed=$((failed+1)); failures+=("e2e: node --test exit $rc"); fi
  [ "$f" = 0 ] || failures+=("e2e: $f failed")
}

case $want in
  all)         run_src; run_unit; run_fuzz; run_pytest tests/integration; run_pytest tests/compat; run_e2e ;;
  src)         run_src ;;
  unit)        run_unit ;;
  fuzz)        run_fuzz ;;
  integration) run_pytest tests/integration ;;
  compat)      run_pytest tests/compat ;;
  e2e)         run_e2e ;;
  *) echo "usage: $0 [all|src|unit|fuzz|integration|compat|e2e]" >&2; exit 2 ;;
esac

if ((${#failures[@]})); then printf 'FAILED: %s\n' "${failures[@]}"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
