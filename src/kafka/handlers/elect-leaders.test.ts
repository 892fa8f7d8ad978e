/**
 * The ElectLeaders handler's answers per partition. The metadata table is real; the leader table
 * and the leader's replica (`invokeLeader`) are stand-ins that record the transfers asked, since
 * only their answers matter here (the transfer itself: test/e2e/cluster-elect-leaders.test.ts).
 */
import { expect, test } from "bun:test";
import { MetadataTable } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ElectLeadersResponse } from "../../protocol/messages/index.ts";
import type { BrokerContext } from "../handler.ts";
import { electLeadersHandler } from "./elect-leaders.ts";

const ID = "3e6a1f0b-9c2d-4e5f-8a7b-6c5d4e3f2a1b";
const replicas = (nodes: number[]) => nodes.map((node) => ({ node, shard: 0 }));
/** Group 10 + p; the preferred replica of every partition is node 1. */
const LEADERS: Record<number, { leader: number | null; inSync: number[] }> = {
  10: { leader: 1, inSync: [1, 2, 3] }, // led by the preferred replica
  11: { leader: 2, inSync: [1, 2, 3] }, // movable
  12: { leader: 2, inSync: [2, 3] }, // the preferred replica lags
  13: { leader: null, inSync: [] }, // no leader known
};

/** `transfersFinish`: a started transfer makes its target the leader (as the group's report would), or never does. */
function context(cluster: boolean, allowed = true, leaderDown = false, transfersFinish = true) {
  const transfers: unknown[] = [];
  const leaders = structuredClone(LEADERS);
  const topic = { name: "t", id: ID, shards: [0, 0, 0, 0], configs: {}, ...(cluster && { assignments: [0, 1, 2, 3].map((p) => ({ group: 10 + p, replicas: replicas([1, 2, 3]) })) }) };
  const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [topic] });
  const partial: Partial<BrokerContext> = {
    metadata: () => table,
    authorize: () => allowed,
    clock: { nowMs: () => Date.now() },
    ...(cluster && {
      leaders: { get: (group: number) => ({ term: 1, ...leaders[group]! }), lastLeader: () => undefined },
      invokeLeader: (async (_t: string, p: number, op: string, request: { to: number }) => {
        if (leaderDown) throw new Error("no link to node 2");
        transfers.push({ op, request });
        if (transfersFinish) setTimeout(() => (leaders[10 + p]!.leader = request.to), 50);
        return { errorCode: ErrorCode.NONE, errorMessage: null };
      }) as BrokerContext["invokeLeader"],
    }),
  };
  return { context: partial as BrokerContext, transfers };
}

const info = { apiKey: 43, apiVersion: 2, correlationId: 1, clientId: null };
const ask = async (c: BrokerContext, electionType: number, partitions: number[] | null, timeoutMs = 1000) => {
  const r = (await electLeadersHandler.handle(c, { electionType, topicPartitions: partitions && [{ topic: "t", partitions }], timeoutMs }, info)) as ElectLeadersResponse;
  return { errorCode: r.errorCode, results: r.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => [t.topic, p.partitionId, p.errorCode])) };
};

test("preferred: a transfer only where another replica leads and the preferred one is in sync", async () => {
  const { context: c, transfers } = context(true);
  expect((await ask(c, 0, [0, 1, 2, 3, 9])).results).toEqual([
    ["t", 0, ErrorCode.ELECTION_NOT_NEEDED],
    ["t", 1, ErrorCode.NONE],
    ["t", 2, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
    ["t", 3, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE],
    ["t", 9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
  ]);
  expect(transfers).toEqual([{ op: "transferLeader", request: { topic: "t", partition: 1, to: 1 } }]);
});

test("preferred: answered once the preferred replica leads; a transfer not finished within timeoutMs is REQUEST_TIMED_OUT", async () => {
  const finishing = context(true);
  const startedMs = Date.now();
  expect((await ask(finishing.context, 0, [1])).results).toEqual([["t", 1, ErrorCode.NONE]]);
  expect(Date.now() - startedMs).toBeGreaterThanOrEqual(45); // waited for the new leader
  expect((await ask(finishing.context, 0, [1])).results).toEqual([["t", 1, ErrorCode.ELECTION_NOT_NEEDED]]);
  expect((await ask(context(true, true, false, false).context, 0, [1], 100)).results).toEqual([["t", 1, ErrorCode.REQUEST_TIMED_OUT]]);
});

test("preferred: a leader that cannot be reached is PREFERRED_LEADER_NOT_AVAILABLE (retriable)", async () => {
  expect((await ask(context(true, true, true).context, 0, [1])).results).toEqual([["t", 1, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]]);
});

test("unclean: never elects; a partition with a leader needs none, one without has no eligible leader", async () => {
  const { context: c, transfers } = context(true);
  expect((await ask(c, 1, [0, 1, 3])).results).toEqual([["t", 0, ErrorCode.ELECTION_NOT_NEEDED], ["t", 1, ErrorCode.ELECTION_NOT_NEEDED], ["t", 3, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]]);
  expect(transfers).toEqual([]);
});

test("null topic partitions: every partition; on a node of one none needs an election", async () => {
  expect(await ask(context(false).context, 0, null)).toEqual({ errorCode: ErrorCode.NONE, results: [0, 1, 2, 3].map((p) => ["t", p, ErrorCode.ELECTION_NOT_NEEDED]) });
  const { context: c, transfers } = context(true);
  expect((await ask(c, 0, null)).results.map((r) => r[2])).toEqual([ErrorCode.ELECTION_NOT_NEEDED, ErrorCode.NONE, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE]);
  expect(transfers.length).toBe(1);
});

test("without ALTER on the cluster: CLUSTER_AUTHORIZATION_FAILED, and all partitions asked answer an empty list", async () => {
  const { context: c, transfers } = context(true, false);
  expect(await ask(c, 0, null)).toEqual({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] });
  expect(await ask(c, 0, [1])).toEqual({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [["t", 1, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]] });
  expect(transfers).toEqual([]);
});
