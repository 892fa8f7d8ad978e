/**
 * Everything outside the algorithm is passed in: no source file in src/raft reads the wall
 * clock, arms a timer, draws randomness, touches the file system or opens a socket by itself.
 */
import { expect, test } from "bun:test";
import fs from "node:fs";
import path from "node:path";

const forbidden = [
  /\bDate\.now\b/,
  /\bnew Date\(/,
  /\bperformance\.now\b/,
  /\bprocess\.hrtime\b/,
  /\bset(Timeout|Interval|Immediate)\b/,
  /\bMath\.random\b/,
  /\bcrypto\.getRandomValues\b/,
  /["']node:(fs|net|dgram|tls|http|https|child_process|worker_threads)(\/promises)?["']/,
  /["'](fs|net|dgram)["']/,
  /\bBun\.(connect|listen|file|write|spawn|sleep)\b/,
  /\bfetch\(/,
];

test("src/raft uses no ambient time, timers, randomness, file system or network", () => {
  const dir = import.meta.dir;
  const self = path.basename(import.meta.path);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== self);
  expect(files).toContain("group.ts");
  const hits: string[] = [];
  for (const file of files) {
    const lines = fs.readFileSync(path.join(dir, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      for (const pattern of forbidden) if (pattern.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
    });
  }
  expect(hits).toEqual([]);
});
