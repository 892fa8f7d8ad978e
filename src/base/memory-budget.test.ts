import { expect, test } from "bun:test";
import { MemoryBudget, type BudgetHolder } from "./memory-budget.ts";

function holder(stuckBytes = 0): BudgetHolder & { shedReasons: string[]; stuckBytes: number } {
  const h = { stuckBytes, shedReasons: [] as string[], shed: (reason: string) => h.shedReasons.push(reason) };
  return h;
}

test("takes what fits, refuses what does not, and wakes a waiter when bytes come back", async () => {
  const budget = new MemoryBudget(100);
  const a = holder();
  budget.register(a);
  expect(budget.take(a, 60)).toBe(true);
  expect(budget.take(a, 50)).toBe(false); // 60 are in flight, not stuck: wait for them
  expect(budget.usedBytes).toBe(60);
  let woken = 0;
  budget.whenFree(() => woken++);
  budget.release(60);
  expect(woken).toBe(0); // never inside the releaser's own call
  await Promise.resolve();
  expect(woken).toBe(1);
  expect(budget.take(a, 50)).toBe(true);
  expect(a.shedReasons).toEqual([]);
});

test("when stuck bytes leave no room, the holder stuck with the most is shed, and only as many as needed", () => {
  const budget = new MemoryBudget(100);
  const small = holder(20);
  const big = holder(45);
  const middle = holder(30);
  const requester = holder(0);
  for (const h of [small, big, middle, requester]) {
    budget.register(h);
    budget.charge(h.stuckBytes);
  }
  const release = (h: typeof big) => (h.shed = (reason) => (h.shedReasons.push(reason), budget.release(h.stuckBytes), (h.stuckBytes = 0)));
  for (const h of [small, big, middle]) release(h);
  expect(budget.take(requester, 10)).toBe(true);
  expect(big.shedReasons).toHaveLength(1);
  expect(middle.shedReasons).toEqual([]);
  expect(small.shedReasons).toEqual([]);
  expect(budget.shedCount).toBe(1);
  expect(budget.usedBytes).toBe(60);
});

test("a requester that is itself the most stuck is shed and told no", () => {
  const budget = new MemoryBudget(100);
  const greedy = holder(90);
  budget.register(greedy);
  budget.charge(90);
  greedy.shed = (reason) => {
    greedy.shedReasons.push(reason);
    budget.release(90);
    greedy.stuckBytes = 0;
  };
  expect(budget.take(greedy, 20)).toBe(false);
  expect(greedy.shedReasons).toHaveLength(1);
  expect(budget.usedBytes).toBe(0);
});

test("a waiter woken while the budget is still full keeps its place", async () => {
  const budget = new MemoryBudget(10);
  const a = holder();
  budget.charge(15); // answers built past the capacity
  let woken = 0;
  budget.whenFree(() => woken++);
  budget.release(3);
  await Promise.resolve();
  expect(woken).toBe(0);
  budget.release(5);
  await Promise.resolve();
  expect(woken).toBe(1);
  expect(budget.take(a, 3)).toBe(true);
});
