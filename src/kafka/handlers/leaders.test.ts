/**
 * What Metadata says of a partition whose Raft group has no leader known: the last leader, or, on
 * the node that was it (cut off from its peers, it stepped down), another replica, so that a
 * client that asks only this node is sent towards the side that can elect one. The leader table
 * is a stand-in holding what the shard's table (replication/leaders.ts) would.
 */
import { expect, test } from "bun:test";
import type { TopicRecord } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerContext } from "../handler.ts";
import { describePartition } from "./leaders.ts";

const GROUP = 7;
const topic: TopicRecord = {
  name: "t", id: "00000000-0000-0000-0000-000000000007", shards: [0], configs: {},
  assignments: [{ group: GROUP, replicas: [1, 2, 3].map((node) => ({ node, shard: 0 })) }],
};

type Known = { leader: number | null; term: number; inSync: number[] };

/** What the shard's table holds of GROUP: the latest report, and the last leader any report named. */
class Leaders {
  private known: Known | undefined;
  private last: number | undefined;
  report(info: Known): void {
    this.known = info;
    if (info.leader !== null) this.last = info.leader;
  }
  get = (group: number) => (group === GROUP ? this.known : undefined);
  lastLeader = (group: number) => (group === GROUP ? this.last : undefined);
}

function on(nodeId: number, leaders: Leaders): BrokerContext {
  return { nodeId, leaders } as Partial<BrokerContext> as BrokerContext;
}

test("no leader ever known: LEADER_NOT_AVAILABLE", () => {
  const leaders = new Leaders();
  expect(describePartition(on(1, leaders), topic, 0)).toMatchObject({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1 });
  leaders.report({ leader: null, term: 1, inSync: [] });
  expect(describePartition(on(1, leaders), topic, 0)).toMatchObject({ errorCode: ErrorCode.LEADER_NOT_AVAILABLE, leaderId: -1, leaderEpoch: 1 });
});

test("a known leader is named with its term and in-sync replicas", () => {
  const leaders = new Leaders();
  leaders.report({ leader: 2, term: 3, inSync: [2, 3] });
  expect(describePartition(on(1, leaders), topic, 0)).toEqual({
    errorCode: ErrorCode.NONE, partitionIndex: 0, leaderId: 2, leaderEpoch: 3, replicaNodes: [1, 2, 3], isrNodes: [2, 3], offlineReplicas: [],
  });
});

test("a leader that stepped down elsewhere stays named until a new one is known", () => {
  const leaders = new Leaders();
  leaders.report({ leader: 2, term: 3, inSync: [1, 2, 3] });
  leaders.report({ leader: null, term: 4, inSync: [] }); // an election under way
  expect(describePartition(on(1, leaders), topic, 0)).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: 2, leaderEpoch: 4, isrNodes: [2] });
  leaders.report({ leader: 3, term: 4, inSync: [1, 3] });
  expect(describePartition(on(1, leaders), topic, 0)).toMatchObject({ errorCode: ErrorCode.NONE, leaderId: 3, leaderEpoch: 4 });
});

test("on the node that led and stepped down: another replica, never itself, both in turn", () => {
  const leaders = new Leaders();
  leaders.report({ leader: 1, term: 3, inSync: [1, 2, 3] });
  leaders.report({ leader: null, term: 3, inSync: [] }); // it lost touch with a majority
  const named = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const answer = describePartition(on(1, leaders), topic, 0);
    expect(answer.errorCode).toBe(ErrorCode.NONE);
    named.add(answer.leaderId);
  }
  expect([...named].sort()).toEqual([2, 3]);
});
