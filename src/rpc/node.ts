/**
 * Starts one shard's part of a node's RPC: the listener on the node's RPC address (shared by its
 * shards), the link to each seed (all but this node itself), and the calls it serves.
 */
import type { TCPSocketListener } from "bun";
import type { Clock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import type { Logger } from "../base/log.ts";
import type { Timers } from "../base/timers.ts";
import { defaultBackoff, type BackoffPolicy } from "./backoff.ts";
import { bunDialer, listenRpc } from "./bun-net.ts";
import { RpcEndpoint, type RpcRouting, type RpcServers } from "./endpoint.ts";
import type { LocalIdentity } from "./inbound.ts";
import type { HelloRequest } from "./messages/index.ts";
import { PeerLink, type Dialer, type HostPort } from "./outbound.ts";
import { RateLimitedLog } from "./rate-limited-log.ts";

/** How often each link pings its peer; a ping unanswered within the call timeout closes the link. */
export const RPC_PING_INTERVAL_MS = 1000;
export const RPC_CALL_TIMEOUT_MS = 5000;

export interface RpcNodeSettings {
  listen: HostPort;
  advertised: HostPort;
  seeds: HostPort[];
}

export interface ShardRpcOptions {
  identity: LocalIdentity;
  /** Why a caller's node id is refused at hello (a node that left the cluster), or null. */
  refuseNode?: (nodeId: number) => string | null;
  settings: RpcNodeSettings;
  routing: RpcRouting;
  clock: Clock;
  timers: Timers;
  random: () => number;
  log: Logger;
  dial?: Dialer;
  backoff?: BackoffPolicy;
  pingIntervalMs?: number;
  frameBytesMax?: number;
  inflightMax?: number;
  /** What the node serves; default: ping alone (more can be added later: `endpoint.addServers`). */
  servers?: RpcServers;
}

export interface ShardRpc {
  endpoint: RpcEndpoint;
  listener: TCPSocketListener<unknown>;
  /** Makes (once) and starts this shard's link to a cluster node at its RPC address. */
  linkNode(nodeId: number, address: HostPort): void;
  stop(): void;
}

export const sameAddress = (a: HostPort, b: HostPort) => a.host === b.host && a.port === b.port;

/** The seeds this node dials: every one but itself (by its listen or advertised address), once each. */
export function peerAddresses(settings: RpcNodeSettings): HostPort[] {
  const peers: HostPort[] = [];
  for (const seed of settings.seeds) {
    if (sameAddress(seed, settings.listen) || sameAddress(seed, settings.advertised)) continue;
    if (!peers.some((p) => sameAddress(p, seed))) peers.push(seed);
  }
  return peers;
}

export function pingServer(identity: LocalIdentity): RpcServers {
  return {
    ping: async ({ sentAtMs, payload }) => ({ sentAtMs, nodeId: identity.nodeId, shardId: identity.shardId, payload }),
  };
}

export function startShardRpc(options: ShardRpcOptions): ShardRpc {
  const { identity, settings } = options;
  const warn = new RateLimitedLog(options.log, options.clock);
  const frameBytesMax = options.frameBytesMax ?? limits.rpcFrameBytesMax;
  const hello: HelloRequest = {
    nodeId: identity.nodeId, clusterId: identity.clusterId, rpcHost: settings.advertised.host, rpcPort: settings.advertised.port,
    shardId: identity.shardId, shardCount: identity.shardCount, softwareVersion: identity.softwareVersion,
  };
  const makeLink = (address: HostPort) => new PeerLink({
    address, hello, dial: options.dial ?? bunDialer, clock: options.clock, timers: options.timers, random: options.random,
    backoff: options.backoff ?? defaultBackoff, inflightMax: options.inflightMax ?? limits.rpcInflightPerPeerMax, frameBytesMax,
    callTimeoutMs: RPC_CALL_TIMEOUT_MS, pingIntervalMs: options.pingIntervalMs ?? RPC_PING_INTERVAL_MS, warn,
  });
  const links = new Map<string, PeerLink>();
  for (const address of peerAddresses(settings)) links.set(`${address.host}:${address.port}`, makeLink(address));
  const endpoint = new RpcEndpoint(options.servers ?? pingServer(identity), options.routing, links);
  const listener = listenRpc(settings.listen.host, settings.listen.port, {
    identity, serve: endpoint.serve, frameBytesMax, inflightMax: limits.rpcInflightPerConnectionMax, warn, refuseNode: options.refuseNode,
  });
  for (const link of links.values()) link.start();
  return {
    endpoint,
    listener: listener as TCPSocketListener<unknown>,
    linkNode: (nodeId, address) => {
      if (nodeId === identity.nodeId) return;
      if (endpoint.nodeLink(nodeId)?.name === `${address.host}:${address.port}`) return;
      endpoint.addNodeLink(nodeId, makeLink(address));
    },
    stop: () => {
      endpoint.close();
      listener.stop(true);
    },
  };
}
