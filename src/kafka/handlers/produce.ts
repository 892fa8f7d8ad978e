/**
 * Produce (0) v0–11 (v10+: a replicated partition's NOT_LEADER_OR_FOLLOWER names the leader, KIP-951). Each partition's batches are checked here (CRC-32C, framing, size) on the
 * shard that received them, then appended by the partition's owner shard, which first applies the
 * topic's timestamp and compression configs (storage/batch-rewrite.ts). v0–2 may carry message
 * format v0/v1, which becomes a v2 batch first (legacy-formats.ts). Each topic needs WRITE
 * (else TOPIC_AUTHORIZATION_FAILED for its partitions); a transactional id needs WRITE on it.
 * Idempotent batches need nothing more (Kafka 3.x checks that at InitProducerId).
 * Transactional batches are checked like idempotent ones by the owner (sequence, epoch:
 * INVALID_PRODUCER_EPOCH when older); a non-transactional batch of a producer with an open
 * transaction gets INVALID_TXN_STATE; control batches from clients get INVALID_RECORD (only
 * WriteTxnMarkers writes markers). A transactional batch that opens its producer's transaction
 * in a partition is first verified with the transaction coordinator by the owner (KIP-890 part 1,
 * kafka/txn-verification.ts).
 */
import { topicNameProblem } from "../../cluster/metadata.ts";
import { GROUP_TOPIC } from "../../group/replicated-store.ts";
import { TXN_TOPIC } from "../../txn/replicated-txn-store.ts";
import { topicConfigValue } from "../../cluster/topic-config.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ProduceItem, ProduceResult } from "../ops.ts";
import { validateBatches } from "../../storage/record-batch.ts";
import { clientBatchProblem } from "../../storage/control-batch.ts";
import { defineHandler, NO_RESPONSE, scatterByShard, type BrokerContext } from "../handler.ts";
import { producePayload } from "../legacy-formats.ts";
import { autoCreateTopics } from "./auto-create.ts";
import { leaderEndpoints } from "./leaders.ts";

const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Uint8Array | null }> }>;
}

export const produceHandler = defineHandler({
  apiKey: 0,
  name: "Produce",
  minVersion: 0,
  maxVersion: 11,
  async handle(context: BrokerContext, request: ProduceRequest, info) {
    const writable = new Map(request.topicData.map((t) => [t.name, context.authorize("WRITE", "topic", t.name)]));
    const transactional = request.transactionalId === null || context.authorize("WRITE", "transactional_id", request.transactionalId);
    await autoCreateTopics(context, [...writable].filter(([, may]) => may).map(([name]) => name));
    const entries = request.topicData.flatMap((topic) =>
      topic.partitionData.map((p) => ({ topic: topic.name, partition: p.index, records: p.records })),
    );
    const results = new Array<ProduceResult>(entries.length);
    const accepted: Array<{ index: number; item: ProduceItem; shard: number }> = [];
    entries.forEach((entry, index) => {
      const verdict = !transactional
        ? failure(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, `not authorized to write with transactional id '${request.transactionalId}'`)
        : !writable.get(entry.topic)
          ? failure(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `not authorized to write to topic '${entry.topic}'`)
          : checkEntry(context, entry, request.acks, info.apiVersion);
      if (typeof verdict === "number") accepted.push({ index, shard: verdict, item: { ...entry, records: entry.records!, acks: request.acks, transactionalId: request.transactionalId } });
      else results[index] = verdict;
    });
    const answers = await scatterByShard(accepted, (a) => a.shard, (shard, batch) =>
      context.invoke(shard, "produce", { items: batch.map((a) => a.item) }),
    );
    accepted.forEach((a, k) => (results[a.index] = answers[k]));
    if (request.acks === 0) return NO_RESPONSE;
    const leaders = new Set(results.flatMap((r) => (r.currentLeader && r.currentLeader.leaderId >= 0 ? [r.currentLeader.leaderId] : [])));
    const nodeEndpoints = info.apiVersion >= LEADER_HINTS_VERSION ? leaderEndpoints(context, leaders) : [];
    return { responses: groupByTopic(request, results), throttleTimeMs: 0, nodeEndpoints };
  },
});

