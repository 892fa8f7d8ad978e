/**
 * Compaction's key map: the latest offset of each key seen in the dirty part of a log, within a
 * memory budget (Redpanda's `storage_compaction_key_map_memory`). Keys are kept whole (no hash),
 * so two keys never collide; each entry is charged its key bytes plus a fixed overhead. When a new
 * key does not fit, `put` says so and the caller compacts only the offsets below it (the prefix
 * that fits) and continues from there in the next pass.
 */
import { assert } from "../base/assert.ts";

/** Bytes charged per entry beyond its key: a Map slot, the string header, the offset. */
export const KEY_MAP_ENTRY_OVERHEAD_BYTES = 48;

export class KeyMap {
  private readonly latest = new Map<string, number>();
  usedBytes = 0;

  constructor(readonly budgetBytes: number) {
    assert(budgetBytes > 0, "key map budget must be positive");
  }

  get size(): number {
    return this.latest.size;
  }

  /** Records `offset` as the latest of `key` (offsets arrive rising); false when a new key does not fit. */
  put(key: Uint8Array, offset: number): boolean {
    const k = keyString(key);
    const known = this.latest.get(k);
    if (known === undefined) {
      const cost = k.length + KEY_MAP_ENTRY_OVERHEAD_BYTES;
      if (this.usedBytes + cost > this.budgetBytes) return false;
      this.usedBytes += cost;
    } else assert(offset > known, `key map offsets went back: ${offset} after ${known}`);
    this.latest.set(k, offset);
    return true;
  }

  /** Charges `bytes` of other per-pass state (the producers seen) to the budget; false when they do not fit. */
  charge(bytes: number): boolean {
    if (this.usedBytes + bytes > this.budgetBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  /** The latest offset recorded for `key`, or undefined. */
  get(key: Uint8Array): number | undefined {
    return this.latest.get(keyString(key));
  }
}

/** One char per byte (latin1): a one-to-one, native-speed key for the Map. */
function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
}
