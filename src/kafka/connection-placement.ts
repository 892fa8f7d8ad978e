/**
 * Where a client connection should live. A connection is served by the shard that accepted it,
 * and each request for a partition another shard owns costs a hop there and back (a message, a
 * wakeup of each thread, the bytes copied or shared), which for small requests is most of their
 * cost. A connection whose requests keep going to one other shard only, as a producer's or a
 * consumer's of one partition do, is better served there: this tells when to move it.
 *
 * Produce and Fetch count. A connection that opened a fetch session (KIP-227) never moves: the
 * session is this shard's. Other requests (Metadata, ApiVersions, InitProducerId, a group's)
 * neither count nor break the count.
 */
const PRODUCE_KEY = 0;
const FETCH_KEY = 1;

/** What `Dispatcher` says of a request: the one shard it used, or these. */
export const NO_SHARD = -1;
export const SEVERAL_SHARDS = -2;

/** Moves tried per connection: one that never comes quiet (always requests in flight) stops trying. */
const MOVES_TRIED_MAX = 3;

export class ConnectionPlacement {
  private candidate = NO_SHARD;
  private streak = 0;
  private pinned = false;
  private tries = 0;

  constructor(
    private readonly shardId: number,
    /** Requests that count (Produce, sessionless Fetch) in a row, all to one other shard, before the connection moves there. */
    private readonly requestsBeforeMove: number,
  ) {}

  /** After each request: the shard to move the connection to now, or NO_SHARD. `bound`: it left state here that is the connection's. */
  routed(apiKey: number, shard: number, bound: boolean): number {
    if (bound) this.pinned = true;
    if (this.pinned || (apiKey !== PRODUCE_KEY && apiKey !== FETCH_KEY)) return NO_SHARD;
    if (shard < 0 || shard === this.shardId) {
      this.streak = 0;
      return NO_SHARD;
    }
    this.streak = shard === this.candidate ? this.streak + 1 : 1;
    this.candidate = shard;
    if (this.streak < this.requestsBeforeMove) return NO_SHARD;
    this.pinned = true; // while it moves; once moved it has no placement (server.ts): it never goes back and forth
    this.tries++;
    return shard;
  }

  /** The move did not happen (the connection was never quiet in time): it may try again later. */
  moveFailed(): void {
    this.streak = 0;
    this.pinned = this.tries >= MOVES_TRIED_MAX;
  }
}
