#!/usr/bin/env bash
# Builds the native shims under native/build/:
#   libskua_uring.so   the io_uring shim (linked against liburing.so.2)
#   libskua_crc32c.so  CRC-32C with the SSE4.2 instruction
# Without gcc (or liburing's headers, for the first) a shim is left as an empty placeholder:
# the broker then cannot load it and uses the portable path (posix I/O, CRC-32C in JS),
# and says so in its log.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p native/build

# build_shim OUT SRC [LIBS...]
build_shim() {
  local out=$1 src=$2
  shift 2
  if [ -s "$out" ] && [ "$out" -nt "$src" ]; then return 0; fi
  if ! gcc -O2 -Wall -Wextra -fPIC -shared -o "$out.tmp" "$src" "$@"; then
    echo "build-native: compiling $src failed; its portable fallback will be used" >&2
    : >"$out"
    return 0
  fi
  mv "$out.tmp" "$out"
}

if ! command -v gcc >/dev/null 2>&1; then
  echo "build-native: gcc missing; skipping the native shims (posix I/O, CRC-32C in JS)" >&2
  : >native/build/libskua_uring.so
  : >native/build/libskua_crc32c.so
  exit 0
fi

if [ -f /usr/include/liburing.h ]; then
  # -l:liburing.so.2 pins the runtime dependency to the liburing2 package's soname.
  build_shim native/build/libskua_uring.so native/skua_uring.c -l:liburing.so.2
else
  echo "build-native: liburing.h missing; skipping the io_uring shim (posix backend only)" >&2
  : >native/build/libskua_uring.so
fi
build_shim native/build/libskua_crc32c.so native/skua_crc32c.c
