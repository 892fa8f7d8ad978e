/**
 * DescribeConfigs (32) v0–4: every topic config with its value, source, synonyms, type and
 * documentation; the broker's configs by Kafka's names and by skua's. A topic needs
 * DESCRIBE_CONFIGS on it, a broker DESCRIBE_CONFIGS on the cluster.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeConfigsRequest, DescribeConfigsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { describeBrokerConfigs, describeTopicConfigs, isThisBroker, ResourceType, type DescribeOptions } from "./configs.ts";

type Result = DescribeConfigsResponse["results"][number];

export const describeConfigsHandler = defineHandler({
  apiKey: 32,
  name: "DescribeConfigs",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: DescribeConfigsRequest): Promise<DescribeConfigsResponse> {
    const results = request.resources.map((resource): Result => {
      const options: DescribeOptions = { keys: resource.configurationKeys, includeSynonyms: request.includeSynonyms, includeDocumentation: request.includeDocumentation };
      const answer = (errorCode: number, errorMessage: string | null, configs: Result["configs"] = []) =>
        ({ errorCode, errorMessage, resourceType: resource.resourceType, resourceName: resource.resourceName, configs });
      if (resource.resourceType === ResourceType.TOPIC) {
        if (!context.authorize("DESCRIBE_CONFIGS", "topic", resource.resourceName)) return answer(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to describe the configs of topic '${resource.resourceName}'`);
        const topic = context.metadata().topic(resource.resourceName);
        if (!topic) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${resource.resourceName}'`);
        return answer(ErrorCode.NONE, null, describeTopicConfigs(context.props, topic.configs, options));
      }
      if (resource.resourceType === ResourceType.BROKER) {
        if (!context.authorize("DESCRIBE_CONFIGS", "cluster", CLUSTER_RESOURCE_NAME)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, "not authorized to describe broker configs");
        if (!isThisBroker(resource.resourceName, context.nodeId)) return answer(ErrorCode.INVALID_REQUEST, `unknown broker '${resource.resourceName}'; this is broker ${context.nodeId}`);
        return answer(ErrorCode.NONE, null, describeBrokerConfigs(context.props, { nodeId: context.nodeId, dataDir: context.dataDir }, options));
      }
      return answer(ErrorCode.INVALID_REQUEST, `resource type ${resource.resourceType} is not supported; use 2 (topic) or 4 (broker)`);
    });
    return { throttleTimeMs: 0, results };
  },
});
