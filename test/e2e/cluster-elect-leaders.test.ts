/**
 * ElectLeaders (43) on three `dist/skua` nodes: leadership is moved off a partition's preferred
 * replica (the first of its assignment) with the admin transfer endpoint, then a raw preferred
 * ElectLeaders, sent to the node that is neither, gives it back (through that node's RPC to the
 * leader) and answers once it has; asked again it is ELECTION_NOT_NEEDED. Unclean elections and unknown partitions are
 * answered without an election. The leader balancer is off, so only these requests move leaders.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { withAdmin } from "../chaos/workload.ts";
import { startCluster } from "../helpers/cluster.ts";
import { metadata, WireClient } from "../helpers/wire.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";
import type { ElectLeadersResponse } from "../../src/protocol/messages/index.ts";

setDefaultTimeout(60_000);

const TOPIC = "elect";
const ELECT_LEADERS = 43;

test("a preferred election gives leadership back to the first replica", async () => {
  await using cluster = await startCluster({ nodes: 3, sets: { enable_leader_balancer: "false" } });
  await withAdmin(cluster.bootstrap, (admin) => admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }], waitForLeaders: true }));
  const node = (id: number) => cluster.nodes.find((n) => n.id === id)!;
  const connect = (address: string) => WireClient.connect(Number(address.split(":")[1]), address.split(":")[0]);
  const wire = await connect(cluster.nodes[0]!.kafkaAddress);
  const partition = async () => (await metadata(wire, [TOPIC])).topics[0]!.partitions[0]!;
  const until = async (what: string, done: (p: Awaited<ReturnType<typeof partition>>) => boolean) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await Bun.sleep(100)) {
      const p = await partition();
      if (done(p)) return p;
    }
    throw new Error(`not within 10 s: ${what}`);
  };
  const settled = await until("a leader and every replica in sync", (p) => p.leaderId >= 0 && p.isrNodes.length === 3);
  const [preferred, second, third] = settled.replicaNodes as [number, number, number];

  // Off the preferred replica: to the second one.
  if (settled.leaderId === preferred) {
    const view = (await (await fetch(`${node(preferred).adminUrl}/v1/partitions/kafka/${TOPIC}/0`)).json()) as { raft_group_id: number };
    const moved = await fetch(`${node(preferred).adminUrl}/v1/raft/${view.raft_group_id}/transfer_leadership?target=${second}`, { method: "POST", headers: { "content-type": "application/json" } });
    expect(moved.status).toBe(200);
  }
  const away = await until("leadership off the preferred replica, every replica in sync", (p) => p.leaderId !== preferred && p.leaderId >= 0 && p.isrNodes.length === 3);
  const bystander = away.leaderId === second ? third : second;

  const asked = await connect(node(bystander).kafkaAddress);
  const elect = (version: number, electionType: number, partitions: number[]) =>
    asked.request<ElectLeadersResponse>(ELECT_LEADERS, version, { electionType, topicPartitions: [{ topic: TOPIC, partitions }], timeoutMs: 10_000 });
  const results = (r: ElectLeadersResponse) => r.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => [p.partitionId, p.errorCode]));

  // Unclean: the partition has a leader, nothing to do; an unknown partition is named.
  expect(results(await elect(1, 1, [0, 7]))).toEqual([[0, ErrorCode.ELECTION_NOT_NEEDED], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  const started = await elect(2, 0, [0]);
  expect(started.errorCode).toBe(ErrorCode.NONE);
  expect(results(started)).toEqual([[0, ErrorCode.NONE]]);
  // Answered once the election happened: the node asked already names the preferred replica.
  expect((await metadata(asked, [TOPIC])).topics[0]!.partitions[0]!.leaderId).toBe(preferred);
  // v0 (preferred only) now has nothing to do.
  expect(results(await elect(0, 0, [0]))).toEqual([[0, ErrorCode.ELECTION_NOT_NEEDED]]);
  wire.close();
  asked.close();
});
