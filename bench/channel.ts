/**
 * Cross-shard channel candidates, measured between two threads in the same run:
 * MessagePort.postMessage (structured clone; 64 KiB payloads transferred) against a
 * SharedArrayBuffer ring woken with Atomics (bytes copied in and out of the ring).
 * Round-trip latency (one message in flight) and pipelined throughput (256 in flight),
 * for a small control message and a 64 KiB record payload.
 * Run: bun run bench/channel.ts
 */
import { bench, group, run, summary } from "mitata";
import { createRing, RingReader, RingWriter } from "./channel/sab-ring.ts";

const SMALL_MESSAGE = { op: "read", topic: "orders", partition: 3, fetchOffset: 123456, maxBytes: 1048576 };
const PAYLOAD_BYTES = 64 * 1024;
const PIPELINE = 256;

const worker = new Worker(new URL("./channel/echo-worker.ts", import.meta.url));
const channel = new MessageChannel();
const RING_BYTES = 32 * 1024 * 1024; // room for every pipelined 64 KiB payload
const toEcho = createRing(RING_BYTES);
const fromEcho = createRing(RING_BYTES);
worker.postMessage({ port: channel.port2, toEcho, fromEcho }, [channel.port2]);

let portWaiters: Array<() => void> = [];
channel.port1.onmessage = () => portWaiters.shift()!();
const ringWriter = new RingWriter(toEcho);
let ringWaiters: Array<() => void> = [];
const ringReader = new RingReader(fromEcho);
// A real channel carries typed objects: the ring has to serialize them (structured clone does it for postMessage).
const utf8 = new TextDecoder();
void ringReader.run((bytes) => {
  if (bytes.length < 1024) JSON.parse(utf8.decode(bytes));
  ringWaiters.shift()!();
});

function viaPort(payloadBytes: number): Promise<void> {
  return new Promise((resolve) => {
    portWaiters.push(resolve);
    if (payloadBytes === 0) channel.port1.postMessage(SMALL_MESSAGE);
    else {
      const payload = new ArrayBuffer(payloadBytes);
      channel.port1.postMessage({ op: "produce", payload }, [payload]);
    }
  });
}

const bigMessage = new Uint8Array(PAYLOAD_BYTES);
function viaRing(payloadBytes: number): Promise<void> {
  return new Promise((resolve) => {
    ringWaiters.push(resolve);
    const bytes = payloadBytes === 0 ? new TextEncoder().encode(JSON.stringify(SMALL_MESSAGE)) : bigMessage;
    if (!ringWriter.write(bytes)) throw new Error("ring full");
  });
}

const pipelined = (send: (bytes: number) => Promise<void>, bytes: number) => () => Promise.all(Array.from({ length: PIPELINE }, () => send(bytes)));

for (const [label, bytes] of [["small control message", 0], ["64 KiB payload", PAYLOAD_BYTES]] as const) {
  group(`round trip, ${label}`, () => {
    summary(() => {
      bench("postMessage (baseline)", () => viaPort(bytes)).baseline(true);
      bench("SharedArrayBuffer ring + Atomics", () => viaRing(bytes));
    });
  });
  group(`${PIPELINE} in flight, ${label}`, () => {
    summary(() => {
      bench("postMessage (baseline)", pipelined(viaPort, bytes)).baseline(true);
      bench("SharedArrayBuffer ring + Atomics", pipelined(viaRing, bytes));
    });
  });
}

await run();
ringReader.stop();
worker.terminate();
