/**
 * Run by broken-invariant.test.ts in a process of its own: starts one real shard Worker
 * (posix disk, the data dir in argv[2]) and plays the peer shard 1, which sends it two produce
 * ops: one valid, then (once answered) one whose bytes are not whole batches. Prints one JSON line per event.
 */
import { defaultProperties } from "../cluster/properties.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import type { ShardInit, ShardToMain } from "./control.ts";

const print = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const peer = new MessageChannel();
const batch = buildBatch({ records: [{ key: "k", value: "v", timestampDelta: 0 }] });
const produce = (id: number, records: Uint8Array) =>
  peer.port2.postMessage({ kind: "call", id, op: "produce", request: { items: [{ topic: "t", partition: 0, records, acks: -1 }] } });
peer.port2.onmessage = (event) => {
  print({ reply: event.data });
  if (event.data.id === 1) produce(2, new Uint8Array([...batch, 1, 2, 3]));
};
const worker = new Worker(new URL("./worker.ts", import.meta.url));
worker.onmessage = (event: MessageEvent<ShardToMain>) => {
  print({ fromShard: event.data });
  if (event.data.type === "ready") produce(1, batch);
  if (event.data.type === "fatal") process.exit(0);
};
const init: ShardInit = {
  type: "init", shardId: 0, shardCount: 2, core: 0, kafkaAddr: { host: "127.0.0.1", port: 0 }, advertised: { host: "127.0.0.1", port: 0 },
  clusterId: "test", dataDir: process.argv[2]!, props: defaultProperties(), logFormat: "json", io: "posix", peers: [null, peer.port1],
  metadata: { version: 1, shardCount: 2, topics: [{ name: "t", id: "6c1b4bde-5d0c-4c39-8b7e-2f0e1f7c9a11", shards: [0], configs: {} }] },
};
worker.postMessage(init, [peer.port1]);

