import { expect, test } from "bun:test";
import { ProducerIdPool } from "./producer-id-pool.ts";

test("one pool hands out unique ids with one block call per block, concurrent takers sharing a refill", async () => {
  let calls = 0;
  let next = 0;
  const pool = new ProducerIdPool(async () => {
    calls++;
    const firstId = next;
    next += 100;
    return { firstId, count: 100 };
  });
  const ids = await Promise.all(Array.from({ length: 250 }, () => pool.take()));
  expect(new Set(ids).size).toBe(250);
  expect(calls).toBe(3);
  expect(pool.blocksAllocated).toBe(3);
});

test("a failed block call is an answer, and the next take tries again", async () => {
  let fail = true;
  const pool = new ProducerIdPool(async () => (fail ? { error: "controller down" } : { firstId: 7, count: 1 }));
  expect(await pool.take()).toEqual({ error: "Error: controller down" });
  fail = false;
  expect(await pool.take()).toBe(7);
});
