/**
 * Metadata (3) v0–12: the brokers (this one; in a cluster every node), and every requested topic
 * (by name, or from v12 by id) with its partitions' leaders, epochs, replicas and in-sync replicas (./leaders.ts).
 */
import { NO_TOPIC_ID } from "../../protocol/codec.ts";
import { topicNameProblem, type TopicRecord } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { autoCreateTopics } from "./auto-create.ts";
import { authorizedOperations } from "./authorized-operations.ts";
import { brokers, controllerId, describePartition } from "./leaders.ts";

interface MetadataRequest {
  topics: Array<{ name: string | null; topicId: string }> | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export const metadataHandler = defineHandler({
  apiKey: 3,
  name: "Metadata",
  minVersion: 0,
  maxVersion: 12,
  async handle(context: BrokerContext, request: MetadataRequest, info) {
    const byId = info.apiVersion >= TOPIC_IDS_VERSION ? (request.topics ?? []).filter((t) => t.topicId !== NO_TOPIC_ID) : [];
    if (byId.length > 0) return answer(context, request, byId.map((t) => describeById(context, t.topicId, topicOperations(request))));
    const allTopics = request.topics === null || (info.apiVersion === 0 && request.topics.length === 0);
    const names = allTopics ? [...context.metadata().topics()].map((t) => t.name) : request.topics!.map((t) => t.name ?? "");
    const mayCreate = info.apiVersion < 4 || request.allowAutoTopicCreation;
    if (!allTopics && mayCreate) await autoCreateTopics(context, names);
    const operations = topicOperations(request);
    return answer(context, request, names.map((name) => describeTopic(context, name, context.metadata().topic(name), operations)));
  },
});

/** From v12 a request may name topics by id (Kafka then looks up only those, creating none). */
const TOPIC_IDS_VERSION = 12;

const topicOperations = (request: MetadataRequest) => authorizedOperations("topic", request.includeTopicAuthorizedOperations);

function answer(context: BrokerContext, request: MetadataRequest, topics: object[]) {
  return {
    throttleTimeMs: 0,
    brokers: brokers(context),
    clusterId: context.clusterId,
    controllerId: controllerId(context),
    topics,
    clusterAuthorizedOperations: authorizedOperations("cluster", request.includeClusterAuthorizedOperations),
  };
}

function describeById(context: BrokerContext, topicId: string, topicAuthorizedOperations: number) {
  const topic = context.metadata().topicById(topicId);
  if (topic) return describeTopic(context, topic.name, topic, topicAuthorizedOperations);
  return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId, partitions: [], isInternal: false, topicAuthorizedOperations };
}

function describeTopic(context: BrokerContext, name: string, topic: TopicRecord | undefined, topicAuthorizedOperations: number) {
  if (!topic) {
    // An invalid name can never exist: Kafka answers INVALID_TOPIC_EXCEPTION, which clients treat as final.
    const errorCode = topicNameProblem(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
    return { errorCode, name, partitions: [], isInternal: false, topicAuthorizedOperations };
  }
  return {
    errorCode: ErrorCode.NONE,
    name,
    topicId: topic.id,
    isInternal: false,
    partitions: topic.shards.map((_, partitionIndex) => describePartition(context, topic, partitionIndex)),
    topicAuthorizedOperations,
  };
}
