#!/usr/bin/env bash
# Installs what skua needs on a Debian machine that has Node.js and npm:
# Bun and the JS dependencies from npm; gcc and liburing-dev for the native shims (when root); with
# --test, the Debian tools the tests drive (kcat; Go with sarama and kafka-go for test/go; Chromium for
# the web console's browser test; python3-confluent-kafka for librdkafka's transactional producer); with
# --bench, what bench/ measures against (fio for the disk, iperf3 for loopback) and librdkafka's
# rdkafka_performance (scripts/build-rdkafka-performance.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (Bun included)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi

apt_packages=()
# liburing-dev: headers to build the io_uring shim (it pulls in liburing2, all dist/skua needs at run time).
if [ ! -f /usr/include/liburing.h ]; then apt_packages+=(liburing-dev); fi
# gcc: compiles the native shims (io_uring, SSE4.2 CRC-32C); without it their portable fallbacks run.
if ! command -v gcc >/dev/null 2>&1; then apt_packages+=(gcc libc6-dev); fi
if [ "${1:-}" = "--test" ]; then
  if ! command -v kcat >/dev/null 2>&1; then apt_packages+=(kcat); fi
  # test/e2e/go-clients.test.ts builds test/go offline in GOPATH mode against Debian's Go clients.
  if ! command -v go >/dev/null 2>&1; then apt_packages+=(golang-go); fi
  if [ ! -d /usr/share/gocode/src/github.com/Shopify/sarama ]; then apt_packages+=(golang-github-shopify-sarama-dev); fi
  if [ ! -d /usr/share/gocode/src/github.com/segmentio/kafka-go ]; then apt_packages+=(golang-github-segmentio-kafka-go-dev); fi
  # test/e2e/console.test.ts drives the web console in headless Chromium.
  if [ ! -x /usr/bin/chromium ]; then apt_packages+=(chromium); fi
  # test/e2e/rdkafka-transactions.test.ts runs librdkafka's transactional producer through Debian's Python binding.
  if ! /usr/bin/python3 -c "import confluent_kafka" >/dev/null 2>&1; then apt_packages+=(python3-confluent-kafka); fi
fi
if [ "${1:-}" = "--bench" ]; then
  if ! command -v fio >/dev/null 2>&1; then apt_packages+=(fio); fi
  if ! command -v iperf3 >/dev/null 2>&1; then apt_packages+=(iperf3); fi
  if ! command -v make >/dev/null 2>&1; then apt_packages+=(make); fi
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${apt_packages[*]} with apt" >&2
    # Not fatal: without liburing-dev the build falls back to the posix backend.
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_packages[@]}"; } >&2 ||
      echo "setup: apt-get install ${apt_packages[*]} failed; continuing without" >&2
  else
    echo "setup: please install ${apt_packages[*]} (apt-get install ${apt_packages[*]}); tests that need them will fail" >&2
  fi
fi
if [ "${1:-}" = "--bench" ]; then bash scripts/build-rdkafka-performance.sh; fi
