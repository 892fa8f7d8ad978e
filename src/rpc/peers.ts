/**
 * The node's view of its peers for the admin API (`GET /v1/brokers`): every shard has its own
 * link to each peer, so a peer is alive when all of this node's shards are connected to it.
 */
import type { PeerLinkState } from "./outbound.ts";

export interface PeerSummary {
  address: string;
  /** Learned from the peer's hello; null until one was accepted. */
  nodeId: number | null;
  shardCount: number | null;
  alive: boolean;
  /** The peer answered a hello with another cluster's id. */
  refused: boolean;
  links: Array<PeerLinkState & { shard: number }>;
}

/** `perShard[s]` is shard s's links; peers come out in the order the first shard lists them. */
export function summarizePeers(perShard: PeerLinkState[][]): PeerSummary[] {
  const byAddress = new Map<string, PeerSummary>();
  perShard.forEach((links, shard) => {
    for (const link of links) {
      let peer = byAddress.get(link.address);
      if (peer === undefined) byAddress.set(link.address, (peer = { address: link.address, nodeId: null, shardCount: null, alive: true, refused: false, links: [] }));
      peer.nodeId ??= link.nodeId;
      peer.shardCount ??= link.shardCount;
      peer.alive &&= link.state === "connected";
      peer.refused ||= link.refused;
      peer.links.push({ ...link, shard });
    }
  });
  return [...byAddress.values()];
}
