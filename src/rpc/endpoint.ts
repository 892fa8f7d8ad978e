/**
 * A shard's RPC endpoint: it serves requests arriving on its listener (one port shared by all
 * shards of the node through SO_REUSEPORT, so a connection lands on any shard) and owns this
 * shard's link to every peer node. A request names its destination (a Raft group, or a shard);
 * the shard that accepted it serves it in place when it owns that destination, or hands the
 * still-encoded body to the owner over the shard channel (one hop) and writes the owner's
 * encoded reply back.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Servers } from "../base/calls.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { decodeBody, encodeBody } from "./frame.ts";
import { errorBody, type Reply } from "./inbound.ts";
import { ANY_SHARD, NO_GROUP, rpcMethodNames, rpcMethods, type RpcCallName, type RpcCalls, type RpcHeader, type RpcMethod } from "./messages/index.ts";
import type { PeerLink, PeerLinkState } from "./outbound.ts";

/** What a shard asks of another shard on behalf of an RPC request it accepted. */
export interface RpcHopCalls {
  rpcDeliver: { request: { method: number; body: Uint8Array }; response: Reply };
}

export interface RpcRouting {
  shardId: number;
  shardCount: number;
  /** The shard of this node that owns a Raft group, or null when none does. */
  groupOwner(group: number): number | null;
  /** Hands a request to another shard of this node. */
  hop(shard: number, request: RpcHopCalls["rpcDeliver"]["request"]): Promise<Reply>;
}

/** What a shard serves; the ping always, the Raft calls once its replication layer has started. */
export type RpcServers = Partial<Servers<RpcCalls>> & Pick<Servers<RpcCalls>, "ping">;

export class RpcEndpoint {
  readonly hopServers: Servers<RpcHopCalls>;
  private readonly servers: RpcServers;
  /** Links to peer nodes by node id (from the cluster's node list), beside the seed links. */
  private readonly nodeLinks = new Map<number, PeerLink>();

  constructor(
    servers: RpcServers,
    private readonly routing: RpcRouting,
    private readonly links: ReadonlyMap<string, PeerLink>,
  ) {
    this.servers = { ...servers };
    this.hopServers = { rpcDeliver: ({ method, body }) => this.serveHere(method, body) };
  }

  /** Adds (or replaces) servers of RPC methods. */
  addServers(servers: Partial<Servers<RpcCalls>>): void {
    Object.assign(this.servers, servers);
  }

  /** This shard's link to a node by id, once `addNodeLink` made one. */
  nodeLink(nodeId: number): PeerLink | undefined {
    return this.nodeLinks.get(nodeId);
  }

  /** Adds and starts the link to a node (no-op when one exists at that address; a moved node gets a new link). */
  addNodeLink(nodeId: number, link: PeerLink): void {
    const known = this.nodeLinks.get(nodeId);
    if (known !== undefined && known.name === link.name) return;
    known?.close();
    this.nodeLinks.set(nodeId, link);
    link.start();
  }

  /** Serves a request accepted on this shard's listener, here or on its owner shard. */
  serve = async (header: RpcHeader, body: Uint8Array): Promise<Reply> => {
    if (!rpcMethodNames.has(header.method)) return { kind: "malformed", reason: `unknown RPC method ${header.method}` };
    const owner = this.ownerOf(header);
    if (typeof owner === "string") return { kind: "error", body: errorBody(new Error(owner)) };
    if (owner === this.routing.shardId) return this.serveHere(header.method, body);
    return this.routing.hop(owner, { method: header.method, body });
  };

  link(address: string): PeerLink | undefined {
    return this.links.get(address);
  }

  peers(): PeerLinkState[] {
    return [...this.links.values()].map((link) => link.snapshot());
  }

  /** The links by node id, with their node ids. */
  nodePeers(): Array<PeerLinkState & { node: number }> {
    return [...this.nodeLinks].map(([node, link]) => ({ ...link.snapshot(), node }));
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    for (const link of this.nodeLinks.values()) link.close();
  }

  /** The owning shard's number, or why there is none. */
  private ownerOf(header: RpcHeader): number | string {
    const { shardCount } = this.routing;
    if (header.group !== NO_GROUP) return this.routing.groupOwner(header.group) ?? `no shard of this node owns group ${header.group}`;
    if (header.shard === ANY_SHARD) return this.routing.shardId;
    if (header.shard >= 0 && header.shard < shardCount) return header.shard;
    return `no shard ${header.shard} on this node (it has ${shardCount})`;
  }

  private async serveHere(method: number, body: Uint8Array): Promise<Reply> {
    const name = rpcMethodNames.get(method) as RpcCallName;
    const def = rpcMethods[name] as RpcMethod<any, any>;
    const server = this.servers[name] as ((request: unknown) => Promise<unknown>) | undefined;
    if (server === undefined) return { kind: "error", body: errorBody(new Error(`RPC method ${name} is not served on this shard`)) };
    let request: unknown;
    try {
      request = decodeBody(def.request, body);
    } catch (error) {
      if (error instanceof ProtocolError) return { kind: "malformed", reason: error.message };
      throw error;
    }
    try {
      const response = await server(request);
      return { kind: "response", body: encodeBody(def.response, response) };
    } catch (error) {
      rethrowIfBroken(error);
      return { kind: "error", body: errorBody(error) };
    }
  }
}
