/** Checks shared by tests that consume everything back. */
import { expect } from "bun:test";
import { byPartition, type ConsumedLine } from "./kcat.ts";

export interface Produced {
  key: string;
  value: string;
  /** kcat's %h form, name=value,name=value; "" for none. */
  headers?: string;
}

/**
 * `consumed` holds exactly `produced`: every key in one partition, offsets dense from
 * 0 in each partition, and each partition's values in produce order. Returns the
 * lines by partition.
 */
export function expectExactly(consumed: ConsumedLine[], produced: Produced[]): Map<number, ConsumedLine[]> {
  expect(consumed.length).toBe(produced.length);
  const groups = byPartition(consumed);
  const partitionOfKey = new Map<string, number>();
  for (const [partition, lines] of groups) {
    expect(lines.map((l) => l.offset)).toEqual(lines.map((_, i) => i));
    for (const line of lines) {
      const seen = partitionOfKey.get(line.key);
      if (seen !== undefined && seen !== partition) throw new Error(`key ${line.key} found in partitions ${seen} and ${partition}`);
      partitionOfKey.set(line.key, partition);
    }
  }
  for (const [partition, lines] of groups) {
    const expected = produced.filter((p) => partitionOfKey.get(p.key) === partition);
    expect(lines.map((l) => `${l.key}|${l.value}|${l.headers}`)).toEqual(expected.map((p) => `${p.key}|${p.value}|${p.headers ?? ""}`));
  }
  return groups;
}
