/**
 * Run by broken-invariant.test.ts in a process of its own: starts one real shard Worker
 * (posix disk, the data dir in argv[2]), plays the main thread (which starts it) and the peer
 * shard 1, which sends it two produce ops: one valid, then (once answered) one whose bytes are
 * not whole batches. Prints one JSON line per event.
 */
import { SharedCounts } from "../base/shared-counts.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import type { ShardFatal, ShardInit } from "./control.ts";

const print = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const peer = new MessageChannel();
const batch = buildBatch({ records: [{ key: "k", value: "v", timestampDelta: 0 }] });
const produce = (id: number, records: Uint8Array) =>
  peer.port2.postMessage({ kind: "call", id, name: "produce", request: { items: [{ topic: "t", partition: 0, records, acks: -1 }] } });
peer.port2.onmessage = (event) => {
  print({ reply: event.data });
  if (event.data.id === 1) produce(2, notWholeBatches());
};
const worker = new Worker(new URL("./worker.ts", import.meta.url));
worker.onmessage = (event: MessageEvent<ShardFatal>) => {
  print({ fromShard: event.data });
  process.exit(0);
};
// Plays the main thread's end too: the shard is started over its channel, as the supervisor does.
const main = new MessageChannel();
main.port1.onmessage = (event) => {
  if (event.data.kind === "reply" && event.data.id === 1) produce(1, batch);
};
const init: ShardInit = {
  type: "init", shardId: 0, shardCount: 2, core: 0, kafkaListeners: [{ name: "", address: { host: "127.0.0.1", port: 0 }, advertised: { host: "127.0.0.1", port: 0 }, authentication: "none", tls: null }], advertised: { host: "127.0.0.1", port: 0 },
  clusterId: "test", dataDir: process.argv[2]!, props: defaultProperties(), logFormat: "json", io: "posix", nodeId: 0, rack: null, rpc: null, joinNodes: [], softwareVersion: "test", connectionCounts: SharedCounts.create(0), main: main.port2, peers: [null, peer.port1],
  metadata: { version: 1, shardCount: 2, topics: [{ name: "t", id: "6c1b4bde-5d0c-4c39-8b7e-2f0e1f7c9a11", shards: [0], configs: {} }] },
};
worker.postMessage(init, [main.port2, peer.port1]);
main.port1.postMessage({ kind: "call", id: 1, name: "start", request: {} });

/**
 * A batch, then 50 bytes whose length field spans exactly to the end but is shorter than any
 * batch: header reads stay in bounds, so only the log's own check finds that the bytes are not
 * whole batches (the Produce handler's validation never lets such bytes reach an op).
 */
function notWholeBatches(): Uint8Array {
  const tail = new Uint8Array(50);
  new DataView(tail.buffer).setInt32(8, tail.length - 12);
  return new Uint8Array([...batch, ...tail]);
}
