/** The shape every Kafka API handler has: its version range, and decoded request → response. */
import type { Clock } from "../base/clock.ts";
import type { ControllerCallName, ControllerCalls } from "../cluster/controller-calls.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import type { ApiKey, ApiTypes } from "../protocol/messages/index.ts";
import type { Loose } from "../protocol/schema.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { OpName, OpRequest, OpResponse } from "./ops.ts";
import type { ProducerIdPool } from "./producer-id-pool.ts";
import type { FetchSessionCache } from "./fetch-sessions.ts";
import type { SaslSession } from "./sasl/session.ts";
import type { Authorize } from "./authorize.ts";
import type { AclOperationName } from "../cluster/acls.ts";
import type { ClientConnection } from "./client-connection.ts";

/** What a handler may use of the shard it runs on. */
export interface BrokerContext {
  readonly shardId: number;
  readonly shardCount: number;
  readonly nodeId: number;
  /** This node's rack (--rack); a node of one answers it in Metadata. */
  readonly rack?: string | null;
  readonly clusterId: string;
  /** Where clients are told to connect: the listener the request came in on (set per request by the dispatcher). */
  readonly advertised: { host: string; port: number };
  readonly props: ClusterProperties;
  readonly clock: Clock;
  metadata(): MetadataTable;
  /** In a cluster: what this shard knows of each Raft group's leader, term and in-sync replicas (replication/leaders.ts). */
  readonly leaders?: {
    get(group: number): { leader: number | null; term: number; inSync: number[] } | undefined;
    /** The last leader known, kept while the group has none. */
    lastLeader(group: number): number | undefined;
  };
  /** Runs an op on the shard that owns the partitions: in place when that is this shard. */
  invoke<Op extends OpName>(shard: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>>;
  /**
   * In a cluster: runs an op on the shard holding the leader's replica of a replicated partition,
   * here or on another node (RPC `opCall`; transaction ops only). Rejects while no leader is known
   * or when the call fails.
   */
  invokeLeader?<Op extends OpName>(topic: string, partition: number, op: Op, request: OpRequest<Op>): Promise<OpResponse<Op>>;
  /** Asks the controller (main thread); metadata changes it made are applied here before it answers. */
  callController<N extends ControllerCallName>(name: N, request: ControllerCalls[N]["request"]): Promise<ControllerCalls[N]["response"]>;
  /** This shard's producer ids: one pool for the shard's lifetime, refilled from the controller by blocks. */
  readonly producerIds: ProducerIdPool;
  /** The broker's data directory: its one log dir. */
  readonly dataDir: string;
  /** This shard's incremental fetch sessions (KIP-227). */
  readonly fetchSessions: FetchSessionCache;
  /** Whether this request's principal may do an operation on a resource (authorize.ts); always true with authorization off. */
  readonly authorize: Authorize;
}

/** The shard's context before a request: the dispatcher adds the request's `authorize`. */
export type ShardContext = Omit<BrokerContext, "authorize">;

export interface RequestInfo {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** The connection's SASL state; none where a request does not come from a client connection. */
  sasl?: SaslSession;
  /** The connection's listener and principal (`User:alice`); none where a request does not come from a client connection. */
  client?: ClientConnection;
}

/**
 * Byte fields of a response at least this long (record batches) are not copied into the response
 * frame: they go to the socket as parts of their own (`Writer`'s referBytesMin). Below it a copy
 * costs less than the extra socket write.
 */
export const RESPONSE_REFER_BYTES_MIN = 16 * 1024;

/** Returned by a handler when the request gets no response at all (Produce with acks=0). */
export const NO_RESPONSE = Symbol("no response");

export interface ApiHandler {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  // Requests and responses are the codec's decoded objects; each handler types its own.
  handle(context: BrokerContext, request: any, info: RequestInfo): Promise<object | typeof NO_RESPONSE>;
  /** Roughly how big the response's own buffer will be (referred byte fields not counted), so it is written without regrowing. */
  responseBytesHint?(response: any): number;
}

/** A handler as written: tied by its API key to that API's message definitions. */
interface HandlerSpec<K extends ApiKey, Res> {
  apiKey: K;
  name: string;
  minVersion: number;
  maxVersion: number;
  handle(context: BrokerContext, request: ApiTypes[K]["request"], info: RequestInfo): Promise<Res | typeof NO_RESPONSE>;
  responseBytesHint?(response: Res): number;
}

/** Field names in `T`, at any depth, that `Shape` has no field for; never when there are none. */
type UnknownFields<T, Shape> = T extends Uint8Array
  ? never
  : T extends readonly (infer E)[]
    ? Shape extends readonly (infer S)[] ? UnknownFields<E, S> : never
    : T extends object
      ? { [K in keyof T]-?: K extends keyof Shape ? UnknownFields<T[K], NonNullable<Shape[K]>> : K }[keyof T]
      : never;

/** Fails to type-check, naming the fields, when a response has a field its message definition lacks. */
type KnownFieldsOnly<Res, Shape> = [UnknownFields<Res, Shape>] extends [never] ? unknown : { misspelledResponseFields: UnknownFields<Res, Shape> };

/**
 * Defines a handler. Its request type and response shape come from the message definitions of
 * its `apiKey` (protocol/messages): a response field of the wrong type, or one the definition
 * does not have (a misspelling), is a type error. Fields left out are encoded as their defaults.
 */
export function defineHandler<K extends ApiKey, Res extends Loose<ApiTypes[K]["response"]>>(
  handler: HandlerSpec<K, Res> & KnownFieldsOnly<Res, ApiTypes[K]["response"]>,
): ApiHandler {
  return handler;
}

/** The ops that take a list of partitions and answer each in order. */
type PartitionOp = "produce" | "read" | "listOffsets" | "deleteRecords" | "sizes" | "epochEnds" | "writeTxnMarkers" | "describeProducers";
type ItemOf<Op extends PartitionOp> = OpRequest<Op>["items"][number];
type AnswerOf<Op extends PartitionOp> = OpResponse<Op>[number];

/**
 * Runs `op` for each partition on the shard that owns it (one call per owner) and returns the
 * answers in item order; a partition no shard owns (unknown topic or partition) gets `unknown`.
 */
export async function invokeOnOwners<Op extends PartitionOp>(
  context: BrokerContext,
  op: Op,
  items: ItemOf<Op>[],
  unknown: AnswerOf<Op>,
  authorized?: TopicCheck<Op>,
): Promise<AnswerOf<Op>[]> {
  const table = context.metadata();
  const allowed = authorized ? topicsAllowed(context, authorized.operation, items.map((item) => item.topic)) : null;
  const denied = -1;
  const owners = items.map((item) => (allowed && !allowed.has(item.topic) ? denied : table.ownerOf(item.topic, item.partition)));
  const known = items.flatMap((item, i) => (owners[i] === undefined || owners[i] === denied ? [] : [{ item, shard: owners[i] }]));
  const answers = await scatterByShard(known, (k) => k.shard, (shard, batch) =>
    context.invoke(shard, op, { items: batch.map((k) => k.item) } as OpRequest<Op>) as Promise<AnswerOf<Op>[]>,
  );
  let next = 0;
  // A replicated partition with no replica on this node exists elsewhere: the client should ask its leader.
  const elsewhere = { ...unknown, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  return owners.map((shard, i) => {
    if (shard === denied) return authorized!.denied;
    if (shard !== undefined) return answers[next++];
    return table.assignment(items[i].topic, items[i].partition) ? elsewhere : unknown;
  });
}

/** The operation each item's topic needs, and what an item gets without it. */
export interface TopicCheck<Op extends PartitionOp> {
  operation: AclOperationName;
  denied: AnswerOf<Op>;
}

/** The names among `topics` the request may do `operation` on (each asked once). */
export function topicsAllowed(context: BrokerContext, operation: AclOperationName, topics: Iterable<string>): Set<string> {
  const allowed = new Set<string>();
  for (const topic of new Set(topics)) if (context.authorize(operation, "topic", topic)) allowed.add(topic);
  return allowed;
}

/** Splits items by owning shard, runs one op per shard, and returns the answers in item order. */
export async function scatterByShard<Item, Answer>(
  items: Item[],
  ownerOf: (item: Item) => number,
  run: (shard: number, items: Item[]) => Promise<Answer[]>,
): Promise<Answer[]> {
  const byShard = new Map<number, number[]>();
  items.forEach((item, index) => {
    const shard = ownerOf(item);
    const indexes = byShard.get(shard);
    if (indexes) indexes.push(index);
    else byShard.set(shard, [index]);
  });
  const answers = new Array<Answer>(items.length);
  await Promise.all(
    [...byShard].map(async ([shard, indexes]) => {
      const results = await run(shard, indexes.map((i) => items[i]));
      indexes.forEach((itemIndex, k) => (answers[itemIndex] = results[k]));
    }),
  );
  return answers;
}
