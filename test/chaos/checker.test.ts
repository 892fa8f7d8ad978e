/** The chaos checker on a synthetic history: clean passes, and each planted fault is reported as its own kind. */
import { describe, expect, test } from "bun:test";
import { check, failures } from "./checker.ts";
import type { History } from "./history.ts";
import { plant, PLANTS, type PlantKind } from "./plant.ts";

/** Two producers, three keys, two partitions (key k0 on partition 0, others on 1); one unacknowledged value that landed, one that did not. */
function cleanHistory(): History {
  const history: History = { attempts: [], finalLog: [], groupReads: [], commits: [], replicas: [] };
  const next = [0, 0];
  for (let seq = 0; seq < 20; seq++) {
    for (const producer of [0, 1]) {
      const key = `k${seq % 3}`;
      const partition = key === "k0" ? 0 : 1;
      const offset = next[partition]!++;
      const value = `${producer}:${seq}`;
      const acked = seq === 7 ? null : { partition, offset };
      history.attempts.push({ value, key, producer, seq, acked });
      history.finalLog.push({ partition, offset, key, value });
    }
  }
  history.attempts.push({ value: "1:20", key: "k2", producer: 1, seq: 20, acked: null });
  history.finalLog.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  history.groupReads = history.finalLog.slice(0, 10);
  history.commits = [0, 3, 3, 9].map((offset, i) => ({ atMs: i * 100, partition: 0, offset }));
  for (const nodeId of [1, 2, 3]) {
    history.replicas.push({ nodeId, partition: 0, batches: [{ baseOffset: 0, lastOffset: 13, crc: 0xdead }] });
    history.replicas.push({ nodeId, partition: 1, batches: [{ baseOffset: 0, lastOffset: 9, crc: 0xbeef }, { baseOffset: 10, lastOffset: 25, crc: 0xf00d }] });
  }
  return history;
}

describe("chaos checker", () => {
  test("a clean history passes", () => {
    const verdict = check(cleanHistory());
    expect(verdict.problems).toEqual([]);
    expect(failures(verdict)).toBe(0);
    expect(verdict).toMatchObject({ acked: 38, attempted: 41, unackedPresent: 2, comparedPartitions: 2 });
  });

  for (const kind of Object.keys(PLANTS) as PlantKind[]) {
    test(`planted ${kind} is reported as ${PLANTS[kind]}`, () => {
      const history = cleanHistory();
      expect(plant(history, kind)).not.toBeNull();
      const verdict = check(history);
      expect(verdict[PLANTS[kind]]).toBeGreaterThan(0);
      expect(failures(verdict)).toBeGreaterThan(0);
      expect(verdict.problems.length).toBeGreaterThan(0);
    });
  }

  test("an unacknowledged value seen twice is a duplicate", () => {
    const history = cleanHistory();
    history.finalLog.push({ partition: 1, offset: 26, key: "k2", value: "0:7" });
    expect(check(history).duplicated).toBe(1);
  });
});
