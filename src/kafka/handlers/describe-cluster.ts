/** DescribeCluster (60) v0–1: this one broker, which is also the controller. Needs no ACL (as Kafka); the authorized operations come from them. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeClusterRequest, DescribeClusterResponse } from "../../protocol/messages/index.ts";
import { brokers, controllerId } from "./leaders.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { authorizedOperations } from "../authorize.ts";
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";

const ENDPOINT_TYPE_BROKER = 1;
const ENDPOINT_TYPE_CONTROLLER = 2;
const MISMATCHED_ENDPOINT_TYPE = 114; // KIP-919
const UNSUPPORTED_ENDPOINT_TYPE = 115;

export const describeClusterHandler = defineHandler({
  apiKey: 60,
  name: "DescribeCluster",
  minVersion: 0,
  maxVersion: 1,
  async handle(context: BrokerContext, request: DescribeClusterRequest): Promise<DescribeClusterResponse> {
    const base = { throttleTimeMs: 0, endpointType: ENDPOINT_TYPE_BROKER, clusterId: context.clusterId, clusterAuthorizedOperations: authorizedOperations(context.authorize, "cluster", CLUSTER_RESOURCE_NAME, request.includeClusterAuthorizedOperations) };
    if (request.endpointType !== ENDPOINT_TYPE_BROKER) {
      const errorCode = request.endpointType === ENDPOINT_TYPE_CONTROLLER ? MISMATCHED_ENDPOINT_TYPE : UNSUPPORTED_ENDPOINT_TYPE;
      return { ...base, errorCode, errorMessage: `only broker endpoints (1) are served, got ${request.endpointType}`, controllerId: -1, brokers: [] };
    }
    return {
      ...base,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      controllerId: controllerId(context),
      brokers: brokers(context).map(({ nodeId, ...b }) => ({ brokerId: nodeId, ...b })),
    };
  },
});
