// Metadata (API key 3). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

export const MetadataRequest = message<MetadataRequest>("request", "MetadataRequest", 3, "0-12", "9+", [
  f("Topics", "[]MetadataRequestTopic", "0+", { nullable: "1+", fields: [
    f("TopicId", "uuid", "10+"),
    f("Name", "string", "0+", { nullable: "10+" }),
  ] }),
  f("AllowAutoTopicCreation", "bool", "4+", { default: "true" }),
  f("IncludeClusterAuthorizedOperations", "bool", "8-10"),
  f("IncludeTopicAuthorizedOperations", "bool", "8+"),
]);

/**
 * Version 1 adds fields for the rack of each broker, the controller id, and
 * whether or not the topic is internal.
 *
 * Version 2 adds the cluster ID field.
 *
 * Version 3 adds the throttle time.
 *
 * Version 4 is the same as version 3.
 *
 * Version 5 adds a per-partition offline_replicas field. This field specifies
 * the list of replicas that are offline.
 *
 * Starting in version 6, on quota violation, brokers send out responses before throttling.
 *
 * Version 7 adds the leader epoch to the partition metadata.
 *
 * Starting in version 8, brokers can send authorized operations for topic and cluster.
 *
 * Version 9 is the first flexible version.
 *
 * Version 10 adds topicId.
 *
 * Version 11 deprecates ClusterAuthorizedOperations. This is now exposed
 * by the DescribeCluster API (KIP-700).
 * Version 12 supports topicId.
 */
export const MetadataResponse = message<MetadataResponse>("response", "MetadataResponse", 3, "0-12", "9+", [
  f("ThrottleTimeMs", "int32", "3+"),
  f("Brokers", "[]MetadataResponseBroker", "0+", { fields: [
    f("NodeId", "int32", "0+"),
    f("Host", "string", "0+"),
    f("Port", "int32", "0+"),
    f("Rack", "string", "1+", { nullable: "1+", default: "null" }),
  ] }),
  f("ClusterId", "string", "2+", { nullable: "2+", default: "null" }),
  f("ControllerId", "int32", "1+", { default: "-1" }),
  f("Topics", "[]MetadataResponseTopic", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("Name", "string", "0+", { nullable: "12+" }),
    f("TopicId", "uuid", "10+"),
    f("IsInternal", "bool", "1+", { default: "false" }),
    f("Partitions", "[]MetadataResponsePartition", "0+", { fields: [
      f("ErrorCode", "int16", "0+"),
      f("PartitionIndex", "int32", "0+"),
      f("LeaderId", "int32", "0+"),
      f("LeaderEpoch", "int32", "7+", { default: "-1" }),
      f("ReplicaNodes", "[]int32", "0+"),
      f("IsrNodes", "[]int32", "0+"),
      f("OfflineReplicas", "[]int32", "5+"),
    ] }),
    f("TopicAuthorizedOperations", "int32", "8+", { default: "-2147483648" }),
  ] }),
  f("ClusterAuthorizedOperations", "int32", "8-10", { default: "-2147483648" }),
]);

export interface MetadataRequest extends TaggedFields {
  topics: MetadataRequestTopic[] | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataRequestTopic extends TaggedFields {
  topicId: string;
  name: string | null;
}

export interface MetadataResponse extends TaggedFields {
  throttleTimeMs: number;
  brokers: MetadataResponseBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataResponseTopic[];
  clusterAuthorizedOperations: number;
}

export interface MetadataResponseBroker extends TaggedFields {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataResponseTopic extends TaggedFields {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
  topicAuthorizedOperations: number;
}

export interface MetadataResponsePartition extends TaggedFields {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}
