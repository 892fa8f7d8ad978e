#!/usr/bin/env bash
# CPU an idle broker uses: starts dist/skua --smp 2 (--io as given, default uring), waits until
# ready, then reads utime+stime of the whole process (all shard threads) from /proc/<pid>/stat
# before and after 10 s of idling. Prints the CPU seconds used and the share of one core.
#   bash bench/idle-cpu.sh [uring|posix] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
io="${1:-uring}"
seconds="${2:-10}"
bash scripts/build.sh
data="$(mktemp -d)"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
admin="$(port)"
dist/skua start --data-dir "$data" --kafka-addr "127.0.0.1:$(port)" --admin-addr "127.0.0.1:$admin" --smp 2 --io "$io" 2>"$data.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data" "$data.log"' EXIT
until curl -sf "http://127.0.0.1:$admin/v1/status/ready" >/dev/null; do sleep 0.1; done
sleep 1 # let start-up work settle
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz="$(getconf CLK_TCK)"
before="$(ticks)"
sleep "$seconds"
after="$(ticks)"
awk -v b="$before" -v a="$after" -v hz="$hz" -v s="$seconds" -v io="$io" 'BEGIN {
  cpu = (a - b) / hz
  printf "idle dist/skua --smp 2 --io %s: %.2f CPU s in %d s = %.2f%% of one core\n", io, cpu, s, 100 * cpu / s
}'
