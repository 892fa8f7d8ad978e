import { expect, test } from "bun:test";
import { mulberry32 } from "./random.ts";
import { SharedCounts } from "./shared-counts.ts";

test("per-key counts follow a simple model through random opens and closes (with collisions and deletions)", () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  const random = mulberry32(seed);
  const counts = new SharedCounts(SharedCounts.create(17)); // small: long probe runs, wrap-around
  const model = new Map<string, number>();
  const keys = Array.from({ length: 24 }, (_, i) => `10.0.${i}.${(i * 37) % 256}`);
  for (let step = 0; step < 20_000; step++) {
    const key = keys[Math.floor(random() * keys.length)];
    const have = model.get(key) ?? 0;
    if (have > 0 && random() < 0.5) {
      counts.closeKey(key);
      if (have === 1) model.delete(key);
      else model.set(key, have - 1);
    } else {
      const outcome = counts.openKey(key, 3);
      const expected = have >= 3 ? "key" : have === 0 && model.size >= 16 ? "full" : "ok";
      expect({ seed, step, outcome }).toEqual({ seed, step, outcome: expected });
      if (outcome === "ok") model.set(key, have + 1);
    }
    if (step % 97 === 0) for (const k of keys) expect({ seed, k, n: counts.count(k) }).toEqual({ seed, k, n: model.get(k) ?? 0 });
  }
});

test("the total stops at its limit and counts nothing it refused", () => {
  const counts = new SharedCounts(SharedCounts.create(0));
  expect([counts.openTotal(2), counts.openTotal(2), counts.openTotal(2)]).toEqual([true, true, false]);
  expect(counts.total).toBe(2);
  counts.closeTotal();
  expect(counts.openTotal(2)).toBe(true);
  expect(counts.openTotal(-1)).toBe(true);
  expect(counts.total).toBe(3);
});

test("a limit of 0 refuses an address outright", () => {
  const counts = new SharedCounts(SharedCounts.create(4));
  expect(counts.openKey("127.0.0.1", 0)).toBe("key");
  expect(counts.count("127.0.0.1")).toBe(0);
});

test("Workers sharing the buffer never pass the limit together and end at zero", async () => {
  const buffer = SharedCounts.create(64);
  const workers = [0, 1, 2].map(() => new Worker(new URL("./shared-counts.fixture.ts", import.meta.url)));
  const results = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<{ opened: number; maxSeen: number }>((resolve) => {
          worker.onmessage = (event) => resolve(event.data);
          worker.postMessage({ buffer, rounds: 20_000, limit: 5 });
        }),
    ),
  );
  for (const worker of workers) worker.terminate();
  const counts = new SharedCounts(buffer);
  expect(results.every((r) => r.maxSeen <= 5)).toBe(true);
  expect(results.reduce((n, r) => n + r.opened, 0)).toBeGreaterThan(0);
  expect(counts.count("192.0.2.1")).toBe(0);
  expect(counts.total).toBe(0);
});
