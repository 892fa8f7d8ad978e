/**
 * Counts of open things (connections) that every shard Worker of a node changes: one total and
 * one per key (a client address), in one SharedArrayBuffer the main thread makes and hands to
 * each Worker. The total is a lock-free Atomics counter; the per-key table (open addressing,
 * linear probing, backward-shift deletion, keys of at most `KEY_CHARS_MAX` ASCII characters) is
 * changed under a spin lock held for one probe, never across an await.
 */
import { assert } from "./assert.ts";

/** An IPv6 address in text, IPv4-mapped, is at most 45 characters. */
export const KEY_CHARS_MAX = 48;
const KEY_WORDS = KEY_CHARS_MAX / 4;
/** Per slot: count, key length (0: empty), key characters packed four to a word. */
const SLOT_WORDS = 2 + KEY_WORDS;
/** Header: lock, total, live keys. */
const LOCK = 0;
const TOTAL = 1;
const LIVE = 2;
const HEADER_WORDS = 4;

export type OpenOutcome = "ok" | "total" | "key" | "full";

export class SharedCounts {
  private readonly words: Int32Array;
  private readonly capacity: number;

  /** `keysMax`: distinct keys held at once (0: only the total is counted). */
  static create(keysMax: number): SharedArrayBuffer {
    return new SharedArrayBuffer((HEADER_WORDS + keysMax * SLOT_WORDS) * 4);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.capacity = (this.words.length - HEADER_WORDS) / SLOT_WORDS;
    assert(Number.isInteger(this.capacity), "shared counts buffer of a wrong size");
  }

  get total(): number {
    return Atomics.load(this.words, TOTAL);
  }

  /** Counts one more under the total limit (-1: none); false, counting nothing, when at it. */
  openTotal(totalMax: number): boolean {
    const after = Atomics.add(this.words, TOTAL, 1) + 1;
    if (totalMax < 0 || after <= totalMax) return true;
    Atomics.sub(this.words, TOTAL, 1);
    return false;
  }

  closeTotal(): void {
    const before = Atomics.sub(this.words, TOTAL, 1);
    assert(before > 0, "shared total closed more often than opened");
  }

  /** Counts one more for `key` unless it already has `keyMax` (-1: no limit) or the table is full. */
  openKey(key: string, keyMax: number): OpenOutcome {
    assert(this.capacity > 0, "shared counts made without a key table");
    return this.locked(() => {
      const slot = this.find(key);
      if (this.isEmpty(slot)) {
        if (keyMax === 0) return "key";
        if (this.words[LIVE] >= this.capacity - 1) return "full"; // one slot stays empty: probes end
        this.writeKey(slot, key);
        this.words[LIVE]++;
      } else if (keyMax >= 0 && this.words[slot] >= keyMax) {
        return "key";
      }
      this.words[slot]++;
      return "ok";
    });
  }

  closeKey(key: string): void {
    this.locked(() => {
      const slot = this.find(key);
      assert(!this.isEmpty(slot) && this.words[slot] > 0, "shared key closed more often than opened");
      if (--this.words[slot] === 0) this.remove(slot);
    });
  }

  /** The count for `key` now (for tests and metrics). */
  count(key: string): number {
    return this.locked(() => {
      const slot = this.find(key);
      return this.isEmpty(slot) ? 0 : this.words[slot];
    });
  }

  private locked<T>(work: () => T): T {
    while (Atomics.compareExchange(this.words, LOCK, 0, 1) !== 0) {
      // Another shard holds it for one probe: spin.
    }
    try {
      return work();
    } finally {
      Atomics.store(this.words, LOCK, 0);
    }
  }

  private slotAt(index: number): number {
    return HEADER_WORDS + index * SLOT_WORDS;
  }

  private isEmpty(slot: number): boolean {
    return this.words[slot + 1] === 0;
  }

  /** The slot holding `key`, or the empty one where it would go. */
  private find(key: string): number {
    assert(key.length > 0 && key.length <= KEY_CHARS_MAX && /^[\x20-\x7e]+$/.test(key), "shared counts key not 1..48 ASCII characters");
    let index = this.home(key);
    for (;;) {
      const slot = this.slotAt(index);
      if (this.isEmpty(slot) || this.keyEquals(slot, key)) return slot;
      index = (index + 1) % this.capacity;
    }
  }

  private home(key: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % this.capacity;
  }

  private homeOfSlot(slot: number): number {
    return this.home(this.readKey(slot));
  }

  private keyEquals(slot: number, key: string): boolean {
    return this.words[slot + 1] === key.length && this.readKey(slot) === key;
  }

  private writeKey(slot: number, key: string): void {
    this.words[slot] = 0;
    this.words[slot + 1] = key.length;
    for (let w = 0; w < KEY_WORDS; w++) {
      let word = 0;
      for (let b = 0; b < 4; b++) word |= (key.charCodeAt(w * 4 + b) & 0xff || 0) << (b * 8);
      this.words[slot + 2 + w] = word;
    }
  }

  private readKey(slot: number): string {
    const length = this.words[slot + 1];
    let key = "";
    for (let i = 0; i < length; i++) key += String.fromCharCode((this.words[slot + 2 + (i >> 2)] >>> ((i & 3) * 8)) & 0xff);
    return key;
  }

  /** Backward-shift deletion: later keys of the probe run move up so no probe stops early. */
  private remove(slot: number): void {
    let hole = (slot - HEADER_WORDS) / SLOT_WORDS;
    let next = hole;
    for (;;) {
      next = (next + 1) % this.capacity;
      const nextSlot = this.slotAt(next);
      if (this.isEmpty(nextSlot)) break;
      const home = this.homeOfSlot(nextSlot);
      const between = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (between) continue; // it is still reachable from its home without crossing the hole
      this.words.copyWithin(this.slotAt(hole), nextSlot, nextSlot + SLOT_WORDS);
      hole = next;
    }
    this.words.fill(0, this.slotAt(hole), this.slotAt(hole) + SLOT_WORDS);
    this.words[LIVE]--;
  }
}
