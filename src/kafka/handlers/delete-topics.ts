/**
 * DeleteTopics (20) v0–6: the controller removes each topic from the metadata (every shard
 * closes its logs), then its data directory. v6 names topics by name or by topic id. Each
 * topic needs DELETE, else TOPIC_AUTHORIZATION_FAILED.
 */
import { NO_TOPIC_ID } from "../../protocol/codec.ts";
import type { DeleteTopicCommand } from "../../cluster/controller-calls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DeleteTopicsRequest, DeleteTopicsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext, type RequestInfo } from "../handler.ts";


export const deleteTopicsHandler = defineHandler({
  apiKey: 20,
  name: "DeleteTopics",
  minVersion: 0,
  maxVersion: 6,
  async handle(context: BrokerContext, request: DeleteTopicsRequest, info: RequestInfo): Promise<DeleteTopicsResponse> {
    const commands: DeleteTopicCommand[] = info.apiVersion >= 6
      ? request.topics.map((t) => ({ name: t.name, topicId: t.name === null ? t.topicId : null }))
      : request.topicNames.map((name) => ({ name, topicId: null }));
    const answer = (c: DeleteTopicCommand, errorCode: number, errorMessage: string) => ({ name: c.name, topicId: c.topicId ?? NO_TOPIC_ID, errorCode, errorMessage });
    const responses: DeleteTopicsResponse["responses"] = commands.map((c) => answer(c, ErrorCode.INVALID_REQUEST, "a topic needs a name or a topic id"));
    const table = context.metadata();
    const nameOf = (c: DeleteTopicCommand) => c.name ?? (c.topicId === null ? undefined : table.topicById(c.topicId)?.name);
    const mayDelete = (c: DeleteTopicCommand) => {
      const name = nameOf(c);
      return name === undefined || context.authorize("DELETE", "topic", name); // an unknown id: the controller answers UNKNOWN_TOPIC_ID
    };
    const named = commands.flatMap((c, i) => (c.name !== null || (c.topicId !== null && c.topicId !== NO_TOPIC_ID) ? [i] : []));
    for (const i of named) if (!mayDelete(commands[i])) responses[i] = { ...answer(commands[i], ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to delete topic '${nameOf(commands[i])}'`), name: nameOf(commands[i]) ?? null };
    named.splice(0, named.length, ...named.filter((i) => mayDelete(commands[i])));
    if (named.length === 0) return { throttleTimeMs: 0, responses };
    try {
      const outcomes = await context.callController("deleteTopics", { topics: named.map((i) => commands[i]) });
      // v6 names a topic asked for by an unknown id as null.
      named.forEach((i, k) => (responses[i] = { ...outcomes[k], name: commands[i].name === null && outcomes[k].errorCode !== ErrorCode.NONE ? null : outcomes[k].name }));
    } catch (error) {
      for (const i of named) responses[i] = answer(commands[i], ErrorCode.UNKNOWN_SERVER_ERROR, String(error));
    }
    return { throttleTimeMs: 0, responses };
  },
});
