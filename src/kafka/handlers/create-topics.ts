/**
 * CreateTopics (19) v0–7: validated per topic by the controller, placed on the least-loaded
 * shards. Each topic needs CREATE on the cluster or on it (else TOPIC_AUTHORIZATION_FAILED); its
 * configs are answered only with DESCRIBE_CONFIGS on it (as Kafka).
 */
import { NO_TOPIC_ID } from "../../protocol/codec.ts";
import type { CreateTopicCommand } from "../../cluster/controller.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { describeTopicConfigs } from "./configs.ts";
import { mayCreateTopic } from "./auto-create.ts";

interface CreateTopicsRequest {
  topics: Array<{
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
    configs: Array<{ name: string; value: string | null }>;
  }>;
  timeoutMs: number;
  validateOnly: boolean;
}

export const createTopicsHandler = defineHandler({
  apiKey: 19,
  name: "CreateTopics",
  minVersion: 0,
  maxVersion: 7,
  async handle(context: BrokerContext, request: CreateTopicsRequest) {
    const commands: CreateTopicCommand[] = request.topics.map((t) => ({
      name: t.name,
      partitions: t.assignments.length > 0 ? assignedPartitions(context, t.numPartitions, t.assignments) : t.numPartitions,
      replicationFactor: t.assignments.length > 0 ? -1 : t.replicationFactor,
      configs: Object.fromEntries(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!])),
      validateOnly: request.validateOnly,
    }));
    const allowed = commands.filter((c) => mayCreateTopic(context, c.name));
    const created = allowed.length > 0 ? await context.callController("createTopics", { topics: allowed }) : [];
    const byCommand = new Map(allowed.map((c, k) => [c, created[k]]));
    const outcomes = commands.map((c) => byCommand.get(c) ?? { name: c.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `not authorized to create topic '${c.name}'`, topic: null });
    return {
      throttleTimeMs: 0,
      topics: outcomes.map((o, i) => {
        if (o.errorCode !== ErrorCode.NONE || !o.topic) return { name: o.name, errorCode: o.errorCode, errorMessage: o.errorMessage };
        const configsVisible = context.authorize("DESCRIBE_CONFIGS", "topic", o.name);
        return {
          name: o.name,
          topicId: request.validateOnly ? NO_TOPIC_ID : o.topic.id,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          numPartitions: o.topic.shards.length,
          replicationFactor: o.topic.assignments?.[0]?.replicas.length ?? 1,
          configs: configsVisible ? describeConfigs(context, commands[i].configs) : [],
          topicConfigErrorCode: configsVisible ? ErrorCode.NONE : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        };
      }),
    };
  },
});

/** Manual assignment is only meaningful here when every replica list is this broker alone. */
function assignedPartitions(context: BrokerContext, numPartitions: number, assignments: Array<{ brokerIds: number[] }>): number {
  const valid = numPartitions === -1 && assignments.every((a) => a.brokerIds.length === 1 && a.brokerIds[0] === context.nodeId);
  return valid ? assignments.length : 0; // 0 partitions is refused with INVALID_PARTITIONS
}

/** CreateTopics v5+ answers with every config of the new topic, as DescribeConfigs would. */
function describeConfigs(context: BrokerContext, overrides: Record<string, string>) {
  return describeTopicConfigs(context.props, overrides, { keys: null, includeSynonyms: false, includeDocumentation: false }).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: c.readOnly,
    configSource: c.configSource,
    isSensitive: c.isSensitive,
  }));
}
