/**
 * Which partition a record goes to, as Kafka's Java client (and rpk, and librdkafka's
 * murmur2 partitioner) choose it, so a key lands where other clients put it:
 * murmur2(key) & 0x7fffffff mod partition count. Records without a key go round-robin.
 */

/** Kafka's murmur2 (seed 0x9747b28c), 32-bit. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = (data[i]! & 0xff) | ((data[i + 1]! & 0xff) << 8) | ((data[i + 2]! & 0xff) << 16) | ((data[i + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail === 3) h ^= (data[whole + 2]! & 0xff) << 16;
  if (tail >= 2) h ^= (data[whole + 1]! & 0xff) << 8;
  if (tail >= 1) h = Math.imul(h ^ (data[whole]! & 0xff), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

export class Partitioner {
  private next = 0;
  constructor(private readonly partitionCount: number) {}

  partitionOf(key: Uint8Array | null): number {
    if (key === null) return this.next++ % this.partitionCount;
    return (murmur2(key) & 0x7fffffff) % this.partitionCount;
  }
}
