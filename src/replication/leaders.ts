/**
 * What one shard knows of each Raft group's leader: for the groups it hosts, from the group
 * itself; for the rest, from the leadership reports other nodes and shards send. Metadata
 * answers and NOT_LEADER_OR_FOLLOWER hints read it; it is a hint, never a proof of leadership
 * (only the group itself decides whether it may append).
 */

export interface LeaderInfo {
  /** The leader's node id, or null while the group has none known. */
  leader: number | null;
  /** The term the information is from; older information never replaces newer. */
  term: number;
  /** Voters caught up with the leader (the in-sync replicas), as the leader reported them. */
  inSync: number[];
}

export class LeaderTable {
  private readonly byGroup = new Map<number, LeaderInfo>();
  /** Each group's last leader known, kept while it has none: Metadata names it meanwhile (leaders.ts in kafka/handlers). */
  private readonly lastLeaders = new Map<number, number>();

  /**
   * Records what node `from` knows of a group; ignored when older than what is already known.
   * "No leader" in the term of a known leader is taken only from that leader itself (it stepped
   * down: there is none in that term any more); from anyone else it only means they lost track.
   * Returns whether it changed.
   */
  update(group: number, info: LeaderInfo, from: number): boolean {
    const known = this.byGroup.get(group);
    if (known && (known.term > info.term || (known.term === info.term && known.leader !== null && info.leader === null && from !== known.leader))) return false;
    if (known && known.term === info.term && known.leader === info.leader && sameMembers(known.inSync, info.inSync)) return false;
    this.byGroup.set(group, info);
    if (info.leader !== null) this.lastLeaders.set(group, info.leader);
    return true;
  }

  get(group: number): LeaderInfo | undefined {
    return this.byGroup.get(group);
  }

  /** The last leader known for the group, whether or not it still leads. */
  lastLeader(group: number): number | undefined {
    return this.lastLeaders.get(group);
  }

  entries(): IterableIterator<[number, LeaderInfo]> {
    return this.byGroup.entries();
  }
}

function sameMembers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
