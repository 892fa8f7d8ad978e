/**
 * A shard's transaction coordinator over the simulated disk, on virtual time: fencing of an old
 * producer, markers retried until every partition answers, the abort of a timed-out
 * transaction, expiry of idle ids, what DescribeTransactions and ListTransactions see.
 */
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import type { Logger } from "../base/log.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties, type ClusterProperties } from "../cluster/properties.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { TxnCoordinator } from "./coordinator.ts";
import { shardOfTransactionalId } from "./partitioning.ts";
import type { TxnMarker } from "./types.ts";

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const metadata = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "a", id: crypto.randomUUID(), shards: [0, 0, 0], configs: {} }] });

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function started(options: { props?: Partial<ClusterProperties>; failMarkers?: number; disk?: SimDisk } = {}) {
  const disk = options.disk ?? new SimDisk(SEED);
  const clock = new ManualClock(1_000_000);
  const timers = new ManualTimers(clock);
  const markers: TxnMarker[] = [];
  let failuresLeft = options.failMarkers ?? 0;
  let nextId = 5000;
  const coordinator = new TxnCoordinator({
    shardId: 0, shardCount: 1, dataDir: "/data", disk, props: { ...defaultProperties(), ...options.props }, clock, timers, log: quiet, metadata: () => metadata,
    newProducerId: async () => nextId++,
    writeMarkers: async (batch) => {
      if (failuresLeft > 0) return (failuresLeft--, batch.map(() => ErrorCode.NOT_LEADER_OR_FOLLOWER));
      markers.push(...batch);
      return batch.map(() => ErrorCode.NONE);
    },
    completeGroup: async () => ErrorCode.NONE,
  });
  await coordinator.start();
  return { coordinator, clock, timers, markers, disk };
}

const init = (c: TxnCoordinator, id = "t", timeoutMs = 60_000) => c.initProducerId({ transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 });
const parts = (...ps: number[]) => ps.map((partition) => ({ topic: "a", partition }));

