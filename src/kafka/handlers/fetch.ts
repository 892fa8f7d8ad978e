/**
 * Fetch (1) v0–17 (v0–3 get their records down-converted to magic 0/1, `../legacy-formats.ts`).
 * From v13 topics are named by id, resolved against the metadata on every fetch (an unknown id
 * answers UNKNOWN_TOPIC_ID); v15 moves the replica id into ReplicaState; v16 adds leader hints
 * (this node) to NOT_LEADER_OR_FOLLOWER answers; v17's ReplicaDirectoryId is for followers only.
 * The session cache (`../fetch-sessions.ts`, v7+) says which partitions this fetch
 * reads and which of them it answers (all, or on an incremental session only those with news).
 * Every partition is read from its owner shard; while there is less than min_bytes, the fetch
 * sleeps until an owner sees a change in what it read (new data, a moved start, a partition
 * gone) or max_wait_ms passes: no polling, no re-reading of the same bytes. A partition of a topic
 * the principal may not READ answers TOPIC_AUTHORIZATION_FAILED (a follower's fetch, replica id
 * >= 0, needs CLUSTER_ACTION instead, as Kafka).
 * isolation_level 1 (read_committed, v4+) reads only below each partition's last stable offset
 * and answers the aborted transactions among the records; every answer carries the LSO.
 * Follower fetching (KIP-392), in a cluster with enable_rack_awareness: a consumer's fetch (v11+)
 * may be served by an in-sync follower, up to the high watermark it knows; the leader answers a
 * consumer in another rack with an empty partition naming a replica in its rack
 * (PreferredReadReplica), at once, without waiting for min_bytes.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { limits } from "../../base/limits.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { ReadItem, ReadResult, WatchItem } from "../ops.ts";
import type { FetchItem, SessionFetchRequest } from "../fetch-sessions.ts";
import { defineHandler, invokeOnOwners, RESPONSE_REFER_BYTES_MIN, type BrokerContext } from "../handler.ts";
import { leaderEndpoints } from "./leaders.ts";
import { capResponseBytes, newWatchId, readUntilEnough, watchItem, type ReadRound } from "../fetch-wait.ts";
import { downConvertFetch } from "../legacy-formats.ts";

interface FetchRequest extends SessionFetchRequest {
  replicaState: { replicaId: number };
  rackId: string;
  maxWaitMs: number;
  minBytes: number;
  isolationLevel: number;
}

const READ_COMMITTED = 1;

/** Versions that name topics by id (KIP-516), carry the replica id in ReplicaState (KIP-903), send leader hints (KIP-951). */
const TOPIC_IDS_VERSION = 13;
const REPLICA_STATE_VERSION = 15;
const LEADER_HINTS_VERSION = 16;
/** Fetch v11 adds the consumer's rack (KIP-392): from then on a follower may serve a consumer's fetch. */
const FOLLOWER_FETCH_VERSION = 11;

/** What to read for a wanted partition, by topic name; or the answer it gets unread (an unknown topic id, no authorization). */
type Read = ReadItem | ReadResult;

const isFixed = (read: Read): read is ReadResult => "errorCode" in read;

export const fetchHandler = defineHandler({
  apiKey: 1,
  name: "Fetch",
  minVersion: 0,
  maxVersion: 17,
  async handle(context: BrokerContext, request: FetchRequest, info) {
    const usesTopicIds = info.apiVersion >= TOPIC_IDS_VERSION;
    if (info.apiVersion >= REPLICA_STATE_VERSION) request.replicaId = request.replicaState.replicaId;
    const plan = context.fetchSessions.plan(request, usesTopicIds);
    if (plan.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: plan.errorCode, sessionId: 0, responses: [] };
    // Only replicated partitions (a cluster) check the epoch: a single node reads without building the map.
    const epochs = context.leaders === undefined ? NO_EPOCHS : requestedEpochs(request, usesTopicIds);
    const followerFetching = context.leaders !== undefined && context.props.enable_rack_awareness && info.apiVersion >= FOLLOWER_FETCH_VERSION && request.replicaId < 0;
    const reads = toReads(context, plan.wanted, usesTopicIds, {
      fromFollower: request.replicaId >= 0, epochs, readCommitted: request.isolationLevel === READ_COMMITTED, clientRack: followerFetching ? request.rackId : undefined,
    });
    const results = await readEnough(context, request, reads);
    const { sessionId, included } = plan.finish(results);
    // Sessions start at v7 and down-conversion ends at v3, so here every partition is answered in request order.
    const responses = downConvertFetch(info.apiVersion, request, respond(plan.wanted, reads, results, included, usesTopicIds), context.metadata());
    const nodeEndpoints = info.apiVersion >= LEADER_HINTS_VERSION ? hintLeaders(context, responses, results.filter((_, i) => included[i])) : [];
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses, nodeEndpoints };
  },
  responseBytesHint(response) {
    let bytes = 64;
    for (const topic of response.responses) {
      bytes += 16 + topic.topic.length * 3;
      for (const p of topic.partitions) {
        const copiedBytes = p.records.length < RESPONSE_REFER_BYTES_MIN ? p.records.length : 0; // larger ones go out by reference
        bytes += PARTITION_OVERHEAD_BYTES + copiedBytes + (p.abortedTransactions?.length ?? 0) * ABORTED_TXN_BYTES;
      }
    }
    return bytes;
  },
});

