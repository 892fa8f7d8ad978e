#!/usr/bin/env bash
# The whole test suite: type check, unit and contract tests, and end-to-end tests against the
# compiled dist/skua with real clients. Ends with one line: "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test || exit 1
bash scripts/build.sh || exit 1

failed_checks=0
echo "== tsc --noEmit (strict)"
if node_modules/.bin/tsc --noEmit -p .; then echo "typecheck: ok"; else echo "typecheck: FAILED"; failed_checks=1; fi

echo "== bun test"
log=$(mktemp)
node_modules/.bin/bun test "$@" 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ *[0-9]+ pass$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
failed=$(grep -Eo '^ *[0-9]+ fail$' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
rm -f "$log"
if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi # the runner itself failed
passed=$((passed + (1 - failed_checks)))
failed=$((failed + failed_checks))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
