/**
 * What AlterConfigs and IncrementalAlterConfigs share: topic changes go to the controller in one
 * call (validated there, persisted, applied by every shard before the answer); broker changes
 * are refused, since cluster properties are read-only at run time. A topic needs ALTER_CONFIGS
 * on it (else TOPIC_AUTHORIZATION_FAILED), a broker ALTER_CONFIGS on the cluster (else
 * CLUSTER_AUTHORIZATION_FAILED), checked first, as Kafka.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import type { AlterTopicConfigsCommand } from "../../cluster/controller-calls.ts";
import { isBrokerConfigName } from "../../cluster/broker-config.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { BrokerContext } from "../handler.ts";
import { isThisBroker, ResourceType } from "./configs.ts";

export interface ResourceChange {
  resourceType: number;
  resourceName: string;
  /** The topic change, or an error found before asking the controller. */
  command: AlterTopicConfigsCommand | { errorCode: number; errorMessage: string };
  /** Every config name the request touched (for broker resources). */
  names: string[];
}

export interface ResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export async function alterResources(context: BrokerContext, changes: ResourceChange[], validateOnly: boolean): Promise<ResourceResult[]> {
  const results: ResourceResult[] = changes.map((c) => ({ ...refusal(context, c), resourceType: c.resourceType, resourceName: c.resourceName }));
  const topicIndexes = changes.flatMap((c, i) => (results[i].errorCode === ErrorCode.NONE && c.resourceType === ResourceType.TOPIC ? [i] : []));
  if (topicIndexes.length === 0) return results;
  const commands = topicIndexes.map((i) => changes[i].command as AlterTopicConfigsCommand);
  try {
    const outcomes = await context.callController("alterTopicConfigs", { topics: commands, validateOnly });
    topicIndexes.forEach((i, k) => Object.assign(results[i], { errorCode: outcomes[k].errorCode, errorMessage: outcomes[k].errorMessage }));
  } catch (error) {
    for (const i of topicIndexes) Object.assign(results[i], { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String(error) });
  }
  return results;
}

/** The error this resource gets without asking the controller, or NONE. */
function refusal(context: BrokerContext, change: ResourceChange): { errorCode: number; errorMessage: string | null } {
  if (change.resourceType === ResourceType.TOPIC && !context.authorize("ALTER_CONFIGS", "topic", change.resourceName)) {
    return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: `not authorized to alter the configs of topic '${change.resourceName}'` };
  }
  if (change.resourceType === ResourceType.BROKER && !context.authorize("ALTER_CONFIGS", "cluster", CLUSTER_RESOURCE_NAME)) {
    return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: "not authorized to alter broker configs" };
  }
  if ("errorCode" in change.command) return change.command;
  if (change.resourceType === ResourceType.TOPIC) return { errorCode: ErrorCode.NONE, errorMessage: null };
  if (change.resourceType !== ResourceType.BROKER) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `resource type ${change.resourceType} is not supported; use 2 (topic) or 4 (broker)` };
  }
  if (!isThisBroker(change.resourceName, context.nodeId)) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown broker '${change.resourceName}'` };
  const unknown = change.names.find((name) => !isBrokerConfigName(name));
  if (unknown !== undefined) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `unknown broker config '${unknown}'` };
  if (change.names.length === 0) return { errorCode: ErrorCode.NONE, errorMessage: null };
  return {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `broker configs are read-only at run time (${change.names.join(", ")}); set them at start with --set NAME=VALUE`,
  };
}
