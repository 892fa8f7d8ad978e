#!/usr/bin/env bash
# Builds dist/skua, one executable with the shard Worker entry and the io_uring shim compiled in. Skips work when
# nothing under src/ changed since the last build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-native.sh

if [ -x dist/skua ] && [ -z "$(find src native package.json -newer dist/skua -print -quit)" ]; then
  exit 0
fi
mkdir -p dist
# The define turns off the test-only planted bugs of src/raft (see src/raft/README.md): with it,
# --minify-syntax removes their branches and their switches from the binary.
node_modules/.bin/bun build --compile --sourcemap --minify-syntax --define globalThis.SKUA_TEST_BUILD=false \
  src/main.ts src/shard/worker.ts --outfile dist/skua >&2
