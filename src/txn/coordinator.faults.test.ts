/**
 * The transaction coordinator on a SimDisk that fails writes, lands short writes and fails
 * fdatasyncs while it runs, with power lost at the end: a producer runs transactions one after
 * another (a new epoch each), retrying what the coordinator could not write, committing or
 * aborting at random. Whatever failed, each transaction's markers carry one outcome; an EndTxn
 * that was answered NONE ends with that outcome on every partition, after the crash and restart
 * too. Seeds are printed; rerun one with SKUA_SEED=<seed>.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import type { Logger } from "../base/log.ts";
import { mulberry32 } from "../base/random.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { noFaults, SimDisk } from "../io/sim-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { TxnCoordinator } from "./coordinator.ts";
import type { TxnMarker } from "./types.ts";

const RUNS = 4;
const TRANSACTIONS = 25;
const ATTEMPTS_MAX = 20;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const metadata = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "a", id: crypto.randomUUID(), shards: [0, 0], configs: {} }] });
const partitions = [{ topic: "a", partition: 0 }, { topic: "a", partition: 1 }];
const faultsOn = { writeFailProbability: 0.08, shortWriteProbability: 0.05, fsyncFailProbability: 0.08 };
const seeds = Array.from({ length: RUNS }, (_, run) => (process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : (Date.now() + run * 7919) >>> 0));

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function coordinatorOn(disk: SimDisk, markers: TxnMarker[], clock: ManualClock, timers: ManualTimers, nextId: { id: number }) {
  return new TxnCoordinator({
    shardId: 0, shardCount: 1, dataDir: "/data", disk, props: defaultProperties(), clock, timers, log: quiet, metadata: () => metadata,
    newProducerId: async () => nextId.id++,
    writeMarkers: async (batch) => (markers.push(...batch), batch.map(() => ErrorCode.NONE)),
    completeGroup: async () => ErrorCode.NONE,
  });
}

/** Calls `attempt` until it answers something other than a retriable error (or gives up); the last answer. */
async function retried<T>(attempt: () => Promise<T>, codeOf: (answer: T) => number, timers: ManualTimers): Promise<T> {
  let answer = await attempt();
  for (let i = 1; i < ATTEMPTS_MAX && [ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.CONCURRENT_TRANSACTIONS].includes(codeOf(answer) as 15); i++) {
    timers.advance(250); // marker retries and the Complete write get their turn
    await settle();
    answer = await attempt();
  }
  return answer;
}

for (const seed of seeds) {
  test(`failed writes and syncs, then power loss: every transaction ends whole (seed ${seed})`, async () => {
    console.log(`txn coordinator faults seed=${seed}`);
    const random = mulberry32(seed ^ 0x7a11);
    const disk = new SimDisk(seed);
    const clock = new ManualClock(1_000_000);
    const timers = new ManualTimers(clock);
    const markers: TxnMarker[] = [];
    const nextId = { id: 1 };
    const coordinator = coordinatorOn(disk, markers, clock, timers, nextId);
    await coordinator.start();
    disk.faults = { ...noFaults, ...faultsOn };
    const acked = new Map<number, boolean>(); // epoch → the outcome EndTxn answered NONE for
    for (let t = 0; t < TRANSACTIONS; t++) {
      const init = await retried(() => coordinator.initProducerId({ transactionalId: "t", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }), (r) => r.errorCode, timers);
      if (init.errorCode !== ErrorCode.NONE) continue;
      const ref = { transactionalId: "t", producerId: init.producerId, producerEpoch: init.producerEpoch };
      const added = await retried(() => coordinator.addPartitions({ ...ref, partitions, verifyOnly: false }), (codes) => codes[0], timers);
      if (added.some((c) => c !== ErrorCode.NONE)) continue; // left open: the next InitProducerId fences and aborts it
      const commit = random() < 0.6;
      const ended = await retried(() => coordinator.end({ ...ref, commit }), (c) => c, timers);
      if (ended === ErrorCode.NONE) acked.set(init.producerEpoch, commit);
      timers.advance(250);
      await settle();
    }
    disk.crash();
    disk.faults = noFaults;
    const restartClock = new ManualClock(clock.nowMs());
    const restartTimers = new ManualTimers(restartClock);
    const again = coordinatorOn(disk, markers, restartClock, restartTimers, nextId);
    await again.start();
    await settle();
    restartClock.advance(61_000); // an ongoing transaction left behind times out
    await again.check();
    await settle();

    const outcomes = new Map<number, Set<boolean>>();
    for (const m of markers) outcomes.set(m.producerEpoch, (outcomes.get(m.producerEpoch) ?? new Set()).add(m.commit));
    for (const [epoch, seen] of outcomes) expect({ epoch, outcomes: seen.size }).toEqual({ epoch, outcomes: 1 });
    for (const [epoch, commit] of acked) {
      for (const p of partitions) expect(markers.some((m) => m.producerEpoch === epoch && m.partition === p.partition && m.commit === commit), `epoch ${epoch}`).toBe(true);
    }
    expect(["Empty", "CompleteCommit", "CompleteAbort"]).toContain(again.stateOf("t")?.state ?? "Empty");
    expect(acked.size).toBeGreaterThan(0);
    await again.stop();
  });
}
