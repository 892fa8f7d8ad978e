/**
 * CreatePartitions (37) v0–3: grows topics; the controller places the new partitions by its
 * least-loaded rule. Manual assignments are accepted only when they name this broker alone.
 * Each topic needs ALTER, else TOPIC_AUTHORIZATION_FAILED.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import type { CreatePartitionsRequest, CreatePartitionsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

export const createPartitionsHandler = defineHandler({
  apiKey: 37,
  name: "CreatePartitions",
  minVersion: 0,
  maxVersion: 3,
  async handle(context: BrokerContext, request: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
    const results: CreatePartitionsResponse["results"] = new Array(request.topics.length);
    const commands: Array<{ index: number; name: string; count: number }> = [];
    request.topics.forEach((t, index) => {
      const problem = assignmentProblem(context, t);
      if (!context.authorize("ALTER", "topic", t.name)) results[index] = { name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `not authorized to alter topic '${t.name}'` };
      else if (problem) results[index] = { name: t.name, errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: problem };
      else commands.push({ index, name: t.name, count: t.count });
    });
    if (commands.length === 0) return { throttleTimeMs: 0, results };
    try {
      const outcomes = await context.callController("createPartitions", { topics: commands.map(({ name, count }) => ({ name, count })), validateOnly: request.validateOnly });
      commands.forEach((c, k) => (results[c.index] = outcomes[k]));
    } catch (error) {
      for (const c of commands) results[c.index] = { name: c.name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String(error) };
    }
    return { throttleTimeMs: 0, results };
  },
});

function assignmentProblem(context: BrokerContext, topic: CreatePartitionsRequest["topics"][number]): string | null {
  if (topic.assignments === null) return null;
  const existing = context.metadata().topic(topic.name);
  if (!existing) return null; // the controller answers UNKNOWN_TOPIC_OR_PARTITION
  const current = existing.shards.length;
  if (topic.assignments.length !== topic.count - current) return `${topic.assignments.length} assignments for ${topic.count - current} new partitions`;
  const onlyThisBroker = topic.assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === context.nodeId);
  return onlyThisBroker ? null : `replicas must be broker ${context.nodeId} alone on a single-broker cluster`;
}
