/**
 * DescribeTopicPartitions (75) v0, which Java admin clients 3.8+ use to describe topics: the
 * named topics (none named: every topic) in name order, at most `responsePartitionLimit`
 * partitions per answer, starting at `cursor`; `nextCursor` says where the next page starts.
 * Topics the principal may not DESCRIBE are left out of "every topic" and answer
 * TOPIC_AUTHORIZATION_FAILED when named.
 */
import { limits } from "../../base/limits.ts";
import { topicNameProblem, type TopicRecord } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type {
  DescribeTopicPartitionsCursor,
  DescribeTopicPartitionsRequest,
  DescribeTopicPartitionsResponse,
  DescribeTopicPartitionsResponseTopic,
} from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { AUTHORIZED_OPERATIONS_OMITTED, authorizedOperations } from "../authorize.ts";
import { NO_TOPIC_ID } from "../../protocol/codec.ts";
import { describePartition } from "./leaders.ts";

export const describeTopicPartitionsHandler = defineHandler({
  apiKey: 75,
  name: "DescribeTopicPartitions",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: DescribeTopicPartitionsRequest): Promise<DescribeTopicPartitionsResponse> {
    const all = request.topics.length === 0;
    const names = all ? [...context.metadata().topics()].map((t) => t.name).filter((name) => context.authorize("DESCRIBE", "topic", name)) : [...new Set(request.topics.map((t) => t.name))];
    names.sort(compareNames);
    const cursor = request.cursor;
    if (cursor !== null && cursor.partitionIndex < 0) {
      // Kafka refuses the whole request; with no top-level error code, every topic carries it.
      return { throttleTimeMs: 0, topics: names.map((name) => failed(name, ErrorCode.INVALID_REQUEST)), nextCursor: null };
    }
    const limit = Math.min(Math.max(request.responsePartitionLimit, 1), limits.describePartitionsPerResponseMax);
    return { throttleTimeMs: 0, ...page(context, cursor === null ? names : names.filter((n) => compareNames(n, cursor.topicName) >= 0), cursor, limit) };
  },
});

/** Byte order of names, as Kafka's sorted sets of topic names compare them (names are ASCII). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Takes partitions topic by topic until `limit`; the first topic starts at the cursor's partition. */
function page(context: BrokerContext, names: string[], cursor: DescribeTopicPartitionsCursor | null, limit: number) {
  const topics: DescribeTopicPartitionsResponseTopic[] = [];
  let remaining = limit;
  let nextCursor: DescribeTopicPartitionsCursor | null = null;
  for (const name of names) {
    const topic = context.metadata().topic(name);
    if (!context.authorize("DESCRIBE", "topic", name)) {
      topics.push(failed(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      continue;
    }
    if (!topic) {
      topics.push(failed(name, topicNameProblem(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION));
      continue;
    }
    if (remaining === 0) {
      nextCursor = { topicName: name, partitionIndex: 0 };
      break;
    }
    const start = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
    const end = Math.min(topic.shards.length, start + remaining);
    topics.push(described(context, topic, start, end));
    remaining -= Math.max(0, end - start);
    if (end < topic.shards.length) {
      nextCursor = { topicName: name, partitionIndex: end };
      break;
    }
  }
  return { topics, nextCursor };
}

function described(context: BrokerContext, topic: TopicRecord, start: number, end: number): DescribeTopicPartitionsResponseTopic {
  const { name, id: topicId } = topic;
  const partitions = [];
  for (let partitionIndex = start; partitionIndex < end; partitionIndex++) {
    partitions.push({ ...describePartition(context, topic, partitionIndex), eligibleLeaderReplicas: null, lastKnownElr: null });
  }
  // Kafka always fills in the topic's authorized operations here; the client decides whether to show them.
  return { errorCode: ErrorCode.NONE, name, topicId, isInternal: false, partitions, topicAuthorizedOperations: authorizedOperations(context.authorize, "topic", name, true) };
}

function failed(name: string, errorCode: number): DescribeTopicPartitionsResponseTopic {
  return { errorCode, name, topicId: NO_TOPIC_ID, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}
