/**
 * The transaction coordinator over the simulated disk, crashed at every disk operation of one
 * transaction's life (init, add partitions, add the group, EndTxn commit, markers, complete):
 * the process dies at the n-th write, sync, truncate or rename (it and every later one fail),
 * SimDisk loses what was not synced (a random, maybe torn, prefix survives), and a new
 * coordinator starts on what is left. Whatever n, the transaction ends whole: every marker ever
 * sent has one outcome, every partition gets it, the group learns it, and an EndTxn that was
 * acknowledged always ends as a commit.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import type { Logger } from "../base/log.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import type { Disk, DiskFile } from "../io/disk.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { TxnCoordinator } from "./coordinator.ts";
import type { TxnMarker } from "./types.ts";

const SEED = Number(process.env.SKUA_SEED ?? Date.now() % 1_000_000);
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const metadata = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "a", id: crypto.randomUUID(), shards: [0, 0], configs: {} }] });
const props = { ...defaultProperties(), tx_timeout_delay_ms: 1000 };

class Crashed extends Error {}

/** Passes operations through until the `crashAt`-th change; that one and all later ones throw. */
class CrashingDisk implements Disk {
  readonly name = "crashing";
  ops = 0;
  constructor(private readonly inner: Disk, private readonly crashAt: number) {}
  private step(): void {
    if (++this.ops >= this.crashAt) throw new Crashed(`crash at op ${this.crashAt}`);
  }
  get crashed(): boolean {
    return this.ops >= this.crashAt;
  }
  async open(p: string, opts: { create: boolean }): Promise<DiskFile> {
    if (opts.create) this.step();
    const file = await this.inner.open(p, opts);
    const step = () => this.step();
    return {
      path: file.path,
      size: () => file.size(),
      write: async (position, data) => (step(), file.write(position, data)),
      writtenThrough: (end) => file.writtenThrough(end),
      read: (position, length) => file.read(position, length),
      datasync: async () => (step(), file.datasync()),
      truncate: async (size) => (step(), file.truncate(size)),
      close: () => file.close(),
    };
  }
  mkdirp = (d: string) => this.inner.mkdirp(d);
  list = (d: string) => this.inner.list(d);
  remove = async (p: string) => (this.step(), this.inner.remove(p));
  rename = async (a: string, b: string) => (this.step(), this.inner.rename(a, b));
  exists = (p: string) => this.inner.exists(p);
  space = (dir: string) => this.inner.space(dir);
  syncDir = async (d: string) => (this.step(), this.inner.syncDir(d));
}

interface World {
  markers: TxnMarker[];
  groupOutcomes: boolean[];
}

function coordinatorOn(disk: Disk, world: World, clock: ManualClock, timers: ManualTimers, nextId: { id: number }) {
  return new TxnCoordinator({
    shardId: 0, shardCount: 1, dataDir: "/data", disk, props, clock, timers, log: quiet, metadata: () => metadata,
    newProducerId: async () => nextId.id++,
    writeMarkers: async (markers) => (world.markers.push(...markers), markers.map(() => ErrorCode.NONE)),
    completeGroup: async (_groupId, _producerId, commit) => (world.groupOutcomes.push(commit), ErrorCode.NONE),
  });
}

/** Lets the coordinator's async work (log writes, marker rounds) run to its next wait. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const ID = "txn-1";
const partitions = [{ topic: "a", partition: 0 }, { topic: "a", partition: 1 }];

/** One transaction's life until the disk dies; what the client was told. */
async function runUntilCrash(coordinator: TxnCoordinator) {
  const told = { groupAdded: false, endAcked: false };
  try {
    await coordinator.start();
  } catch (error) {
    if (error instanceof Crashed) return told;
    throw error;
  }
  const init = await coordinator.initProducerId({ transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
  if (init.errorCode !== ErrorCode.NONE) return told;
  const ref = { transactionalId: ID, producerId: init.producerId, producerEpoch: init.producerEpoch };
  if ((await coordinator.addPartitions({ ...ref, partitions, verifyOnly: false })).some((c) => c !== ErrorCode.NONE)) return told;
  told.groupAdded = (await coordinator.addOffsets({ ...ref, groupId: "g", verifyOnly: false })) === ErrorCode.NONE;
  if (!told.groupAdded) return told;
  told.endAcked = (await coordinator.end({ ...ref, commit: true })) === ErrorCode.NONE;
  await settle();
  return told;
}

test(`a crash at any disk operation of a transaction leaves it whole after restart (seed ${SEED})`, async () => {
  console.log(`txn coordinator crash seed=${SEED}`);
  let completedWithoutCrash = false;
  let crashPoints = 0;
  for (let crashAt = 1; !completedWithoutCrash; crashAt++) {
    expect(crashAt).toBeLessThan(1000);
    const sim = new SimDisk(SEED + crashAt);
    const disk = new CrashingDisk(sim, crashAt);
    const clock = new ManualClock(1_000_000);
    const timers = new ManualTimers(clock);
    const world: World = { markers: [], groupOutcomes: [] };
    const nextId = { id: 1000 };
    const first = coordinatorOn(disk, world, clock, timers, nextId);
    const told = await runUntilCrash(first);
    completedWithoutCrash = !disk.crashed;
    sim.crash();

    const restartClock = new ManualClock(clock.nowMs());
    const restartTimers = new ManualTimers(restartClock);
    const second = coordinatorOn(sim, world, restartClock, restartTimers, nextId);
    await second.start();
    await settle();
    // An ongoing transaction left behind times out and is aborted.
    restartClock.advance(61_000);
    await second.check();
    await settle();
    const meta = second.stateOf(ID);
    const context = `crash at op ${crashAt}: ${JSON.stringify({ told, state: meta?.state, markers: world.markers.length })}`;

    const outcomes = new Set(world.markers.map((m) => m.commit));
    expect(outcomes.size, context).toBeLessThanOrEqual(1); // never half committed, half aborted
    for (const outcome of world.groupOutcomes) expect(outcomes.has(outcome) || outcomes.size === 0, context).toBe(true);
    if (told.endAcked) expect(meta?.state, context).toBe("CompleteCommit");
    if (meta) expect(["Empty", "CompleteCommit", "CompleteAbort"], context).toContain(meta.state);
    if (meta && meta.state !== "Empty") {
      const commit = meta.state === "CompleteCommit";
      for (const p of partitions) expect(world.markers.some((m) => m.topic === p.topic && m.partition === p.partition && m.commit === commit), context).toBe(true);
      if (told.groupAdded) expect(world.groupOutcomes, context).toContain(commit);
    }
    await second.stop();
    crashPoints++;
  }
  console.log(`crashed at each of ${crashPoints} disk operations`);
});
