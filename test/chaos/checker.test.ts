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
    history.replicas.push({ nodeId, partition: 0, batches: [{ baseOffset: 0, lastOffset: 13, crc: 0xdead }], committedOffset: 13 });
    history.replicas.push({ nodeId, partition: 1, batches: [{ baseOffset: 0, lastOffset: 9, crc: 0xbeef }, { baseOffset: 10, lastOffset: 25, crc: 0xf00d }], committedOffset: 25 });
  }
  return history;
}

describe("chaos checker", () => {
  test("a clean history passes", () => {
    const verdict = check(cleanHistory());
    expect(verdict.problems).toEqual([]);
    expect(failures(verdict)).toBe(0);
    expect(verdict).toMatchObject({ acked: 38, attempted: 41, unackedPresent: 2, comparedPartitions: 2, uncommittedTails: 0 });
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

  const replicaOf = (history: History, nodeId: number, partition: number) => history.replicas.find((r) => r.nodeId === nodeId && r.partition === partition)!;
  const tail = { baseOffset: 26, lastOffset: 26, crc: 0xc0de };

  test("a batch past the committed offset on one replica (a leader's configuration written during the stop) is an uncommitted tail, not a divergence", () => {
    const history = cleanHistory();
    replicaOf(history, 1, 1).batches.push(tail);
    const verdict = check(history);
    expect(verdict.problems).toEqual([]);
    expect(verdict).toMatchObject({ diverged: 0, uncommittedTails: 1 });
  });

  test("planted diverge is reported past an uncommitted tail", () => {
    const history = cleanHistory();
    replicaOf(history, 1, 1).batches.push(tail);
    expect(plant(history, "diverge")).not.toBeNull();
    expect(check(history).diverged).toBe(1);
  });

  test("a replica without the last committed batch diverges", () => {
    const history = cleanHistory();
    replicaOf(history, 2, 1).batches.pop();
    const verdict = check(history);
    expect(verdict.diverged).toBe(1);
    expect(verdict.problems).toEqual(["diverged: partition 1: node 2 holds the committed log only through offset 9, committed through 25"]);
  });

  test("a different committed batch diverges, whatever follows it", () => {
    const history = cleanHistory();
    const replica = replicaOf(history, 3, 1);
    replica.batches[0] = { ...replica.batches[0]!, crc: 0xbeee };
    replica.batches.push(tail);
    expect(check(history).problems).toEqual(["diverged: partition 1: node 1 vs node 3 at batch 0: [0..9 crc beef] vs [0..9 crc beee]"]);
  });

  test("without a known committed offset the whole logs are compared", () => {
    const history = cleanHistory();
    for (const replica of history.replicas) replica.committedOffset = null;
    replicaOf(history, 1, 1).batches.push(tail);
    expect(check(history).problems).toEqual(["diverged: partition 1: node 1 vs node 2 at batch 2: [26..26 crc c0de] vs (end)"]);
  });

  test("an unacknowledged value seen twice is a duplicate", () => {
    const history = cleanHistory();
    history.finalLog.push({ partition: 1, offset: 26, key: "k2", value: "0:7" });
    expect(check(history).duplicated).toBe(1);
  });
});
