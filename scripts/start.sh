#!/usr/bin/env bash
# Builds skua if needed and starts it with its defaults (or the flags given).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
if [ $# -eq 0 ]; then set -- start; fi
exec dist/skua "$@"