/** Fixed fields of one partition in a Fetch response, with room to spare. */
const PARTITION_OVERHEAD_BYTES = 64;
/** One aborted transaction in a response: producer id and first offset (int64 each). */
const ABORTED_TXN_BYTES = 16;

const NO_RECORDS = new Uint8Array(0);

const unknownPartition: ReadResult = {
  errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  highWatermark: -1,
  lastStableOffset: -1,
  logStartOffset: -1,
  records: NO_RECORDS,
  abortedTransactions: null,
};
const unknownTopicId: ReadResult = { ...unknownPartition, errorCode: ErrorCode.UNKNOWN_TOPIC_ID };
const notAuthorized: ReadResult = { ...unknownPartition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };

interface ReadOptions {
  /** A Kafka follower's fetch (replica id >= 0). */
  fromFollower: boolean;
  epochs: ReadonlyMap<string, number>;
  readCommitted: boolean;
  /** Follower fetching: the consumer's rack; undefined: only leaders serve. */
  clientRack: string | undefined;
}

/** The reads of the wanted partitions: on v13+ by the name their topic id has now (a deleted topic's id has none). */
function toReads(context: BrokerContext, wanted: FetchItem[], usesTopicIds: boolean, { fromFollower, epochs, readCommitted, clientRack }: ReadOptions): Read[] {
  const table = context.metadata();
  const follower = fromFollower && context.authorize("CLUSTER_ACTION", "cluster", CLUSTER_RESOURCE_NAME);
  const readable = new Map<string, boolean>();
  const mayRead = (topic: string) => {
    let may = readable.get(topic);
    if (may === undefined) readable.set(topic, (may = fromFollower ? follower : context.authorize("READ", "topic", topic)));
    return may;
  };
  return wanted.map((w) => {
    const topic = usesTopicIds ? table.topicById(w.topicId)?.name : w.topic;
    if (topic === undefined) return unknownTopicId;
    if (!mayRead(topic)) return notAuthorized;
    const currentLeaderEpoch = epochs.size === 0 ? -1 : (epochs.get(`${usesTopicIds ? w.topicId : w.topic}:${w.partition}`) ?? -1);
    const read: ReadItem = { topic, partition: w.partition, fetchOffset: w.fetchOffset, maxBytes: w.maxBytes, currentLeaderEpoch, readCommitted };
    if (clientRack !== undefined) read.clientRack = clientRack;
    return read;
  });
}

/**
 * The current_leader_epoch (v9+) of each partition this request names, which replicated
 * partitions check (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH); a partition only in the
 * session is read without one.
 */
const NO_EPOCHS: ReadonlyMap<string, number> = new Map();

function requestedEpochs(request: FetchRequest, usesTopicIds: boolean): Map<string, number> {
  const epochs = new Map<string, number>();
  for (const t of request.topics) {
    for (const p of t.partitions as Array<{ partition: number; currentLeaderEpoch?: number }>) {
      if (p.currentLeaderEpoch !== undefined && p.currentLeaderEpoch >= 0) epochs.set(`${usesTopicIds ? t.topicId : t.topic}:${p.partition}`, p.currentLeaderEpoch);
    }
  }
  return epochs;
}

/**
 * Reads until min_bytes or max_wait_ms (fetch-wait.ts). When one shard owns every partition
 * read, that shard does all of it in one call; otherwise each round reads from every owner and
 * waits on all of them.
 */
async function readEnough(context: BrokerContext, request: FetchRequest, wanted: Read[]): Promise<ReadResult[]> {
  const waitMs = Math.min(Math.max(request.maxWaitMs, 0), limits.fetchWaitMsMax);
  const owner = soleOwner(context, wanted);
  if (owner !== null) {
    return context.invoke(owner, "readWaiting", { items: wanted as ReadItem[], minBytes: request.minBytes, maxBytes: request.maxBytes, waitMs });
  }
  const wait = { minBytes: request.minBytes, deadlineMs: context.clock.nowMs() + waitMs };
  return readUntilEnough(() => readAll(context, wanted, request.maxBytes), (results, left) => waitForChange(context, wanted, results, left), wait, context.clock);
}

