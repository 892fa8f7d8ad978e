import { expect, test } from "bun:test";
import { profileShard, summarize } from "./cpu-profile.ts";

test("self time goes to the innermost frame, inclusive time once per sample to every function on the stack", () => {
  const f = (name: string, line = 1) => ({ name, sourceURL: "/repo/src/kafka/x.ts", line });
  const summary = summarize([
    { frames: [f("inner"), f("outer", 9), f("outer", 9)] },
    { frames: [f("outer", 9)] },
    { frames: [] }, // idle: not a sample of anything
    { frames: [{ name: "", line: 4294967295 }] },
  ], 100, 1000);
  expect(summary.samples).toBe(3);
  expect(summary.self).toEqual([{ fn: "inner (src/kafka/x.ts:1)", samples: 1 }, { fn: "outer (src/kafka/x.ts:9)", samples: 1 }, { fn: "(anonymous)", samples: 1 }]);
  expect(summary.inclusive[0]).toEqual({ fn: "outer (src/kafka/x.ts:9)", samples: 2 });
});

test("a real profile of a thread that spins names the spinning function", async () => {
  function spinForAWhile(): number {
    let x = 0;
    for (let i = 0; i < 300_000; i++) x += Math.sqrt(i);
    return x;
  }
  const timer = setInterval(spinForAWhile, 1);
  try {
    const summary = await profileShard(300, 200);
    expect(summary.samples).toBeGreaterThan(0);
    expect(summary.inclusive.map((r) => r.fn).some((fn) => fn.startsWith("spinForAWhile"))).toBe(true);
  } finally {
    clearInterval(timer);
  }
});