/** The owner shard, or the error this partition gets without touching storage. */
function checkEntry(context: BrokerContext, entry: { topic: string; partition: number; records: Uint8Array | null }, acks: number, version: number): number | ProduceResult {
  if (acks !== 0 && acks !== 1 && acks !== -1) return failure(ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${acks}`);
  const table = context.metadata();
  const topic = table.topic(entry.topic);
  const shard = table.ownerOf(entry.topic, entry.partition);
  const nameProblem = topic ? null : topicNameProblem(entry.topic);
  if (nameProblem) return failure(ErrorCode.INVALID_TOPIC_EXCEPTION, nameProblem);
  const assignment = topic?.assignments?.[entry.partition];
  // In a cluster only the group coordinator writes the groups' records (as Kafka refuses appends to its internal topics).
  if (assignment && entry.topic === GROUP_TOPIC) return failure(ErrorCode.INVALID_TOPIC_EXCEPTION, `${GROUP_TOPIC} is internal: only the group coordinator writes it`);
  if (assignment && entry.topic === TXN_TOPIC) return failure(ErrorCode.INVALID_TOPIC_EXCEPTION, `${TXN_TOPIC} is internal: only the transaction coordinator writes it`);
  if (assignment && shard === undefined) return notHere(context, assignment.group);
  if (!topic || shard === undefined) return failure(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${entry.topic}/${entry.partition}`);
  if (!entry.records || entry.records.length === 0) return failure(ErrorCode.CORRUPT_MESSAGE, "no record batches");
  const payload = producePayload(entry.records, version);
  if (!payload.ok) return failure(payload.errorCode, payload.errorMessage);
  entry.records = payload.records; // what is written: a legacy message set is now one v2 batch
  // Only this one config: the whole effective config per request was 4 % of a shard's JS at 5,000 small requests/s.
  const maxMessageBytes = Number(topicConfigValue(context.props, topic.configs, "max.message.bytes"));
  const check = validateBatches(entry.records);
  if (!check.ok) return failure(ErrorCode.CORRUPT_MESSAGE, `invalid record batch: ${check.reason}`);
  const refused = clientBatchProblem(entry.records);
  if (refused !== null) return failure(ErrorCode.INVALID_RECORD, refused);
  if (check.largestBatchBytes > maxMessageBytes) {
    return failure(ErrorCode.MESSAGE_TOO_LARGE, `batch of ${check.largestBatchBytes} bytes exceeds max.message.bytes ${maxMessageBytes}`);
  }
  return shard;
}

/** A replicated partition with no replica on this node: the client should ask its leader. */
function notHere(context: BrokerContext, group: number): ProduceResult {
  const known = context.leaders?.get(group);
  const currentLeader = known?.leader != null ? { leaderId: known.leader, leaderEpoch: known.term } : undefined;
  return { ...failure(ErrorCode.NOT_LEADER_OR_FOLLOWER, "this broker holds no replica of the partition"), currentLeader };
}

/** Produce v10+ carries leader hints with NOT_LEADER_OR_FOLLOWER (KIP-951). */
const LEADER_HINTS_VERSION = 10;

function failure(errorCode: number, errorMessage: string): ProduceResult {
  return { errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

function groupByTopic(request: ProduceRequest, results: ProduceResult[]) {
  let next = 0;
  return request.topicData.map((topic) => ({
    name: topic.name,
    partitionResponses: topic.partitionData.map((p) => {
      const result = results[next++];
      const { currentLeader, ...rest } = result;
      return { index: p.index, ...rest, recordErrors: result.recordErrors ?? [], currentLeader: currentLeader ?? NO_LEADER };
    }),
  }));
}
