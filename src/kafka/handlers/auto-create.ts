/**
 * Creates unknown topics on first use when `auto_create_topics_enabled` is on (off by default,
 * as in Redpanda), for a principal allowed CREATE on the cluster or on the topic (as Kafka).
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { topicNameProblem } from "../../cluster/metadata.ts";
import type { BrokerContext } from "../handler.ts";

export function mayCreateTopic(context: BrokerContext, name: string): boolean {
  return context.authorize("CREATE", "cluster", CLUSTER_RESOURCE_NAME) || context.authorize("CREATE", "topic", name);
}

export async function autoCreateTopics(context: BrokerContext, names: Iterable<string>): Promise<void> {
  if (!context.props.auto_create_topics_enabled) return;
  const missing = [...new Set(names)].filter((name) => !context.metadata().topic(name) && topicNameProblem(name) === null && mayCreateTopic(context, name));
  if (missing.length === 0) return;
  await context.callController("createTopics", {
    topics: missing.map((name) => ({ name, partitions: -1, replicationFactor: -1, configs: {}, validateOnly: false })),
  });
}
