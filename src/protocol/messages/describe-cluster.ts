// DescribeCluster (API key 60). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 adds EndpointType for KIP-919 support.
 */
export const DescribeClusterRequest = message<DescribeClusterRequest>("request", "DescribeClusterRequest", 60, "0-1", "0+", [
  f("IncludeClusterAuthorizedOperations", "bool", "0+"),
  f("EndpointType", "int8", "1+", { default: "1" }),
]);

/**
 * Version 1 adds the EndpointType field, and makes MISMATCHED_ENDPOINT_TYPE and
 * UNSUPPORTED_ENDPOINT_TYPE valid top-level response error codes.
 */
export const DescribeClusterResponse = message<DescribeClusterResponse>("response", "DescribeClusterResponse", 60, "0-1", "0+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "0+"),
  f("ErrorMessage", "string", "0+", { nullable: "0+", default: "null" }),
  f("EndpointType", "int8", "1+", { default: "1" }),
  f("ClusterId", "string", "0+"),
  f("ControllerId", "int32", "0+", { default: "-1" }),
  f("Brokers", "[]DescribeClusterBroker", "0+", { fields: [
    f("BrokerId", "int32", "0+"),
    f("Host", "string", "0+"),
    f("Port", "int32", "0+"),
    f("Rack", "string", "0+", { nullable: "0+", default: "null" }),
  ] }),
  f("ClusterAuthorizedOperations", "int32", "0+", { default: "-2147483648" }),
]);

export interface DescribeClusterRequest extends TaggedFields {
  includeClusterAuthorizedOperations: boolean;
  endpointType: number;
}

export interface DescribeClusterResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  endpointType: number;
  clusterId: string;
  controllerId: number;
  brokers: DescribeClusterBroker[];
  clusterAuthorizedOperations: number;
}

export interface DescribeClusterBroker extends TaggedFields {
  brokerId: number;
  host: string;
  port: number;
  rack: string | null;
}
