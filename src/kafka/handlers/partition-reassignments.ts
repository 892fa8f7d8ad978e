/**
 * AlterPartitionReassignments (45) v0 and ListPartitionReassignments (46) v0 in a cluster, over
 * the controller's replica moves (cluster/replica-moves.ts). Alter starts a move per partition
 * (the new nodes get their least-loaded core) or, with null replicas, cancels one, and answers
 * once the controller recorded it, as Kafka does; a partition already moving to another target
 * is refused with REASSIGNMENT_IN_PROGRESS (Kafka would replace it; Redpanda refuses too). List
 * answers from this shard's metadata: the replicas (both sets), those being added and removed.
 * Alter needs ALTER on the cluster, List DESCRIBE.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { assignedReplicas, type PartitionAssignment } from "../../cluster/metadata.ts";
import type { MoveRequest } from "../../cluster/replica-moves.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse, OngoingPartitionReassignment } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

const CLUSTER_DENIED = "not authorized on the cluster";

export const alterPartitionReassignmentsHandler = defineHandler({
  apiKey: 45,
  name: "AlterPartitionReassignments",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponse> {
    const answer = (errorCode: number, errorMessage: string | null, each: (index: number) => { errorCode: number; errorMessage: string | null }) => {
      let next = 0;
      const responses = request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...each(next++) })) }));
      return { throttleTimeMs: 0, errorCode, errorMessage, responses };
    };
    if (!context.authorize("ALTER", "cluster", CLUSTER_RESOURCE_NAME)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_DENIED, () => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_DENIED }));
    const moves: MoveRequest[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => (p.replicas === null ? { topic: t.name, partition: p.partitionIndex, replicas: null } : { topic: t.name, partition: p.partitionIndex, nodes: p.replicas })),
    );
    if (moves.length === 0) return answer(ErrorCode.NONE, null, () => ({ errorCode: ErrorCode.NONE, errorMessage: null }));
    try {
      const outcomes = await context.callController("moveReplicas", { moves });
      return answer(ErrorCode.NONE, null, (i) => outcomes[i]!);
    } catch (error) {
      // No controller answered in time: retriable for the client.
      return answer(ErrorCode.NOT_CONTROLLER, String(error), () => ({ errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: String(error) }));
    }
  },
});

export const listPartitionReassignmentsHandler = defineHandler({
  apiKey: 46,
  name: "ListPartitionReassignments",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: ListPartitionReassignmentsRequest): Promise<ListPartitionReassignmentsResponse> {
    if (!context.authorize("DESCRIBE", "cluster", CLUSTER_RESOURCE_NAME)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: CLUSTER_DENIED, topics: [] };
    const table = context.metadata();
    const wanted = request.topics ?? [...table.topics()].map((t) => ({ name: t.name, partitionIndexes: (t.assignments ?? []).map((_, p) => p) }));
    const topics: ListPartitionReassignmentsResponse["topics"] = [];
    for (const t of wanted) {
      // Partitions not moving (or unknown) are left out, as Kafka does.
      const partitions = t.partitionIndexes.flatMap((p) => {
        const assignment = table.assignment(t.name, p);
        return assignment?.target ? [ongoing(p, assignment)] : [];
      });
      if (partitions.length > 0) topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
});

function ongoing(partitionIndex: number, assignment: PartitionAssignment): OngoingPartitionReassignment {
  const target = new Set(assignment.target!.map((r) => r.node));
  const from = new Set(assignment.replicas.map((r) => r.node));
  const replicas = assignedReplicas(assignment).map((r) => r.node);
  return { partitionIndex, replicas, addingReplicas: replicas.filter((n) => target.has(n) && !from.has(n)), removingReplicas: replicas.filter((n) => !target.has(n)) };
}