describe(`transaction coordinator (SEED=${SEED})`, () => {
  test("a second producer with the same id fences the first: its open transaction is aborted, its requests refused", async () => {
    const { coordinator, markers } = await started();
    const old = await init(coordinator);
    expect(old).toEqual({ errorCode: ErrorCode.NONE, producerId: 5000, producerEpoch: 0 });
    const oldRef = { transactionalId: "t", producerId: old.producerId, producerEpoch: old.producerEpoch };
    expect(await coordinator.addPartitions({ ...oldRef, partitions: parts(0, 1), verifyOnly: false })).toEqual([ErrorCode.NONE, ErrorCode.NONE]);

    expect((await init(coordinator)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS); // the old one is being aborted
    await settle();
    expect(markers.map((m) => [m.partition, m.commit, m.producerEpoch])).toEqual([[0, false, 1], [1, false, 1]]);
    const fresh = await init(coordinator);
    expect(fresh).toEqual({ errorCode: ErrorCode.NONE, producerId: 5000, producerEpoch: 2 });

    expect(await coordinator.addPartitions({ ...oldRef, partitions: parts(2), verifyOnly: false })).toEqual([ErrorCode.PRODUCER_FENCED]);
    expect(await coordinator.end({ ...oldRef, commit: true })).toBe(ErrorCode.PRODUCER_FENCED);
    expect(await coordinator.addPartitions({ ...oldRef, partitions: parts(0), verifyOnly: true })).toEqual([ErrorCode.PRODUCER_FENCED]);
    await coordinator.stop();
  });

  test("markers are retried until every partition answers; meanwhile the next transaction waits", async () => {
    const { coordinator, markers, timers } = await started({ failMarkers: 3 });
    const p = await init(coordinator);
    const ref = { transactionalId: "t", producerId: p.producerId, producerEpoch: p.producerEpoch };
    await coordinator.addPartitions({ ...ref, partitions: parts(0, 2), verifyOnly: false });
    expect(await coordinator.end({ ...ref, commit: true })).toBe(ErrorCode.NONE);
    await settle();
    expect(coordinator.stateOf("t")?.state).toBe("PrepareCommit");
    expect(await coordinator.addPartitions({ ...ref, partitions: parts(1), verifyOnly: false })).toEqual([ErrorCode.CONCURRENT_TRANSACTIONS]);
    expect(await coordinator.end({ ...ref, commit: true })).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    for (let i = 0; i < 4; i++) (timers.advance(2000), await settle());
    expect(coordinator.stateOf("t")?.state).toBe("CompleteCommit");
    expect(markers.map((m) => [m.partition, m.commit])).toEqual([[0, true], [2, true]]);
    expect(await coordinator.end({ ...ref, commit: true })).toBe(ErrorCode.NONE); // a retry of the same outcome
    expect(await coordinator.end({ ...ref, commit: false })).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await coordinator.addPartitions({ ...ref, partitions: parts(1), verifyOnly: false })).toEqual([ErrorCode.NONE]);
    await coordinator.stop();
  });

  test("a transaction past its timeout is aborted with a fenced epoch; the producer's commit is refused", async () => {
    const { coordinator, markers, timers } = await started({ props: { tx_timeout_delay_ms: 1000 } });
    const p = await init(coordinator, "t", 5000);
    const ref = { transactionalId: "t", producerId: p.producerId, producerEpoch: p.producerEpoch };
    await coordinator.addPartitions({ ...ref, partitions: parts(1), verifyOnly: false });
    timers.advance(4000);
    await settle();
    expect(coordinator.stateOf("t")?.state).toBe("Ongoing");
    for (let i = 0; i < 3; i++) (timers.advance(1000), await settle());
    expect(coordinator.stateOf("t")).toMatchObject({ state: "CompleteAbort", producerEpoch: 1 });
    expect(markers).toEqual([{ topic: "a", partition: 1, producerId: p.producerId, producerEpoch: 1, commit: false, coordinatorEpoch: 0 }]);
    expect(await coordinator.end({ ...ref, commit: true })).toBe(ErrorCode.PRODUCER_FENCED);
    await coordinator.stop();
  });

  test("timeouts beyond transaction_max_timeout_ms, empty ids and unknown partitions are refused", async () => {
    const { coordinator } = await started({ props: { transaction_max_timeout_ms: 10_000 } });
    expect((await init(coordinator, "t", 10_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(coordinator, "t", 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init(coordinator, "", 1000)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const p = await init(coordinator, "t", 10_000);
    const ref = { transactionalId: "t", producerId: p.producerId, producerEpoch: p.producerEpoch };
    expect(await coordinator.addPartitions({ ...ref, partitions: [{ topic: "a", partition: 0 }, { topic: "nope", partition: 0 }], verifyOnly: false }))
      .toEqual([ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(await coordinator.addPartitions({ ...ref, transactionalId: "other", partitions: parts(0), verifyOnly: false })).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
    await coordinator.stop();
  });

  test("an id idle past transactional_id_expiration_ms is forgotten, and stays forgotten after a restart", async () => {
    const { coordinator, timers, disk } = await started({ props: { transactional_id_expiration_ms: 60_000, tx_timeout_delay_ms: 1000 } });
    await init(coordinator, "idle");
    const busy = await init(coordinator, "busy", 600_000);
    await coordinator.addPartitions({ transactionalId: "busy", producerId: busy.producerId, producerEpoch: busy.producerEpoch, partitions: parts(0), verifyOnly: false });
    for (let i = 0; i < 61; i++) (timers.advance(1000), await settle());
    expect(coordinator.describe("idle").errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    expect(coordinator.describe("busy")).toMatchObject({ errorCode: ErrorCode.NONE, state: "Ongoing", partitions: parts(0) });
    await coordinator.stop();
    const again = await started({ disk });
    expect(again.coordinator.stateOf("idle")).toBeUndefined();
    expect(again.coordinator.stateOf("busy")?.state).toBe("Ongoing");
    await again.coordinator.stop();
  });

  test("a restart with another shard count finds every transactional id on its new owner", async () => {
    const disk = new SimDisk(SEED);
    const clock = new ManualClock(1_000_000);
    const timers = new ManualTimers(clock);
    let nextProducerId = 100;
    const shards = (shardCount: number) =>
      Array.from({ length: shardCount }, (_, shardId) => new TxnCoordinator({
        shardId, shardCount, dataDir: "/data", disk, props: defaultProperties(), clock, timers, log: quiet, metadata: () => metadata,
        newProducerId: async () => nextProducerId++, writeMarkers: async (m) => m.map(() => ErrorCode.NONE), completeGroup: async () => ErrorCode.NONE,
      }));
    const before = shards(2);
    await Promise.all(before.map((c) => c.start()));
    const ids = Array.from({ length: 30 }, (_, i) => `id-${i}`);
    const epochs = new Map<string, { producerId: number; producerEpoch: number }>();
    for (const id of ids) {
      const owner = before[shardOfTransactionalId(id, 2)];
      await init(owner, id);
      epochs.set(id, await init(owner, id)); // epoch 1
    }
    await Promise.all(before.map((c) => c.stop()));
    const after = shards(3);
    await Promise.all(after.map((c) => c.start()));
    for (const id of ids) {
      const owner = after[shardOfTransactionalId(id, 3)];
      expect(owner.stateOf(id)).toMatchObject({ producerId: epochs.get(id)!.producerId, producerEpoch: 1 });
      expect(await init(owner, id)).toMatchObject({ errorCode: ErrorCode.NONE, producerId: epochs.get(id)!.producerId, producerEpoch: 2 });
    }
    await Promise.all(after.map((c) => c.stop()));
  });

  test("ListTransactions filters by state, producer id and duration", async () => {
    const { coordinator, clock } = await started();
    const a = await init(coordinator, "a");
    await init(coordinator, "b");
    await coordinator.addPartitions({ transactionalId: "a", producerId: a.producerId, producerEpoch: a.producerEpoch, partitions: parts(0), verifyOnly: false });
    clock.advance(500);
    const ids = (args: { states?: string[]; producerIds?: number[]; durationMs?: number }) =>
      coordinator.list({ states: args.states ?? [], producerIds: args.producerIds ?? [], durationMs: args.durationMs ?? -1 }).map((t) => t.transactionalId).sort();
    expect(ids({})).toEqual(["a", "b"]);
    expect(ids({ states: ["Ongoing"] })).toEqual(["a"]);
    expect(ids({ producerIds: [a.producerId + 1] })).toEqual(["b"]);
    expect(ids({ durationMs: 499 })).toEqual(["a"]);
    expect(ids({ durationMs: 500 })).toEqual([]);
    await coordinator.stop();
  });
});
