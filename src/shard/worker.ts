/**
 * Entry point of a shard Worker: the first message is its `ShardInit`; everything after comes
 * over the channel to the main thread. An error nothing caught is sent to the main thread,
 * which stops the broker.
 */
import { configureLog } from "../base/log.ts";
import { onUncaughtError } from "../base/uncaught.ts";
import type { ShardFatal, ShardInit } from "./control.ts";
import { Shard } from "./shard.ts";

declare const self: Worker;

let shardId = -1;
const fatal = (error: string) => self.postMessage({ type: "fatal", shardId, error } satisfies ShardFatal);
onUncaughtError(fatal);

self.onmessage = (event: MessageEvent<ShardInit>) => {
  const init = event.data;
  self.onmessage = null;
  configureLog({ format: init.logFormat });
  shardId = init.shardId;
  new Shard(init);
};
