/**
 * ElectLeaders (43) v0–2. Preferred election (type 0; v0 has no type): each partition whose
 * leader is not its preferred replica (the first of its assignment) hands leadership to it by a
 * Raft leadership transfer, started on the leader's replica (`transferLeader` op, on another
 * node over RPC `opCall`); answered once this node hears the preferred replica leads, or with
 * REQUEST_TIMED_OUT when it has not within the request's timeoutMs (as Kafka's controller waits
 * for the election). Already led by it: ELECTION_NOT_NEEDED; the preferred replica out of sync,
 * or no leader known: PREFERRED_LEADER_NOT_AVAILABLE. Unclean election (type 1) would elect a
 * replica lacking committed data, which Raft never does: a partition with a leader answers
 * ELECTION_NOT_NEEDED (as Kafka does for an unclean election where a leader lives), one without
 * ELIGIBLE_LEADERS_NOT_AVAILABLE. A node of one (no assignments) answers ELECTION_NOT_NEEDED.
 * Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION. Null topic partitions: every partition.
 * Needs ALTER on the cluster.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import type { MetadataTable } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ElectLeadersRequest, ElectLeadersResponse, ElectionPartitionResult } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const ELECTION_PREFERRED = 0;
export const ELECTION_UNCLEAN = 1;

type Outcome = { errorCode: number; errorMessage: string | null };

/** How often a started transfer's outcome is looked for in the leader table, and the longest wait whatever timeoutMs asks. */
const ELECTED_POLL_MS = 20;
const ELECTED_WAIT_MAX_MS = 60_000;

export const electLeadersHandler = defineHandler({
  apiKey: 43,
  name: "ElectLeaders",
  minVersion: 0,
  maxVersion: 2,
  async handle(context: BrokerContext, request: ElectLeadersRequest): Promise<ElectLeadersResponse> {
    const table = context.metadata();
    if (!context.authorize("ALTER", "cluster", CLUSTER_RESOURCE_NAME)) {
      // All partitions asked: an empty list, as Kafka answers (only the top-level code says why).
      const denied = { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: "not authorized on the cluster" };
      const results = (request.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((p) => ({ partitionId: p, ...denied })) }));
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, replicaElectionResults: results };
    }
    const wanted = request.topicPartitions ?? [...table.topics()].map((t) => ({ topic: t.name, partitions: t.shards.map((_, p) => p) }));
    const results = await Promise.all(
      wanted.map(async (t) => ({
        topic: t.topic,
        partitionResult: await Promise.all(t.partitions.map(async (p): Promise<ElectionPartitionResult> => ({ partitionId: p, ...(await elect(context, table, request, t.topic, p)) }))),
      })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results };
  },
});

async function elect(context: BrokerContext, table: MetadataTable, request: ElectLeadersRequest, topic: string, partition: number): Promise<Outcome> {
  const { electionType } = request;
  const record = table.topic(topic);
  if (!record || partition < 0 || partition >= record.shards.length) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null };
  if (electionType !== ELECTION_PREFERRED && electionType !== ELECTION_UNCLEAN) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown election type ${electionType}` };
  const assignment = table.assignment(topic, partition);
  if (!assignment || !context.leaders || !context.invokeLeader) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: "a node of one leads every partition" };
  const known = context.leaders.get(assignment.group);
  const leader = known?.leader ?? null;
  if (electionType === ELECTION_UNCLEAN) {
    return leader !== null
      ? { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: "the partition has a leader" }
      : { errorCode: ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, errorMessage: "Raft elects only a replica with every committed record; unclean election is not supported" };
  }
  const preferred = assignment.replicas[0]!.node;
  if (leader === preferred) return { errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: null };
  if (leader === null) return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: "no leader known yet" };
  if (!known!.inSync.includes(preferred)) return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: `preferred replica ${preferred} is not in sync` };
  const deadline = context.clock.nowMs() + Math.min(request.timeoutMs, ELECTED_WAIT_MAX_MS);
  try {
    const started = await context.invokeLeader(topic, partition, "transferLeader", { topic, partition, to: preferred });
    if (started.errorCode !== ErrorCode.NONE) return started;
  } catch (error) {
    // The leader could not be reached (it changed, or its link is down): the client may retry.
    return { errorCode: ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, errorMessage: String(error) };
  }
  while (context.leaders.get(assignment.group)?.leader !== preferred) {
    if (context.clock.nowMs() >= deadline) return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: `the transfer to ${preferred} started but had not finished within ${request.timeoutMs} ms` };
    await Bun.sleep(ELECTED_POLL_MS);
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}
