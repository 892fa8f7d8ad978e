/**
 * The Fetch handler's KIP-951 leader hints (v16+) and follower fetching (KIP-392: the client rack
 * passed to the owner, a preferred read replica answered at once). The hints need a partition to answer
 * NOT_LEADER_OR_FOLLOWER: on a running broker only a partition move caught mid-fetch does, so
 * here the owner shard is a stand-in that answers so. The metadata table and sessions are real.
 */
import { expect, test } from "bun:test";
import { MetadataTable } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { FetchSessionCache } from "../fetch-sessions.ts";
import type { BrokerContext } from "../handler.ts";
import { fetchHandler } from "./fetch.ts";
import { readWaitingOn } from "../fetch-wait.ts";
import type { Clock } from "../../base/clock.ts";

const TOPIC_ID = "3e6a1f0b-9c2d-4e5f-8a7b-6c5d4e3f2a1b";

/** The owner shard's ops over a stand-in `read` and `watch`; a fetch whose partitions all live there asks `readWaiting`, which the real shard runs over them. */
function standIn(serve: (op: string, request: any) => any, clock: Clock): BrokerContext["invoke"] {
  const servers = { read: async (request: any) => serve("read", request), watch: async (request: any) => serve("watch", request) };
  return (async (_shard: number, op: string, request: any) => (op === "readWaiting" ? readWaitingOn(servers, 0, clock, request) : serve(op, request))) as BrokerContext["invoke"];
}

function context(): BrokerContext {
  const clock = { nowMs: () => 0 };
  const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "moving", id: TOPIC_ID, shards: [0, 0], configs: {} }] });
  const read = (partition: number) =>
    partition === 0
      ? { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1, logStartOffset: -1, records: new Uint8Array(0) }
      : { errorCode: ErrorCode.NONE, highWatermark: 0, logStartOffset: 0, records: new Uint8Array(0) };
  const partial: Partial<BrokerContext> = {
    shardId: 0, shardCount: 1, nodeId: 7, advertised: { host: "127.0.0.1", port: 19092 }, clock,
    metadata: () => table,
    authorize: () => true,
    invoke: standIn((op, request) => (op === "read" ? request.items.map((i: any) => read(i.partition)) : { woken: false }), clock),
    fetchSessions: new FetchSessionCache({ shardId: 0, shardCount: 1, slots: 1, clock }),
  };
  return partial as BrokerContext;
}

const fetchRequest = { replicaId: -1, replicaState: { replicaId: -1 }, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [],
  topics: [{ topic: "", topicId: TOPIC_ID, partitions: [0, 1].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1024 })) }] };
const info = (apiVersion: number) => ({ apiKey: 1, apiVersion, correlationId: 1, clientId: null });

test("v16+: a NOT_LEADER_OR_FOLLOWER partition names this node as its leader, and the response carries its endpoint", async () => {
  const response: any = await fetchHandler.handle(context(), structuredClone(fetchRequest), info(16));
  const [moving, steady] = response.responses[0].partitions;
  expect([moving.errorCode, moving.currentLeader]).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, { leaderId: 7, leaderEpoch: 0 }]);
  expect(steady.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
  expect(response.nodeEndpoints).toEqual([{ nodeId: 7, host: "127.0.0.1", port: 19092, rack: null }]);
});

test("before v16 there are no hints, as in Kafka", async () => {
  const response: any = await fetchHandler.handle(context(), structuredClone(fetchRequest), info(15));
  expect(response.responses[0].partitions[0].currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
  expect(response.nodeEndpoints).toEqual([]);
});

/** A cluster shard's stand-in: records what each read asked, answers partition 1 with a preferred read replica. */
function rackContext(rackAwareness: boolean) {
  const asked: Array<{ partition: number; clientRack?: string }> = [];
  const ops: string[] = [];
  const base = context();
  const invoke = standIn((op, request) => {
    ops.push(op);
    if (op !== "read") return { woken: false };
    return request.items.map((i: any) => {
      asked.push({ partition: i.partition, clientRack: i.clientRack });
      return { errorCode: ErrorCode.NONE, highWatermark: 5, lastStableOffset: 5, logStartOffset: 0, records: new Uint8Array(0), abortedTransactions: null, ...(i.partition === 1 && i.clientRack === "b" ? { preferredReadReplica: 2 } : {}) };
    });
  }, base.clock);
  const props = { enable_rack_awareness: rackAwareness } as BrokerContext["props"];
  return { context: { ...base, invoke, props, leaders: { get: () => undefined, lastLeader: () => undefined } } as BrokerContext, asked, ops };
}

test("follower fetching: a consumer's v11+ fetch carries its rack to the owner; a preferred read replica is answered at once, without waiting for min_bytes", async () => {
  const byName = { ...structuredClone(fetchRequest), topics: fetchRequest.topics.map((t) => ({ ...t, topic: "moving" })) }; // before v13 topics go by name
  const waiting = { ...byName, rackId: "b", minBytes: 1, maxWaitMs: 5000 };
  const on = rackContext(true);
  const response: any = await fetchHandler.handle(on.context, structuredClone(waiting), info(11));
  expect(response.responses[0].partitions.map((p: any) => p.preferredReadReplica)).toEqual([-1, 2]);
  expect(on.asked.map((a) => a.clientRack)).toEqual(["b", "b"]);
  expect(on.ops).toEqual(["read"]); // no watch: answered at once
  // Not asked of a follower's fetch, before v11, or with rack awareness off: only leaders serve those.
  for (const [ctx, request, version] of [
    [rackContext(true), { ...waiting, replicaId: 1, replicaState: { replicaId: 1 }, maxWaitMs: 0 }, 11],
    [rackContext(true), { ...waiting, maxWaitMs: 0 }, 10],
    [rackContext(false), { ...waiting, maxWaitMs: 0 }, 11],
  ] as const) {
    await fetchHandler.handle(ctx.context, structuredClone(request), info(version));
    expect(ctx.asked.map((a) => a.clientRack)).toEqual([undefined, undefined]);
  }
});
