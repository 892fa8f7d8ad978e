/**
 * What a node's groups answer as its replica of a `__consumer_offsets` partition goes through an
 * election: other nodes name it the coordinator as soon as it is elected, so until it has committed
 * an entry of its term and loaded the partition it answers COORDINATOR_LOAD_IN_PROGRESS (every
 * client waits and retries), never NOT_COORDINATOR (kafkajs's TxnOffsetCommit gives up on that).
 */
import { expect, test } from "bun:test";
import type { Logger } from "../base/log.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { groupPartitionOf } from "./partitioning.ts";
import { type GroupLogReplicas, ReplicatedGroupStore } from "./replicated-store.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One partition's replica whose election and readiness the test drives. */
class DrivenReplicas implements GroupLogReplicas {
  elected = false;
  private listener: (partition: number, leading: boolean) => void = () => {};
  onLeadership(listener: (partition: number, leading: boolean) => void): void {
    this.listener = listener;
  }
  electedNotReady(): boolean {
    return this.elected;
  }
  /** Ready to append (leading) or no longer leading: either way no longer "elected, not ready". */
  tell(partition: number, leading: boolean): void {
    this.elected = false;
    this.listener(partition, leading);
  }
  async append(): Promise<void> {}
  async readCommitted(): Promise<Uint8Array[]> {
    return [];
  }
}

test("a follower refuses with NOT_COORDINATOR; elected but not ready, and while loading, COORDINATOR_LOAD_IN_PROGRESS; loaded, it serves", async () => {
  const replicas = new DrivenReplicas();
  let loaded = 0;
  const store = new ReplicatedGroupStore({ replicas, log: quiet, onLoaded: async () => void loaded++, onUnloaded: () => {} });
  const partition = groupPartitionOf("g");
  expect(store.refusal("g")).toBe(ErrorCode.NOT_COORDINATOR);
  replicas.elected = true;
  expect(store.refusal("g")).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  replicas.tell(partition, true);
  expect(store.refusal("g")).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await Bun.sleep(0);
  expect(loaded).toBe(1);
  expect(store.refusal("g")).toBeNull();
  replicas.tell(partition, false);
  expect(store.refusal("g")).toBe(ErrorCode.NOT_COORDINATOR);
});
