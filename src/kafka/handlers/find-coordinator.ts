/**
 * FindCoordinator (10) v0–6. On a node of one every group's and every transactional id's
 * coordinator is this broker; inside it, group requests go to the shard that owns the group and
 * transaction requests to the shard that owns the transactional id (both by hash, see
 * group/partitioning.ts and txn/partitioning.ts). In a cluster a group's coordinator is the
 * leader of its partition of `__consumer_offsets` (kafka/group-routing.ts); the first group key
 * asked for creates that topic through the controller (as Kafka does), and until the partition
 * has a leader the answer is COORDINATOR_NOT_AVAILABLE (retriable), after a short wait for one to
 * become known (see COORDINATOR_WAIT_MS). A transactional id's coordinator
 * is the leader of its partition of `__transaction_state` (kafka/txn-routing.ts), created the same
 * way by the first transaction key asked for. Share groups (key type 2,
 * v6) are not served. A group key needs DESCRIBE on the group, a transactional id DESCRIBE on it.
 */
import { rethrowIfBroken } from "../../base/assert.ts";
import { GROUP_LOG_PARTITIONS } from "../../group/partitioning.ts";
import { GROUP_TOPIC } from "../../group/replicated-store.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { groupCoordinatorNode } from "../group-routing.ts";
import { txnCoordinatorNode } from "../txn-routing.ts";
import { TXN_LOG_PARTITIONS } from "../../txn/partitioning.ts";
import { TXN_TOPIC } from "../../txn/replicated-txn-store.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { inCluster } from "./leaders.ts";

interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/**
 * How long an answer waits for an unknown coordinator to become known, polling the leader table,
 * before it is COORDINATOR_NOT_AVAILABLE. A node just started learns every leader within a second
 * (replication/leadership.ts), and a new internal topic elects its leaders in about an election
 * timeout. Clients retry this error only a few times, 100 ms apart (librdkafka 2.x then never asks
 * again: confluentinc/librdkafka#5456), so answering at once from a node that cannot know yet costs more.
 */
const COORDINATOR_WAIT_MS = 1500;
const COORDINATOR_POLL_MS = 50;

type CoordinatorAnswer = ReturnType<typeof coordinatorFor>;

export const findCoordinatorHandler = defineHandler({
  apiKey: 10,
  name: "FindCoordinator",
  minVersion: 0,
  maxVersion: 6,
  async handle(context: BrokerContext, request: FindCoordinatorRequest, info) {
    if (request.keyType === KEY_TYPE_GROUP && inCluster(context)) await ensureInternalTopic(context, GROUP_TOPIC, GROUP_LOG_PARTITIONS);
    if (request.keyType === KEY_TYPE_TRANSACTION && inCluster(context)) await ensureInternalTopic(context, TXN_TOPIC, TXN_LOG_PARTITIONS);
    const keys = info.apiVersion >= 4 ? request.coordinatorKeys : [request.key];
    const answers = await coordinatorsOnceKnown(context, keys, request.keyType);
    if (info.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: keys.map((key, i) => ({ key, ...answers[i]! })) };
    return { throttleTimeMs: 0, ...answers[0]! };
  },
});

/** The answers for `keys`, asked again while some coordinator is not known yet, for at most COORDINATOR_WAIT_MS. */
async function coordinatorsOnceKnown(context: BrokerContext, keys: string[], keyType: number): Promise<CoordinatorAnswer[]> {
  const deadline = context.clock.nowMs() + COORDINATOR_WAIT_MS;
  for (;;) {
    const answers = keys.map((key) => coordinatorFor(context, key, keyType));
    if (!answers.some((a) => a.errorCode === ErrorCode.COORDINATOR_NOT_AVAILABLE) || context.clock.nowMs() >= deadline) return answers;
    await Bun.sleep(COORDINATOR_POLL_MS);
  }
}

function coordinatorFor(context: BrokerContext, key: string, keyType: number) {
  const fail = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage, nodeId: -1, host: "", port: -1 });
  if (keyType !== KEY_TYPE_GROUP && keyType !== KEY_TYPE_TRANSACTION) return fail(ErrorCode.INVALID_REQUEST, `unknown coordinator key type ${keyType}`);
  if (key === "" && keyType === KEY_TYPE_GROUP) return fail(ErrorCode.INVALID_GROUP_ID, "group id is empty");
  if (key === "") return fail(ErrorCode.INVALID_REQUEST, "transactional id is empty");
  if (keyType === KEY_TYPE_TRANSACTION && !context.authorize("DESCRIBE", "transactional_id", key)) return fail(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `not authorized to describe transactional id '${key}'`);
  if (keyType === KEY_TYPE_GROUP && !context.authorize("DESCRIBE", "group", key)) return fail(ErrorCode.GROUP_AUTHORIZATION_FAILED, `not authorized to describe group '${key}'`);
  if (keyType === KEY_TYPE_GROUP && inCluster(context)) {
    const node = groupCoordinatorNode(context, key);
    if (node === null) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the group's partition of ${GROUP_TOPIC} has no leader yet`);
    return { errorCode: ErrorCode.NONE, errorMessage: null, ...node };
  }
  if (keyType === KEY_TYPE_TRANSACTION && inCluster(context)) {
    const node = txnCoordinatorNode(context, key);
    if (node === null) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `the transactional id's partition of ${TXN_TOPIC} has no leader yet`);
    return { errorCode: ErrorCode.NONE, errorMessage: null, ...node };
  }
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: context.nodeId, host: context.advertised.host, port: context.advertised.port };
}

/**
 * Creates `__consumer_offsets` (or `__transaction_state`) when the metadata lacks it: its 50
 * partitions at RF = min(3, nodes), kept forever (its records are the coordinators' state;
 * nothing compacts it yet). Concurrent first FindCoordinators may each ask: all but one get
 * TOPIC_ALREADY_EXISTS.
 */
async function ensureInternalTopic(context: BrokerContext, topic: string, partitions: number): Promise<void> {
  if (context.metadata().topic(topic)) return;
  const table = context.metadata();
  // Nodes being decommissioned take no new replicas.
  const replicationFactor = Math.min(3, table.nodes().filter((n) => !table.isDraining(n.id)).length);
  const configs = { "retention.ms": "-1", "retention.bytes": "-1" };
  try {
    await context.callController("createTopics", { topics: [{ name: topic, partitions, replicationFactor, configs, validateOnly: false }] });
  } catch (error) {
    rethrowIfBroken(error); // the controller is unreachable or has no leader: the answer is COORDINATOR_NOT_AVAILABLE, the client retries
  }
}
