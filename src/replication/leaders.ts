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

  /** Records what is known of a group; ignored when older than what is already known. Returns whether it changed. */
  update(group: number, info: LeaderInfo): boolean {
    const known = this.byGroup.get(group);
    if (known && (known.term > info.term || (known.term === info.term && known.leader !== null && info.leader === null))) return false;
    if (known && known.term === info.term && known.leader === info.leader && sameMembers(known.inSync, info.inSync)) return false;
    this.byGroup.set(group, info);
    return true;
  }

  get(group: number): LeaderInfo | undefined {
    return this.byGroup.get(group);
  }

  forget(group: number): void {
    this.byGroup.delete(group);
  }

  entries(): IterableIterator<[number, LeaderInfo]> {
    return this.byGroup.entries();
  }
}

function sameMembers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
