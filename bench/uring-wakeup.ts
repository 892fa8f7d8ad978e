/**
 * How io_uring completions should wake a shard: A/B of the two candidates with NOP ops, same
 * process, alternating blocks of 200. (A) an async fs.read of the ring's eventfd (blocks a
 * thread-pool thread); (B) the shim's waiter thread calling a threadsafe JSCallback. skua uses B.
 *   bun run bench/uring-wakeup.ts   (needs native/build/libskua_uring.so: bash scripts/build-native.sh)
 */
import { dlopen, FFIType, JSCallback, ptr } from "bun:ffi";
import fs from "node:fs";
const sym = {
  skua_ring_open: { args: [FFIType.u32, FFIType.ptr], returns: FFIType.ptr },
  skua_ring_event_fd: { args: [FFIType.ptr], returns: FFIType.i32 },
  skua_ring_prep: { args: [FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32, FFIType.u64, FFIType.u64], returns: FFIType.i32 },
  skua_ring_submit: { args: [FFIType.ptr], returns: FFIType.i32 },
  skua_ring_reap: { args: [FFIType.ptr, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  skua_ring_start_waiter: { args: [FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
} as const;
const shim = dlopen(new URL("../native/build/libskua_uring.so", import.meta.url).pathname, sym).symbols;
const err = new Int32Array(1);
const out = new BigInt64Array(512);
// A: eventfd read on the pool
const ringA = shim.skua_ring_open(64, ptr(err))!;
const efd = shim.skua_ring_event_fd(ringA);
const ebuf = new Uint8Array(8);
async function nopA() {
  shim.skua_ring_prep(ringA, 3, -1, null, 0, 0, 1); shim.skua_ring_submit(ringA);
  for (;;) { await new Promise<void>((res) => fs.read(efd, ebuf, 0, 8, null, () => res())); if (shim.skua_ring_reap(ringA, ptr(out), 256) > 0) return; }
}
// B: waiter thread + threadsafe JSCallback
const ringB = shim.skua_ring_open(64, ptr(err))!;
let wake: (() => void) | null = null;
const cb = new JSCallback(() => { if (shim.skua_ring_reap(ringB, ptr(out), 256) > 0) { const f = wake; wake = null; f?.(); } }, { args: [], returns: "void", threadsafe: true });
shim.skua_ring_start_waiter(ringB, cb.ptr);
async function nopB() {
  const p = new Promise<void>((r) => (wake = r));
  shim.skua_ring_prep(ringB, 3, -1, null, 0, 0, 1); shim.skua_ring_submit(ringB);
  await p;
}
const lat: Record<string, number[]> = { eventfd: [], jscallback: [] };
for (let block = 0; block < 20; block++) {
  for (const [name, f] of [["eventfd", nopA], ["jscallback", nopB]] as const) {
    for (let i = 0; i < 200; i++) { const t0 = performance.now(); await f(); lat[name]!.push(performance.now() - t0); }
  }
}
for (const [name, l] of Object.entries(lat)) { l.sort((a, b) => a - b); console.log(`${name}: nop round trip p50 ${(l[l.length >> 1]! * 1000).toFixed(1)} µs, p99 ${(l[Math.floor(l.length * 0.99)]! * 1000).toFixed(1)} µs (${l.length} ops)`); }
process.exit(0);
