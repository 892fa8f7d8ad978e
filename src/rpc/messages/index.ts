/**
 * The internal RPC messages between skua nodes, written as message definitions like the Kafka
 * ones (protocol/schema.ts) and read and written by the same codec. Every message is version 0
 * and flexible (compact lengths, tagged fields), so a new field can be added later as a tagged
 * one without a new version. `apiKey` is the method's number on the wire.
 */
import { f, message, type MessageDef, type TaggedFields } from "../../protocol/schema.ts";
import { ControllerCallRequest, ControllerCallResponse } from "./controller.ts";

export * from "./controller.ts";
import { LeadershipAck, LeadershipRequest, RaftAck, RaftBatchAck, RaftBatchRequest, RaftRequest } from "./raft.ts";

export * from "./raft.ts";
import { OpCallRequest, OpCallResponse } from "./op.ts";

export * from "./op.ts";

/** "SKRP": the first bytes of every RPC frame; anything else is not a skua peer. */
export const RPC_MAGIC = 0x534b5250;
export const RPC_VERSION = 0;

export const RpcKind = { request: 0, response: 1, error: 2 } as const;
export type RpcKind = (typeof RpcKind)[keyof typeof RpcKind];

/** No Raft group / no particular shard in a header's destination. */
export const NO_GROUP = -1;
export const ANY_SHARD = -1;

/**
 * Every frame: [int32 size][header][body]. The destination (Group, or Shard when Group is -1)
 * says which shard of the receiving node serves a request; responses echo the request's.
 */
export const RpcHeader = message<RpcHeader>("header", "RpcHeader", -1, "0", "0+", [
  f("Magic", "int32", "0+"),
  f("Version", "int8", "0+"),
  f("Kind", "int8", "0+"),
  f("Method", "int16", "0+"),
  f("CorrelationId", "int32", "0+"),
  f("Group", "int64", "0+"),
  f("Shard", "int16", "0+"),
]);
export interface RpcHeader extends TaggedFields {
  magic: number;
  version: number;
  kind: number;
  method: number;
  correlationId: number;
  group: number;
  shard: number;
}

/** The body of a response of kind `error`: the request failed on the serving node. */
export const RpcErrorBody = message<RpcErrorBody>("data", "RpcErrorBody", -1, "0", "0+", [f("Message", "string", "0+")]);
export interface RpcErrorBody extends TaggedFields {
  message: string;
}

/** The first request on every connection: who is calling, from which cluster. */
export const HelloRequest = message<HelloRequest>("request", "HelloRequest", 0, "0", "0+", [
  f("NodeId", "int32", "0+"),
  f("ClusterId", "string", "0+"),
  f("RpcHost", "string", "0+"),
  f("RpcPort", "int32", "0+"),
  f("ShardId", "int16", "0+"),
  f("ShardCount", "int16", "0+"),
  f("SoftwareVersion", "string", "0+"),
]);
export interface HelloRequest extends TaggedFields {
  nodeId: number;
  clusterId: string;
  rpcHost: string;
  rpcPort: number;
  shardId: number;
  shardCount: number;
  softwareVersion: string;
}
export const HelloResponse = message<HelloResponse>("response", "HelloResponse", 0, "0", "0+", [
  f("NodeId", "int32", "0+"),
  f("ClusterId", "string", "0+"),
  f("ShardCount", "int16", "0+"),
  f("SoftwareVersion", "string", "0+"),
]);
export interface HelloResponse extends TaggedFields {
  nodeId: number;
  clusterId: string;
  shardCount: number;
  softwareVersion: string;
}

/** Liveness and round-trip time; the payload comes back as sent (benchmarks size it). */
export const PingRequest = message<PingRequest>("request", "PingRequest", 1, "0", "0+", [
  f("SentAtMs", "int64", "0+"),
  f("Payload", "bytes", "0+"),
]);
export interface PingRequest extends TaggedFields {
  sentAtMs: number;
  payload: Uint8Array;
}
export const PingResponse = message<PingResponse>("response", "PingResponse", 1, "0", "0+", [
  f("SentAtMs", "int64", "0+"),
  f("NodeId", "int32", "0+"),
  f("ShardId", "int16", "0+"),
  f("Payload", "bytes", "0+"),
]);
export interface PingResponse extends TaggedFields {
  sentAtMs: number;
  nodeId: number;
  /** The shard that served it: where the destination led. */
  shardId: number;
  payload: Uint8Array;
}

export interface RpcMethod<Req, Res> {
  readonly request: MessageDef<Req>;
  readonly response: MessageDef<Res>;
}

/** The calls a node serves to its peers after the hello, by name; each method's key is its request's apiKey. */
export interface RpcCalls {
  ping: { request: PingRequest; response: PingResponse };
  controllerCall: { request: ControllerCallRequest; response: ControllerCallResponse };
  raft: { request: RaftRequest; response: RaftAck };
  raftBatch: { request: RaftBatchRequest; response: RaftAck };
  leadership: { request: LeadershipRequest; response: RaftAck };
  opCall: { request: OpCallRequest; response: OpCallResponse };
}
export type RpcCallName = keyof RpcCalls & string;

export const rpcMethods: { [N in RpcCallName]: RpcMethod<RpcCalls[N]["request"], RpcCalls[N]["response"]> } = {
  ping: { request: PingRequest, response: PingResponse },
  controllerCall: { request: ControllerCallRequest, response: ControllerCallResponse },
  raft: { request: RaftRequest, response: RaftAck },
  raftBatch: { request: RaftBatchRequest, response: RaftBatchAck },
  leadership: { request: LeadershipRequest, response: LeadershipAck },
  opCall: { request: OpCallRequest, response: OpCallResponse },
};

export const HELLO_METHOD = HelloRequest.apiKey;

/** Method key → name, for frames arriving from the network. */
export const rpcMethodNames = new Map<number, RpcCallName>(
  (Object.keys(rpcMethods) as RpcCallName[]).map((name) => [rpcMethods[name].request.apiKey, name]),
);
