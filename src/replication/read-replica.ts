/**
 * KIP-392's replica selection, as Kafka's RackAwareReplicaSelector: the replica a consumer in
 * `clientRack` should fetch from. The leader when it is in that rack (or the consumer names none);
 * else the in-sync follower in that rack holding the most, among those that hold the fetch offset
 * (Kafka's filter: a replica short of it would answer OFFSET_OUT_OF_RANGE); ties: lowest id. Pure.
 */

/** -1: keep fetching from the leader (Kafka's "no preferred read replica"). */
export const NO_PREFERRED_REPLICA = -1;

export interface ReadReplicaView {
  clientRack: string;
  leader: number;
  /** The voters the leader counts in sync (itself included). */
  inSync: readonly number[];
  rackOf(node: number): string | null;
  /** The last offset the leader knows a follower holds; undefined when it knows nothing of it. */
  matchIndexOf(node: number): number | undefined;
  fetchOffset: number;
}

export function preferredReadReplica(view: ReadReplicaView): number {
  if (view.clientRack === "" || view.rackOf(view.leader) === view.clientRack) return NO_PREFERRED_REPLICA;
  let best = NO_PREFERRED_REPLICA;
  let bestMatch = -Infinity;
  for (const node of view.inSync) {
    if (node === view.leader || view.rackOf(node) !== view.clientRack) continue;
    const match = view.matchIndexOf(node);
    if (match === undefined || match + 1 < view.fetchOffset) continue;
    if (match > bestMatch || (match === bestMatch && node < best)) {
      best = node;
      bestMatch = match;
    }
  }
  return best;
}
