#!/usr/bin/env bash
# Raw sequential-write bandwidth of the disk under DIR (default: $TMPDIR or /tmp), the
# ceiling a durable log can reach there. Two fio runs of 1 MiB writes, 256 MiB each,
# 20 s at most each:
#   direct     O_DIRECT, no fsync: what the device takes in when the page cache is bypassed
#   fdatasync  buffered writes, fdatasync after every 1 MiB: the acks=-1 worst case
# Prints one line per run: "<name> <MB/s>" (MB = 10^6 bytes). The temp files are removed.
# Usage: bench/disk-baseline.sh [DIR]
set -euo pipefail

parent="${1:-${TMPDIR:-/tmp}}"
size_mib="${DISK_BASELINE_MIB:-256}"
runtime_s="${DISK_BASELINE_SECONDS:-20}"
command -v fio >/dev/null || { echo "disk-baseline: fio not found" >&2; exit 1; }

dir="$(mktemp -d "$parent/skua-disk-baseline.XXXXXX")"
trap 'rm -rf "$dir"' EXIT

# write bandwidth in bytes/s from fio's JSON output
write_bw_bytes() {
  python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["write"]["bw_bytes"])'
}

run_fio() {
  local name="$1"; shift
  fio --name="$name" --directory="$dir" --rw=write --bs=1M --size="${size_mib}M" \
    --ioengine=psync --runtime="$runtime_s" --time_based=0 --end_fsync=1 \
    --output-format=json "$@" | write_bw_bytes
}

direct_bw="$(run_fio direct --direct=1)"
rm -f "$dir"/*
sync_bw="$(run_fio fdatasync --fdatasync=1)"

awk -v d="$direct_bw" -v s="$sync_bw" -v dir="$parent" -v mib="$size_mib" 'BEGIN {
  printf "disk under %s, sequential 1 MiB writes, %d MiB per run\n", dir, mib
  printf "direct %.1f\n", d / 1e6
  printf "fdatasync %.1f\n", s / 1e6
}'
