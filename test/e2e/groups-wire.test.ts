/**
 * Group APIs on the wire against the compiled broker (--smp 2), with skua's own codec: the
 * advertised versions, FindCoordinator (batched and not), the two-step join, and client
 * mistakes each answered with the error code a client expects while the group carries on.
 */
import { afterAll, beforeAll, describe, expect, test, setDefaultTimeout } from "bun:test";
import { shards, startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient, withAdmin } from "../helpers/kafka.ts";
import { WireClient } from "../helpers/wire.ts";
import { shardOfGroup } from "../../src/group/partitioning.ts";

setDefaultTimeout(60_000);

const Api = { OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16, ApiVersions: 18, DeleteGroups: 42, OffsetDelete: 47 };
const E = { NONE: 0, UNKNOWN_TOPIC_OR_PARTITION: 3, COORDINATOR_NOT_AVAILABLE: 15, ILLEGAL_GENERATION: 22, INCONSISTENT_GROUP_PROTOCOL: 23, UNKNOWN_MEMBER_ID: 25, INVALID_SESSION_TIMEOUT: 26, INVALID_REQUEST: 42, NON_EMPTY_GROUP: 68, GROUP_ID_NOT_FOUND: 69, MEMBER_ID_REQUIRED: 79 };
const METADATA_BYTES_MAX = 1024 * 1024;

/** Two group ids owned by different shards, so both shards' coordinators are exercised. */
function groupOnShard(shard: number, prefix: string): string {
  for (let i = 0; ; i++) if (shardOfGroup(`${prefix}-${i}`, 2) === shard) return `${prefix}-${i}`;
}

function joinBody(groupId: string, memberId: string, overrides: object = {}) {
  return { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: new Uint8Array([0, 0, 0, 0, 0, 0, 255, 255, 255, 255]) }], ...overrides };
}

/** A one-member group that is Stable: the v5 two-step join, then sync. */
async function stableMember(client: WireClient, groupId: string): Promise<{ memberId: string; generationId: number }> {
  const first = await client.request(Api.JoinGroup, 5, joinBody(groupId, ""));
  expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
  const joined = await client.request(Api.JoinGroup, 5, joinBody(groupId, first.memberId));
  expect(joined.errorCode).toBe(E.NONE);
  const synced = await client.request(Api.SyncGroup, 3, { groupId, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, assignments: [{ memberId: joined.memberId, assignment: new Uint8Array([1, 2, 3]) }] });
  expect(synced.errorCode).toBe(E.NONE);
  expect([...synced.assignment]).toEqual([1, 2, 3]);
  return { memberId: joined.memberId, generationId: joined.generationId };
}

