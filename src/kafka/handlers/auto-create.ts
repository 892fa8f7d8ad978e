/** Creates unknown topics on first use when `auto_create_topics_enabled` is on (off by default, as in Redpanda). */
import { topicNameProblem } from "../../cluster/metadata.ts";
import type { BrokerContext } from "../handler.ts";

export async function autoCreateTopics(context: BrokerContext, names: Iterable<string>): Promise<void> {
  if (!context.props.auto_create_topics_enabled) return;
  const missing = [...new Set(names)].filter((name) => !context.metadata().topic(name) && topicNameProblem(name) === null);
  if (missing.length === 0) return;
  await context.callController("createTopics", {
    topics: missing.map((name) => ({ name, partitions: -1, replicationFactor: -1, configs: {}, validateOnly: false })),
  });
}
