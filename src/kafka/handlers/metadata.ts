/**
 * Metadata (3) v0–12: the brokers (this one; in a cluster every node), and every requested topic
 * (by name, or from v12 by id) with its partitions' leaders, epochs, replicas and in-sync
 * replicas (./leaders.ts). A topic the principal may not DESCRIBE is left out of "all topics" and
 * answers TOPIC_AUTHORIZATION_FAILED when named (as Kafka); auto-creating one needs CREATE.
 */
import { NO_TOPIC_ID } from "../../protocol/codec.ts";
import { topicNameProblem, type TopicRecord } from "../../cluster/metadata.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { autoCreateTopics, mayCreateTopic } from "./auto-create.ts";
import { AUTHORIZED_OPERATIONS_OMITTED, authorizedOperations } from "../authorize.ts";
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { GROUP_TOPIC } from "../../group/replicated-store.ts";
import { TXN_TOPIC } from "../../txn/replicated-txn-store.ts";
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
    if (byId.length > 0) return answer(context, request, byId.map((t) => describeById(context, request, t.topicId)));
    const allTopics = request.topics === null || (info.apiVersion === 0 && request.topics.length === 0);
    const mayDescribe = (name: string) => context.authorize("DESCRIBE", "topic", name);
    if (allTopics) {
      const visible = [...context.metadata().topics()].filter((t) => mayDescribe(t.name));
      return answer(context, request, visible.map((t) => describeTopic(context, request, t.name, t)));
    }
    const names = request.topics!.map((t) => t.name ?? "");
    const mayCreate = (info.apiVersion < 4 || request.allowAutoTopicCreation) && context.props.auto_create_topics_enabled;
    if (mayCreate) await autoCreateTopics(context, names.filter(mayDescribe));
    return answer(context, request, names.map((name) => {
      const topic = context.metadata().topic(name);
      if (!mayDescribe(name) || (!topic && mayCreate && topicNameProblem(name) === null && !mayCreateTopic(context, name))) return refused(name);
      return describeTopic(context, request, name, topic);
    }));
  },
});

/** From v12 a request may name topics by id (Kafka then looks up only those, creating none). */
const TOPIC_IDS_VERSION = 12;

function refused(name: string | null, topicId?: string) {
  return { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name, topicId, partitions: [], isInternal: false, topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

function answer(context: BrokerContext, request: MetadataRequest, topics: object[]) {
  return {
    throttleTimeMs: 0,
    brokers: brokers(context),
    clusterId: context.clusterId,
    controllerId: controllerId(context),
    topics,
    clusterAuthorizedOperations: authorizedOperations(context.authorize, "cluster", CLUSTER_RESOURCE_NAME, request.includeClusterAuthorizedOperations),
  };
}

function describeById(context: BrokerContext, request: MetadataRequest, topicId: string) {
  const topic = context.metadata().topicById(topicId);
  if (topic && !context.authorize("DESCRIBE", "topic", topic.name)) return refused(null, topicId);
  if (topic) return describeTopic(context, request, topic.name, topic);
  return { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId, partitions: [], isInternal: false, topicAuthorizedOperations: authorizedOperations(context.authorize, "topic", "", request.includeTopicAuthorizedOperations) };
}

function describeTopic(context: BrokerContext, request: MetadataRequest, name: string, topic: TopicRecord | undefined) {
  const topicAuthorizedOperations = authorizedOperations(context.authorize, "topic", name, request.includeTopicAuthorizedOperations);
  if (!topic) {
    // An invalid name can never exist: Kafka answers INVALID_TOPIC_EXCEPTION, which clients treat as final.
    const errorCode = topicNameProblem(name) === null ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION;
    return { errorCode, name, partitions: [], isInternal: false, topicAuthorizedOperations };
  }
  return {
    errorCode: ErrorCode.NONE,
    name,
    topicId: topic.id,
    isInternal: name === GROUP_TOPIC || name === TXN_TOPIC,
    partitions: topic.shards.map((_, partitionIndex) => describePartition(context, topic, partitionIndex)),
    topicAuthorizedOperations,
  };
}
