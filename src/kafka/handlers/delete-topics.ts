/**
 * DeleteTopics (20) v1–6: the controller removes each topic from the metadata (every shard
 * closes its logs), then its data directory. v6 names topics by name or by topic id.
 */
import type { DeleteTopicCommand } from "../../cluster/controller-calls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DeleteTopicsRequest, DeleteTopicsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext, type RequestInfo } from "../handler.ts";

const NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000";

export const deleteTopicsHandler = defineHandler({
  apiKey: 20,
  name: "DeleteTopics",
  minVersion: 1,
  maxVersion: 6,
  async handle(context: BrokerContext, request: DeleteTopicsRequest, info: RequestInfo): Promise<DeleteTopicsResponse> {
    const commands: DeleteTopicCommand[] = info.apiVersion >= 6
      ? request.topics.map((t) => ({ name: t.name, topicId: t.name === null ? t.topicId : null }))
      : request.topicNames.map((name) => ({ name, topicId: null }));
    const invalid = commands.findIndex((c) => c.name === null && (c.topicId === null || c.topicId === NO_TOPIC_ID));
    if (invalid >= 0) {
      const responses = commands.map((c) => ({ name: c.name, topicId: c.topicId ?? NO_TOPIC_ID, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "a topic needs a name or a topic id" }));
      return { throttleTimeMs: 0, responses };
    }
    try {
      const outcomes = await context.callController("deleteTopics", { topics: commands });
      return { throttleTimeMs: 0, responses: outcomes.map((o, i) => ({ ...o, name: commands[i].name === null && o.errorCode !== ErrorCode.NONE ? null : o.name })) };
    } catch (error) {
      const responses = commands.map((c) => ({ name: c.name, topicId: c.topicId ?? NO_TOPIC_ID, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String(error) }));
      return { throttleTimeMs: 0, responses };
    }
  },
});
