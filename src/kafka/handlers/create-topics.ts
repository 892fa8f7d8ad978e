/** CreateTopics (19) v0–7: validated per topic by the controller, placed on the least-loaded shards. */
import type { CreateTopicCommand } from "../../cluster/controller.ts";
import { effectiveTopicConfig, topicConfigChecks } from "../../cluster/topic-config.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

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

const CONFIG_SOURCE_DYNAMIC_TOPIC = 1;
const CONFIG_SOURCE_DEFAULT = 5;

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
    const outcomes = await context.callController("createTopics", { topics: commands });
    return {
      throttleTimeMs: 0,
      topics: outcomes.map((o, i) => {
        if (o.errorCode !== ErrorCode.NONE || !o.topic) return { name: o.name, errorCode: o.errorCode, errorMessage: o.errorMessage };
        return {
          name: o.name,
          topicId: request.validateOnly ? "00000000-0000-0000-0000-000000000000" : o.topic.id,
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          numPartitions: o.topic.shards.length,
          replicationFactor: 1,
          configs: describeConfigs(context, commands[i].configs),
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

function describeConfigs(context: BrokerContext, overrides: Record<string, string>) {
  const effective = effectiveTopicConfig(context.props, overrides);
  const values: Record<string, string | number> = {
    "retention.ms": effective.retentionMs,
    "retention.bytes": effective.retentionBytes,
    "segment.bytes": effective.segmentBytes,
    "segment.ms": effective.segmentMs,
    "max.message.bytes": effective.maxMessageBytes,
    "cleanup.policy": effective.cleanupPolicy,
    "compression.type": effective.compressionType,
    "message.timestamp.type": effective.timestampType,
    "message.timestamp.before.max.ms": overrides["message.timestamp.before.max.ms"] ?? "9223372036854775807",
    "message.timestamp.after.max.ms": overrides["message.timestamp.after.max.ms"] ?? "9223372036854775807",
    "message.timestamp.difference.max.ms": overrides["message.timestamp.difference.max.ms"] ?? "9223372036854775807",
  };
  return Object.keys(topicConfigChecks).map((name) => ({
    name,
    value: String(values[name]),
    readOnly: false,
    configSource: name in overrides ? CONFIG_SOURCE_DYNAMIC_TOPIC : CONFIG_SOURCE_DEFAULT,
    isSensitive: false,
  }));
}
