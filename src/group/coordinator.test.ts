/**
 * Group coordinators over the simulated disk: acknowledged commits survive power loss and a
 * change of shard count, deleted groups stay deleted, offsets of deleted topics and expired
 * offsets go, and client mistakes are answered per partition without touching the rest.
 */
import { describe, expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import type { Logger } from "../base/log.ts";
import { limits } from "../base/limits.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties, type ClusterProperties } from "../cluster/properties.ts";
import { SimDisk } from "../io/sim-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { GroupCoordinator } from "./coordinator.ts";
import { shardOfGroup } from "./partitioning.ts";
import type { CommitPartition } from "./types.ts";

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
const DATA_DIR = "/data";
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function table(topics: Record<string, number>): MetadataTable {
  return MetadataTable.fromSnapshot({
    version: 1,
    shardCount: 1,
    topics: Object.entries(topics).map(([name, partitions]) => ({ name, id: crypto.randomUUID(), shards: new Array(partitions).fill(0), configs: {} })),
  });
}

/** One coordinator per shard, as a broker with `shardCount` shards has. */
async function startShards(disk: SimDisk, shardCount: number, metadata: MetadataTable, clock = new ManualClock(1_000_000), props: ClusterProperties = noDelay()) {
  const timers = new ManualTimers(clock); // time moves only when a test moves it
  const coordinators = Array.from({ length: shardCount }, (_, shardId) =>
    new GroupCoordinator({ shardId, shardCount, dataDir: DATA_DIR, disk, props, clock, timers, log: quiet, metadata: () => metadata }),
  );
  await Promise.all(coordinators.map((c) => c.start()));
  const owner = (groupId: string) => coordinators[shardOfGroup(groupId, shardCount)];
  const stop = () => Promise.all(coordinators.map((c) => c.stop()));
  return { coordinators, owner, stop, clock, timers };
}

/** Joins complete at once: the manual clock never reaches a first-rebalance delay. */
function noDelay(): ClusterProperties {
  return { ...defaultProperties(), group_initial_rebalance_delay: 0 };
}

const commitOf = (topic: string, partition: number, offset: number, metadata: string | null = null): CommitPartition => ({ topic, partition, offset, leaderEpoch: -1, metadata });

async function freshDisk(): Promise<SimDisk> {
  const disk = new SimDisk(SEED);
  await disk.mkdirp(DATA_DIR);
  return disk;
}

describe(`group coordinator durability (SEED=${SEED})`, () => {
  test("acknowledged commits survive power loss and a restart with another shard count", async () => {
    const disk = await freshDisk();
    const metadata = table({ t: 4 });
    const before = await startShards(disk, 2, metadata);
    const expected = new Map<string, number>();
    for (let g = 0; g < 40; g++) {
      const groupId = `group-${g}`;
      for (let round = 0; round < 3; round++) {
        const offset = g * 100 + round;
        const codes = await before.owner(groupId).commit({ groupId, generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", g % 4, offset)] });
        expect(codes).toEqual([ErrorCode.NONE]);
        expected.set(groupId, offset);
      }
    }
    disk.crash();
    await before.stop().catch(() => undefined);
    const after = await startShards(disk, 3, metadata);
    for (const [groupId, offset] of expected) {
      const fetched = after.owner(groupId).fetchOffsets({ groupId, topics: [{ topic: "t", partitions: [Number(groupId.split("-")[1]) % 4] }] });
      expect(fetched.offsets[0].offset).toBe(offset);
    }
    const listed = after.coordinators.flatMap((c) => c.list([]));
    expect(listed.length).toBe(40);
    await after.stop();
  });

  test("transactional offsets stay pending until the outcome arrives; pending ones and the outcome survive power loss", async () => {
    const disk = await freshDisk();
    const metadata = table({ t: 2 });
    const first = await startShards(disk, 1, metadata);
    const c = first.coordinators[0];
    const txnCommit = (producerId: number, partition: number, offset: number) =>
      c.txnCommit({ groupId: "g", producerId, producerEpoch: 0, generationId: -1, memberId: "", groupInstanceId: null, partitions: [commitOf("t", partition, offset)] });
    const offsetOf = (co: GroupCoordinator, partition: number) => co.fetchOffsets({ groupId: "g", topics: [{ topic: "t", partitions: [partition] }] }).offsets[0].offset;
    expect(await txnCommit(1, 0, 10)).toEqual([ErrorCode.NONE]);
    expect(await txnCommit(2, 1, 20)).toEqual([ErrorCode.NONE]);
    expect(offsetOf(c, 0)).toBe(-1); // not visible before the commit marker
    const stable = c.fetchOffsets({ groupId: "g", topics: [{ topic: "t", partitions: [0] }], requireStable: true });
    expect(stable.offsets[0].errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT); // OffsetFetch v7+ require_stable
    expect(await c.txnComplete({ groupId: "g", producerId: 1, commit: true })).toBe(ErrorCode.NONE);
    expect(offsetOf(c, 0)).toBe(10);
    disk.crash();
    await first.stop().catch(() => undefined);
    const second = await startShards(disk, 1, metadata);
    const c2 = second.coordinators[0];
    expect(offsetOf(c2, 0)).toBe(10);
    expect(offsetOf(c2, 1)).toBe(-1); // producer 2's transaction is still open
    expect(await c2.txnComplete({ groupId: "g", producerId: 2, commit: false })).toBe(ErrorCode.NONE);
    expect(await c2.txnComplete({ groupId: "g", producerId: 2, commit: true })).toBe(ErrorCode.NONE); // nothing left to apply
    expect(offsetOf(c2, 1)).toBe(-1);
    await second.stop();
    const third = await startShards(disk, 1, metadata);
    expect(offsetOf(third.coordinators[0], 1)).toBe(-1);
    expect(offsetOf(third.coordinators[0], 0)).toBe(10);
    await third.stop();
  });

  test("a deleted group stays deleted after a restart; a group with members cannot be deleted", async () => {
    const disk = await freshDisk();
    const metadata = table({ t: 1 });
    const first = await startShards(disk, 1, metadata);
    const c = first.coordinators[0];
    await c.commit({ groupId: "gone", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", 0, 5)] });
    const joined = await c.join({ groupId: "busy", memberId: "", groupInstanceId: null, clientId: "x", clientHost: "", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array(0) }], requireKnownMemberId: false });
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    expect(await c.deleteGroup("busy")).toBe(ErrorCode.NON_EMPTY_GROUP);
    expect(await c.deleteGroup("gone")).toBe(ErrorCode.NONE);
    expect(await c.deleteGroup("gone")).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    await first.stop();
    const second = await startShards(disk, 1, metadata);
    expect(second.coordinators[0].describe("gone").state).toBe("Dead");
    expect(second.coordinators[0].fetchOffsets({ groupId: "gone", topics: null }).offsets).toEqual([]);
    expect(second.coordinators[0].describe("busy").state).toBe("Empty"); // members are not kept across restarts
    await second.stop();
  });

  test("offsets of topics gone from metadata are dropped at start, and on dropTopic while running", async () => {
    const disk = await freshDisk();
    const first = await startShards(disk, 1, table({ keep: 1, drop: 1, later: 1 }));
    const c = first.coordinators[0];
    await c.commit({ groupId: "g", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("keep", 0, 1), commitOf("drop", 0, 2), commitOf("later", 0, 3)] });
    await c.dropTopic("later");
    expect(c.fetchOffsets({ groupId: "g", topics: null }).offsets.map((o) => o.topic).sort()).toEqual(["drop", "keep"]);
    await first.stop();
    const second = await startShards(disk, 1, table({ keep: 1 }));
    expect(second.coordinators[0].fetchOffsets({ groupId: "g", topics: null }).offsets.map((o) => [o.topic, o.offset])).toEqual([["keep", 1]]);
    await second.stop();
  });

  test("offsets of an empty group expire after group_offset_retention_sec, and the group with them", async () => {
    const disk = await freshDisk();
    const props = { ...noDelay(), group_offset_retention_sec: 60 };
    const metadata = table({ t: 2 });
    const shards = await startShards(disk, 1, metadata, new ManualClock(1_000_000), props);
    const c = shards.coordinators[0];
    await c.commit({ groupId: "old", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", 0, 1)] });
    shards.clock.advance(30_000);
    await c.commit({ groupId: "old", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", 1, 2)] });
    shards.clock.advance(30_000);
    await c.expireOffsets();
    expect(c.fetchOffsets({ groupId: "old", topics: null }).offsets.map((o) => o.partition)).toEqual([1]);
    shards.clock.advance(30_000);
    await c.expireOffsets();
    expect(c.describe("old").state).toBe("Dead");
    await shards.stop();
    const again = await startShards(disk, 1, metadata, shards.clock, props);
    expect(again.coordinators[0].list([])).toEqual([]);
    await again.stop();
  });
  test("an OffsetCommit v1 commit time counts for retention instead of the broker's time", async () => {
    const disk = await freshDisk();
    const props = { ...noDelay(), group_offset_retention_sec: 60 };
    const shards = await startShards(disk, 1, table({ t: 2 }), new ManualClock(1_000_000), props);
    const c = shards.coordinators[0];
    const args = { groupId: "v1", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION };
    await c.commit({ ...args, partitions: [{ ...commitOf("t", 0, 1), commitTimestampMs: 1_000_000 - 59_000 }, { ...commitOf("t", 1, 2), commitTimestampMs: -1 }] });
    shards.clock.advance(2_000);
    await c.expireOffsets();
    expect(c.fetchOffsets({ groupId: "v1", topics: null }).offsets.map((o) => o.partition)).toEqual([1]);
    await shards.stop();
  });
});

describe("client mistakes", () => {
  test("commits: unknown topic or partition and oversized metadata fail per partition; the rest commit", async () => {
    const disk = await freshDisk();
    const shards = await startShards(disk, 1, table({ t: 2 }));
    const c = shards.coordinators[0];
    const codes = await c.commit({
      groupId: "g", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION,
      partitions: [commitOf("t", 0, 7), commitOf("t", 9, 1), commitOf("nope", 0, 1), commitOf("t", 1, 8, "x".repeat(limits.offsetMetadataBytesMax + 1))],
    });
    expect(codes).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
    expect(c.fetchOffsets({ groupId: "g", topics: null }).offsets.map((o) => [o.partition, o.offset])).toEqual([[0, 7]]);
    expect(await c.commit({ groupId: "", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", 0, 1)] })).toEqual([ErrorCode.INVALID_GROUP_ID]);
    expect(await c.commit({ groupId: "g2", generationId: 3, memberId: "m", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", 0, 1)] })).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await c.commit({ groupId: "g2", generationId: 3, memberId: "m", groupInstanceId: null, missingGroupErrorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [commitOf("t", 0, 1)] })).toEqual([ErrorCode.GROUP_ID_NOT_FOUND]);
    await shards.stop();
  });

  test("joins: bad session timeout, oversized metadata, empty group id; the group is untouched", async () => {
    const disk = await freshDisk();
    const shards = await startShards(disk, 1, table({}));
    const c = shards.coordinators[0];
    const base = { groupId: "g", memberId: "", groupInstanceId: null, clientId: "x", clientHost: "", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array(4) }], requireKnownMemberId: false };
    const member = await c.join(base);
    expect(member.errorCode).toBe(ErrorCode.NONE);
    expect((await c.join({ ...base, sessionTimeoutMs: 10 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.join({ ...base, sessionTimeoutMs: 10_000_000 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await c.join({ ...base, protocols: [{ name: "range", metadata: new Uint8Array(limits.groupProtocolMetadataBytesMax + 1) }] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await c.join({ ...base, groupId: "" })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await c.sync({ groupId: "g", memberId: member.memberId, generationId: 1, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: member.memberId, assignment: new Uint8Array(limits.groupAssignmentBytesMax + 1) }] })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(c.describe("g").state).toBe("CompletingRebalance");
    expect(c.describe("g").members.length).toBe(1);
    await shards.stop();
  });
});

describe("timers on virtual time", () => {
  test("a member whose session runs out is removed when the virtual clock passes its deadline", async () => {
    const disk = await freshDisk();
    const shards = await startShards(disk, 1, table({}));
    const c = shards.coordinators[0];
    const joined = await c.join({ groupId: "g", memberId: "", groupInstanceId: null, clientId: "x", clientHost: "", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array(0) }], requireKnownMemberId: false });
    expect(joined.errorCode).toBe(ErrorCode.NONE);
    shards.timers.advance(9_000);
    expect(c.describe("g").members.length).toBe(1);
    shards.timers.advance(2_000);
    expect(c.describe("g").members.length).toBe(0);
    await shards.stop();
    expect(shards.timers.pendingCount).toBe(0); // stop cancels every timer
  });

  test("offset expiry runs every group_offset_retention_check_ms of virtual time", async () => {
    const disk = await freshDisk();
    const props = { ...noDelay(), group_offset_retention_sec: 60, group_offset_retention_check_ms: 10_000 };
    const shards = await startShards(disk, 1, table({ t: 1 }), new ManualClock(1_000_000), props);
    const c = shards.coordinators[0];
    await c.commit({ groupId: "old", generationId: -1, memberId: "", groupInstanceId: null, missingGroupErrorCode: ErrorCode.ILLEGAL_GENERATION, partitions: [commitOf("t", 0, 1)] });
    expect(shards.timers.advance(55_000)).toBe(5);
    await Bun.sleep(0);
    expect(c.describe("old").state).toBe("Empty");
    shards.timers.advance(10_000);
    await Bun.sleep(0); // lets the expiry started by the timer finish its (simulated, in-memory) tombstone write
    expect(c.describe("old").state).toBe("Dead");
    await shards.stop();
  });
});
