/**
 * FindCoordinator (10) v0–6. skua is one node, so every group's coordinator is this broker;
 * inside it, group requests go to the shard that owns the group. Transactions and share groups (key type 2, v6) are not served.
 * A group key needs DESCRIBE on the group, a transactional id DESCRIBE on it.
 */
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinatorHandler = defineHandler({
  apiKey: 10,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 6,
  async handle(context: BrokerContext, request: FindCoordinatorRequest, info) {
    if (info.apiVersion >= 4) {
      return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...coordinatorFor(context, key, request.keyType) })) };
    }
    return { throttleTimeMs: 0, ...coordinatorFor(context, request.key, request.keyType) };
  },
});

function coordinatorFor(context: BrokerContext, key: string, keyType: number) {
  const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, nodeId: -1, host: "", port: -1 });
  if (keyType === KEY_TYPE_TRANSACTION && !context.authorize("DESCRIBE", "transactional_id", key)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `not authorized to describe transactional id '${key}'`);
  if (keyType === KEY_TYPE_TRANSACTION) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, "transactions are not supported");
  if (keyType !== KEY_TYPE_GROUP) return fail(ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}`);
  if (key === "") return fail(ErrorCode.INVALID_GROUP_ID, "group id is empty");
  if (!context.authorize("DESCRIBE", "group", key)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, `not authorized to describe group '${key}'`);
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: context.nodeId, host: context.advertised.host, port: context.advertised.port };
}
