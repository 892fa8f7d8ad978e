#!/usr/bin/env bash
# Builds librdkafka's rdkafka_performance (examples/ of the librdkafka source, which no Debian package
# ships) from the copy of librdkafka bundled in the npm package node-rdkafka, into
# native/build/rdkafka/rdkafka_performance. Plaintext only (no SSL, SASL/GSSAPI, zstd, zlib, curl): what
# the benchmarks need, and nothing the machine must have beyond gcc and make. Skips work when built.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE_RDKAFKA_VERSION=3.6.1 # bundles librdkafka 2.12.0
out=native/build/rdkafka/rdkafka_performance
if [ -x "$out" ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-rdkafka@$NODE_RDKAFKA_VERSION" >/dev/null && tar xzf node-rdkafka-*.tgz)
src="$work/package/deps/librdkafka"
echo "build-rdkafka-performance: building librdkafka from node-rdkafka@$NODE_RDKAFKA_VERSION (about 2 minutes)" >&2
(cd "$src" && ./configure --no-download --disable-ssl --disable-gssapi --disable-zstd --disable-curl \
  --disable-lz4-ext --disable-zlib >"$work/configure.log" 2>&1 && make -j"$(nproc)" libs >"$work/make.log" 2>&1 &&
  make -C examples rdkafka_performance >>"$work/make.log" 2>&1) || {
  tail -20 "$work/configure.log" "$work/make.log" >&2
  exit 1
}
mkdir -p "$(dirname "$out")"
cp "$src/examples/rdkafka_performance" "$out"
echo "build-rdkafka-performance: $out" >&2