/** The shard that owns every wanted partition, if there is one and nothing is answered unread. */
function soleOwner(context: BrokerContext, wanted: Read[]): number | null {
  const table = context.metadata();
  let owner: number | null = null;
  for (const w of wanted) {
    if (isFixed(w)) return null;
    const shard = table.ownerOf(w.topic, w.partition);
    if (shard === undefined || (owner !== null && shard !== owner)) return null;
    owner = shard;
  }
  return owner;
}

/** Reads every partition whose topic resolved from its owner; the others answer UNKNOWN_TOPIC_ID. */
async function readAll(context: BrokerContext, wanted: Read[], responseBytesMax: number): Promise<ReadRound> {
  const answers = await invokeOnOwners(context, "read", wanted.filter((w): w is ReadItem => !isFixed(w)), unknownPartition);
  let next = 0;
  const results = wanted.map((w) => (isFixed(w) ? w : answers[next++]));
  return capResponseBytes(results, responseBytesMax);
}

/**
 * Resolves true when an owner sees a partition differ from what was read (new data past the high
 * watermark read, a moved log start, the partition gone), false after waitMs. A watch of nothing
 * (every partition unknown) just waits.
 */
async function waitForChange(context: BrokerContext, wanted: Read[], results: ReadResult[], waitMs: number): Promise<boolean> {
  const table = context.metadata();
  const byShard = new Map<number, WatchItem[]>();
  wanted.forEach((w, i) => {
    if (isFixed(w)) return;
    const shard = table.ownerOf(w.topic, w.partition);
    if (shard === undefined) return;
    const item = watchItem(w, results[i]);
    const items = byShard.get(shard);
    if (items) items.push(item);
    else byShard.set(shard, [item]);
  });
  if (byShard.size === 0) byShard.set(context.shardId, []);
  const watchId = newWatchId(context.shardId);
  const waiting = new Set(byShard.keys());
  const answers = [...byShard].map(([shard, items]) =>
    context.invoke(shard, "watch", { watchId, waitMs, items }).then((answer) => {
      waiting.delete(shard);
      return answer;
    }),
  );
  const { woken } = await Promise.race(answers);
  // The other owners' watches would otherwise hold their timers and entries until max_wait_ms. Nobody waits for
  // this answer; it fails only when the channel closes at shutdown, and then the watch ends with its timer anyway.
  for (const shard of waiting) context.invoke(shard, "unwatch", { watchId }).catch(() => {});
  return woken;
}

type PartitionData = ReturnType<typeof partitionData>;
interface TopicData {
  topic: string;
  topicId: string;
  partitions: PartitionData[];
}

/** The included partitions, consecutive ones of a topic (by id on v13+) under one topic entry (as Kafka builds it). */
function respond(wanted: FetchItem[], reads: Read[], results: ReadResult[], included: boolean[], usesTopicIds: boolean): TopicData[] {
  const topics: TopicData[] = [];
  wanted.forEach((w, i) => {
    if (!included[i]) return;
    const last = topics[topics.length - 1];
    const same = last !== undefined && (usesTopicIds ? last.topicId === w.topicId : last.topic === w.topic);
    if (same) return void last.partitions.push(partitionData(w, results[i]));
    const read = reads[i];
    topics.push({ topic: isFixed(read) ? (usesTopicIds ? "" : w.topic) : read.topic, topicId: w.topicId, partitions: [partitionData(w, results[i])] });
  });
  return topics;
}

/**
 * Kafka's KIP-951 hints: a partition answering NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH names its current leader,
 * and the response carries that leader's endpoint. On one node the only leader is this node
 * (epoch 0, as Metadata reports); a replicated partition names the leader its replica knows.
 */
function hintLeaders(context: BrokerContext, responses: TopicData[], answered: ReadResult[]) {
  const leaders = new Set<number>();
  let k = 0;
  for (const topic of responses) {
    for (const p of topic.partitions) {
      const result = answered[k++];
      if (p.errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && p.errorCode !== ErrorCode.FENCED_LEADER_EPOCH) continue;
      p.currentLeader = result?.currentLeader ?? { leaderId: context.nodeId, leaderEpoch: LEADER_EPOCH };
      if (p.currentLeader.leaderId >= 0) leaders.add(p.currentLeader.leaderId);
    }
  }
  return leaderEndpoints(context, leaders);
}

const LEADER_EPOCH = 0;
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

function partitionData(w: FetchItem, r: ReadResult) {
  return {
    currentLeader: NO_LEADER,
    partitionIndex: w.partition,
    errorCode: r.errorCode,
    highWatermark: r.highWatermark,
    lastStableOffset: r.lastStableOffset,
    logStartOffset: r.logStartOffset,
    abortedTransactions: r.abortedTransactions,
    preferredReadReplica: r.preferredReadReplica ?? -1,
    records: r.records,
  };
}
