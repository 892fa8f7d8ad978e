/** Entry point of a shard Worker. Messages from the main thread are handled strictly in order. */
import { configureLog } from "../base/log.ts";
import { onUncaughtError } from "../base/uncaught.ts";
import type { MainToShard, ShardToMain } from "./control.ts";
import { Shard } from "./shard.ts";

declare const self: Worker;

let shard: Shard | null = null;
let shardId = -1;
let queue: Promise<void> = Promise.resolve();
const post = (message: ShardToMain) => self.postMessage(message);
onUncaughtError((error) => post({ type: "fatal", shardId, error }));

self.onmessage = (event: MessageEvent<MainToShard>) => {
  const message = event.data;
  queue = queue.then(() => handle(message)).catch((error: unknown) => {
    post({ type: "fatal", shardId, error: String(error instanceof Error ? error.stack : error) });
  });
};

async function handle(message: MainToShard): Promise<void> {
  switch (message.type) {
    case "init": {
      configureLog({ format: message.logFormat });
      shardId = message.shardId;
      shard = new Shard(message, post);
      await shard.start();
      post({ type: "ready", shardId: message.shardId });
      return;
    }
    case "metadata":
      await shard!.applyMetadata(message.update);
      post({ type: "metadata_applied", shardId, version: message.update.version });
      return;
    case "controller_call_reply":
      shard!.answerControllerCall(message.id, message.result, message.error);
      return;
    case "stats":
      post({ type: "stats_reply", id: message.id, stats: shard!.snapshotStats() });
      return;
    case "partitions":
      post({ type: "partitions_reply", id: message.id, partitions: shard!.partitionDetails() });
      return;
    case "release_partition":
      await shard!.release({ topic: message.topic, partition: message.partition });
      post({ type: "released", id: message.id });
      return;
    case "shutdown":
      await shard?.stop();
      post({ type: "stopped", shardId });
      return;
  }
}
