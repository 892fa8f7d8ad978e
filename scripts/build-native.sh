#!/usr/bin/env bash
# Builds the io_uring shim native/build/libskua_uring.so (linked against liburing.so.2).
# Without gcc or liburing's headers it leaves an empty placeholder instead: the broker then
# cannot load the shim and runs the portable posix backend (it says so in its log).
set -euo pipefail
cd "$(dirname "$0")/.."
out=native/build/libskua_uring.so
src=native/skua_uring.c
mkdir -p native/build
if [ -s "$out" ] && [ "$out" -nt "$src" ]; then exit 0; fi
if ! command -v gcc >/dev/null 2>&1 || [ ! -f /usr/include/liburing.h ]; then
  echo "build-native: gcc or liburing.h missing; skipping the io_uring shim (posix backend only)" >&2
  : >"$out"
  exit 0
fi
# -l:liburing.so.2 pins the runtime dependency to the liburing2 package's soname.
if ! gcc -O2 -Wall -Wextra -fPIC -shared -o "$out.tmp" "$src" -l:liburing.so.2; then
  echo "build-native: compiling the io_uring shim failed; posix backend only" >&2
  : >"$out"
  exit 0
fi
mv "$out.tmp" "$out"