describe("group APIs on the wire (--smp 2)", () => {
  let broker: Broker;
  let client: WireClient;

  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
    await createTopic(kafkaClient(broker), "wire-t", 2);
    client = await WireClient.connect(broker.kafkaPort);
  });

  afterAll(async () => {
    client?.close();
    await broker?.[Symbol.asyncDispose]();
  });

  test("ApiVersions advertises every group API with its range", async () => {
    const { apiKeys } = await client.request(Api.ApiVersions, 3, { clientSoftwareName: "wire", clientSoftwareVersion: "1" });
    const range = (key: number) => apiKeys.filter((k: any) => k.apiKey === key).map((k: any) => [k.minVersion, k.maxVersion])[0];
    expect(range(Api.FindCoordinator)).toEqual([0, 6]);
    expect(range(Api.JoinGroup)).toEqual([0, 9]);
    expect(range(Api.SyncGroup)).toEqual([0, 5]);
    expect(range(Api.Heartbeat)).toEqual([0, 4]);
    expect(range(Api.LeaveGroup)).toEqual([0, 5]);
    expect(range(Api.OffsetCommit)).toEqual([0, 9]);
    expect(range(Api.OffsetFetch)).toEqual([0, 9]);
    expect(range(Api.ListGroups)).toEqual([0, 5]);
    expect(range(Api.DescribeGroups)).toEqual([0, 5]);
    expect(range(Api.DeleteGroups)).toEqual([0, 2]);
    expect(range(Api.OffsetDelete)).toEqual([0, 0]);
  });

  test("FindCoordinator answers this broker for groups (v0–3 and batched v4) and for transactional ids (key type 1)", async () => {
    for (const version of [0, 1, 2, 3]) {
      const answer = await client.request(Api.FindCoordinator, version, { key: "some-group", keyType: 0 });
      expect([answer.errorCode, answer.nodeId, answer.host, answer.port]).toEqual([E.NONE, 0, "127.0.0.1", broker.kafkaPort]);
    }
    const batched = await client.request(Api.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ["a", "b"] });
    expect(batched.coordinators.map((c: any) => [c.key, c.errorCode, c.nodeId, c.port])).toEqual([["a", E.NONE, 0, broker.kafkaPort], ["b", E.NONE, 0, broker.kafkaPort]]);
    const txn = await client.request(Api.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ["tx", ""] });
    expect(txn.coordinators.map((c: any) => [c.key, c.errorCode, c.nodeId, c.port])).toEqual([["tx", E.NONE, 0, broker.kafkaPort], ["", E.INVALID_REQUEST, -1, -1]]);
  });

  test("client mistakes get their error codes; the group stays Stable at the same generation", async () => {
    for (const shard of [0, 1]) {
      const groupId = groupOnShard(shard, "mistakes");
      const { memberId, generationId } = await stableMember(client, groupId);
      const heartbeat = (body: object) => client.request(Api.Heartbeat, 3, { groupId, generationId, memberId, groupInstanceId: null, ...body });
      expect((await heartbeat({ memberId: "nobody" })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
      expect((await heartbeat({ generationId: generationId + 1 })).errorCode).toBe(E.ILLEGAL_GENERATION);
      expect((await client.request(Api.JoinGroup, 5, joinBody(groupId, "", { sessionTimeoutMs: 10 }))).errorCode).toBe(E.INVALID_SESSION_TIMEOUT);
      expect((await client.request(Api.JoinGroup, 5, joinBody(groupId, "", { protocolType: "connect" }))).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
      const huge = joinBody(groupId, "", { protocols: [{ name: "range", metadata: new Uint8Array(METADATA_BYTES_MAX + 1) }] });
      expect((await client.request(Api.JoinGroup, 5, huge)).errorCode).toBe(E.INVALID_REQUEST);
      const commit = await client.request(Api.OffsetCommit, 8, {
        groupId, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: null,
        topics: [{ name: "wire-t", partitions: [{ partitionIndex: 0, committedOffset: 42, committedLeaderEpoch: -1, committedMetadata: "m" }, { partitionIndex: 7, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] },
          { name: "no-such-topic", partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
      });
      expect(commit.topics.flatMap((t: any) => t.partitions.map((p: any) => p.errorCode))).toEqual([E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION, E.UNKNOWN_TOPIC_OR_PARTITION]);
      const staleCommit = await client.request(Api.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: generationId - 1, memberId, groupInstanceId: null, topics: [{ name: "wire-t", partitions: [{ partitionIndex: 1, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      expect(staleCommit.topics[0].partitions[0].errorCode).toBe(E.ILLEGAL_GENERATION);

      expect((await heartbeat({})).errorCode).toBe(E.NONE);
      const described = await client.request(Api.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
      expect([described.groups[0].groupState, described.groups[0].members.length, described.groups[0].protocolData]).toEqual(["Stable", 1, "range"]);
      const fetched = await client.request(Api.OffsetFetch, 7, { groupId, topics: [{ name: "wire-t", partitionIndexes: [0, 1] }], requireStable: false });
      expect(fetched.topics[0].partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual([[0, 42, "m"], [1, -1, ""]]);
    }
  });

  test("OffsetFetch v8 batches groups across shards; ListGroups filters by state; LeaveGroup v3, DeleteGroups and OffsetDelete", async () => {
    const active = groupOnShard(0, "batch");
    const standalone = groupOnShard(1, "batch");
    const { memberId } = await stableMember(client, active);
    const commit = await client.request(Api.OffsetCommit, 2, { groupId: standalone, generationIdOrMemberEpoch: -1, memberId: "", retentionTimeMs: -1, topics: [{ name: "wire-t", partitions: [{ partitionIndex: 1, committedOffset: 9, committedMetadata: null }] }] });
    expect(commit.topics[0].partitions[0].errorCode).toBe(E.NONE);

    const fetched = await client.request(Api.OffsetFetch, 8, { groups: [{ groupId: active, topics: null }, { groupId: standalone, topics: null }], requireStable: false });
    expect(fetched.groups.map((g: any) => [g.groupId, g.topics.flatMap((t: any) => t.partitions.map((p: any) => p.committedOffset))])).toEqual([[active, []], [standalone, [9]]]);

    const stable = await client.request(Api.ListGroups, 4, { statesFilter: ["Stable"] });
    expect(stable.groups.map((g: any) => g.groupId)).toContain(active);
    expect(stable.groups.map((g: any) => g.groupId)).not.toContain(standalone);
    const empty = await client.request(Api.ListGroups, 4, { statesFilter: ["Empty"] });
    expect(empty.groups.map((g: any) => g.groupId)).toContain(standalone);

    expect((await client.request(Api.DeleteGroups, 2, { groupsNames: [active] })).results[0].errorCode).toBe(E.NON_EMPTY_GROUP);
    const left = await client.request(Api.LeaveGroup, 3, { groupId: active, members: [{ memberId, groupInstanceId: null }, { memberId: "nobody", groupInstanceId: null }] });
    expect(left.members.map((m: any) => m.errorCode)).toEqual([E.NONE, E.UNKNOWN_MEMBER_ID]);
    const deleted = await client.request(Api.DeleteGroups, 2, { groupsNames: [active, "never-existed"] });
    expect(deleted.results.map((r: any) => r.errorCode)).toEqual([E.NONE, E.GROUP_ID_NOT_FOUND]);
    const gone = await client.request(Api.DescribeGroups, 5, { groups: [active], includeAuthorizedOperations: false });
    expect(gone.groups[0].groupState).toBe("Dead");

    const offsetDelete = await client.request(Api.OffsetDelete, 0, { groupId: standalone, topics: [{ name: "wire-t", partitions: [{ partitionIndex: 1 }] }, { name: "no-such-topic", partitions: [{ partitionIndex: 0 }] }] });
    expect([offsetDelete.errorCode, ...offsetDelete.topics.map((t: any) => t.partitions[0].errorCode)]).toEqual([E.NONE, E.NONE, E.UNKNOWN_TOPIC_OR_PARTITION]);
    const after = await client.request(Api.OffsetFetch, 7, { groupId: standalone, topics: [{ name: "wire-t", partitionIndexes: [1] }], requireStable: false });
    expect(after.topics[0].partitions[0].committedOffset).toBe(-1);
  });
});

describe("group state across restarts with another shard count", () => {
  test("committed offsets are found and deleted groups stay deleted after --smp 2 → 3 → 1", async () => {
    await using broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
    await createTopic(kafkaClient(broker), "moved", 4);
    const groups = Array.from({ length: 30 }, (_, i) => `moving-${i}`);
    let client = await WireClient.connect(broker.kafkaPort);
    for (const [i, groupId] of groups.entries()) {
      const commit = await client.request(Api.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "moved", partitions: [{ partitionIndex: i % 4, committedOffset: 1000 + i, committedLeaderEpoch: -1, committedMetadata: `m${i}` }] }] });
      expect(commit.topics[0].partitions[0].errorCode).toBe(E.NONE);
    }
    const deleted = await client.request(Api.DeleteGroups, 2, { groupsNames: groups.slice(0, 5) });
    expect(deleted.results.map((r: any) => r.errorCode)).toEqual([0, 0, 0, 0, 0]);
    client.close();

    for (const smp of [3, 1]) {
      await broker.restart({ smp });
      expect((await shards(broker)).length).toBe(smp);
      client = await WireClient.connect(broker.kafkaPort);
      const fetched = await client.request(Api.OffsetFetch, 8, { groups: groups.map((groupId) => ({ groupId, topics: null })), requireStable: false });
      const found = fetched.groups.map((g: any) => g.topics.flatMap((t: any) => t.partitions.map((p: any) => [p.partitionIndex, p.committedOffset, p.metadata])));
      expect(found).toEqual(groups.map((_, i) => (i < 5 ? [] : [[i % 4, 1000 + i, `m${i}`]])));
      const listed = await client.request(Api.ListGroups, 4, { statesFilter: [] });
      expect(listed.groups.map((g: any) => g.groupId).sort()).toEqual(groups.slice(5).sort());
      client.close();
    }
  });
});

describe("offsets of a deleted topic", () => {
  test("are dropped when the topic is deleted, stay dropped after a restart, and a recreated topic starts with none", async () => {
    await using broker = await startBroker({ smp: 2 });
    const kafka = kafkaClient(broker);
    await createTopic(kafka, "doomed", 2);
    let client = await WireClient.connect(broker.kafkaPort);
    const groups = [groupOnShard(0, "doomed-g"), groupOnShard(1, "doomed-g")];
    for (const groupId of groups) {
      const commit = await client.request(Api.OffsetCommit, 8, { groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "doomed", partitions: [{ partitionIndex: 1, committedOffset: 77, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      expect(commit.topics[0].partitions[0].errorCode).toBe(E.NONE);
    }
    await withAdmin(kafka, (admin) => admin.deleteTopics({ topics: ["doomed"] }));
    await createTopic(kafka, "doomed", 2);
    const committed = async () => {
      const fetched = await client.request(Api.OffsetFetch, 8, { groups: groups.map((groupId) => ({ groupId, topics: [{ name: "doomed", partitionIndexes: [1] }] })), requireStable: false });
      return fetched.groups.map((g: any) => g.topics[0].partitions[0].committedOffset);
    };
    expect(await committed()).toEqual([-1, -1]);
    client.close();
    await broker.restart();
    client = await WireClient.connect(broker.kafkaPort);
    expect(await committed()).toEqual([-1, -1]);
    client.close();
  });
});
