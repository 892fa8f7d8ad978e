/**
 * Whether a new Kafka connection may stay: node-wide limits on all connections
 * (`kafka_connections_max`) and per client address (`kafka_connections_max_per_ip`, with
 * `kafka_connections_max_overrides`) counted in `SharedCounts` across the shards, and a per-shard
 * limit on how many connections one address opens per second (`kafka_connection_rate_limit`,
 * per core as Redpanda's, with `kafka_connection_rate_limit_overrides`).
 */
import type { Clock } from "../base/clock.ts";
import { KEY_CHARS_MAX, SharedCounts } from "../base/shared-counts.ts";
import { normalizeAddress, parseAddressCounts, perAddressCounting } from "../cluster/connection-limits.ts";
import type { ClusterProperties } from "../cluster/properties.ts";

export interface AdmittedConnection {
  release(): void;
}

export class ConnectionAdmission {
  private readonly perAddressOverrides: Map<string, number>;
  private readonly rateOverrides: Map<string, number>;
  private readonly countsPerAddress: boolean;
  /** Connections opened this second on this shard, by address (cleared each second: bounded by the accept rate). */
  private readonly openedThisSecond = new Map<string, number>();
  private second = -1;

  constructor(
    private readonly counts: SharedCounts,
    private readonly props: ClusterProperties,
    private readonly clock: Clock,
  ) {
    this.perAddressOverrides = parseAddressCounts(props.kafka_connections_max_overrides);
    this.rateOverrides = parseAddressCounts(props.kafka_connection_rate_limit_overrides);
    this.countsPerAddress = perAddressCounting(props);
  }

  /** The admitted connection (release it when it closes), or why it is refused. */
  admit(remoteAddress: string): AdmittedConnection | { refused: string } {
    const address = normalizeAddress(remoteAddress);
    const rateProblem = this.overRate(address);
    if (rateProblem) return { refused: rateProblem };
    if (!this.counts.openTotal(this.props.kafka_connections_max)) return { refused: `kafka_connections_max (${this.props.kafka_connections_max}) reached` };
    if (!this.countsPerAddress) return this.adopted(address);
    // An address too long for the table (never a real IP) is refused rather than left uncounted.
    const limit = this.perAddressOverrides.get(address) ?? this.props.kafka_connections_max_per_ip;
    const outcome = address.length <= KEY_CHARS_MAX ? this.counts.openKey(address, limit) : "full";
    if (outcome !== "ok") {
      this.counts.closeTotal();
      return { refused: outcome === "key" ? `${limit} connections from ${address} already (kafka_connections_max_per_ip)` : "too many client addresses at once" };
    }
    return this.adopted(address);
  }

  /**
   * A connection another shard admitted and moved here: its slot in the node-wide counts moves
   * with it (no new count, no rate check), and is given back here when it closes.
   */
  adopted(remoteAddress: string): AdmittedConnection {
    const address = normalizeAddress(remoteAddress);
    if (!this.countsPerAddress) return { release: () => this.counts.closeTotal() };
    return {
      release: () => {
        this.counts.closeKey(address);
        this.counts.closeTotal();
      },
    };
  }

  private overRate(address: string): string | null {
    const limit = this.rateOverrides.get(address) ?? this.props.kafka_connection_rate_limit;
    if (limit < 0) return null;
    const second = Math.floor(this.clock.nowMs() / 1000);
    if (second !== this.second) {
      this.second = second;
      this.openedThisSecond.clear();
    }
    const opened = (this.openedThisSecond.get(address) ?? 0) + 1;
    this.openedThisSecond.set(address, opened);
    return opened > limit ? `more than ${limit} new connections from ${address} this second on this shard (kafka_connection_rate_limit)` : null;
  }
}
