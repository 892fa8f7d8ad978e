/**
 * Property test: random sequences of append / read / flush / close-reopen / retention against
 * a simple in-memory model. The seed is printed; rerun one with SKUA_SEED=<seed>.
 */
import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { PartitionLog } from "./partition-log.ts";
import { RecentBatchCache } from "./recent-batch-cache.ts";
import * as rb from "./record-batch.ts";
import { tempDir, testConfig } from "./test-helpers.ts";
import { mulberry32 } from "../base/random.ts";

interface ModelBatch {
  base: number;
  bytes: Uint8Array;
}

const RUNS = 6;
const STEPS = 250;

for (let run = 0; run < RUNS; run++) {
  const seed = process.env.SKUA_SEED ? Number(process.env.SKUA_SEED) : (Date.now() + run * 7919) >>> 0;
  test(`random operations match the model (seed ${seed})`, async () => {
    console.log(`partition-log fuzz seed=${seed}`);
    const random = mulberry32(seed);
    const int = (n: number) => Math.floor(random() * n);
    using tmp = tempDir();
    const disk = new PosixDisk();
    const clock = new ManualClock(1_000_000);
    const cache = random() < 0.5 ? new RecentBatchCache(int(20_000) + 500) : undefined;
    const config = testConfig({ segmentBytes: 600 + int(4000), retentionBytes: random() < 0.3 ? 5000 : -1 });
    const open = () => PartitionLog.open({ disk, dir: tmp.dir, config, clock, cache, indexIntervalBytes: 64 + int(512) });
    let log = await open();
    const model: ModelBatch[] = [];
    let tag = 0;

    const appendOne = () => {
      const count = 1 + int(5);
      const records = Array.from({ length: count }, (_, i) => ({ key: `k${tag}`, value: "v".repeat(int(120)), timestampDelta: i }));
      const bytes = buildBatch({ records, baseTimestamp: 10 * tag++ });
      const r = log.append(bytes, clock.nowMs());
      model.push({ base: r.baseOffset, bytes: bytes.slice() });
      return r.written;
    };

    const checkRead = async () => {
      const start = log.logStartOffset;
      const end = log.highWatermark;
      const offset = start + int(end - start + 2);
      const maxBytes = 1 + int(2000);
      const r = await log.read(offset, maxBytes);
      if (offset > end) return expect(r.ok).toBe(false);
      if (!r.ok) throw new Error(`read ${offset} out of range [${start}, ${end}]`);
      if (offset === end) return expect(r.bytes.length).toBe(0);
      let i = model.findIndex((b) => b.base <= offset && offset <= rb.lastOffset(b.bytes));
      let batches = 0;
      rb.scanBatches(r.bytes, 0, (at, size) => {
        expect(Buffer.compare(r.bytes.subarray(at, at + size), model[i++]!.bytes)).toBe(0);
        batches++;
      });
      expect(batches).toBeGreaterThan(0);
      if (batches > 1) expect(r.bytes.length).toBeLessThanOrEqual(maxBytes);
    };

    for (let step = 0; step < STEPS; step++) {
      const op = random();
      if (op < 0.45) await appendOne();
      else if (op < 0.55) await Promise.all(Array.from({ length: 1 + int(8) }, appendOne));
      else if (op < 0.85) await checkRead();
      else if (op < 0.9) await log.flush();
      else if (op < 0.95) {
        await log.close();
        log = await open();
      } else {
        await log.enforceRetention(clock.nowMs());
        while (model.length > 0 && model[0]!.base < log.logStartOffset) model.shift();
      }
      const last = model[model.length - 1];
      expect(log.logEndOffset).toBe(last ? rb.lastOffset(last.bytes) + 1 : log.logStartOffset);
      expect(log.highWatermark).toBe(log.logEndOffset);
    }
    await log.close();
  });
}
