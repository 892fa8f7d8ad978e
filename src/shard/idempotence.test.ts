/**
 * Idempotent produce on the owning shard (LocalPartitions over a real disk): a retry that
 * arrives while the original is still being written is a duplicate, not a second append;
 * refusals carry Kafka's error codes; the state is rebuilt when the log is reopened.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../base/clock.ts";
import { systemTimers } from "../base/timers.ts";
import { logger } from "../base/log.ts";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties } from "../cluster/properties.ts";
import { PosixDisk } from "../io/posix-disk.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import { LocalPartitions } from "./local-partitions.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function openPartitions(dataDir: string): Promise<LocalPartitions> {
  const local = new LocalPartitions({ shardId: 0, disk: new PosixDisk(), dataDir, props: defaultProperties(), clock: systemClock, timers: systemTimers, log: logger("test"), onFsyncMs: () => {} });
  await local.sync(MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "t", id: "6c1b4bde-5d0c-4c39-8b7e-2f0e1f7c9a11", shards: [0], configs: {} }] }));
  return local;
}

/** A fresh copy each time: the log patches offsets into the bytes it is given. */
const batch = (producerId: number, producerEpoch: number, baseSequence: number, count = 1) =>
  buildBatch({ records: Array.from({ length: count }, (_, i) => ({ value: `v${baseSequence + i}` })), producerId, producerEpoch, baseSequence });

const item = (records: Uint8Array, acks = -1) => ({ topic: "t", partition: 0, records, acks });

test("a retry racing its original's write is a duplicate answered with the original offset", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "skua-idem-"));
  dirs.push(dataDir);
  const local = await openPartitions(dataDir);
  const [first, retry] = await Promise.all([local.produce([item(batch(5, 0, 0, 3))]), local.produce([item(batch(5, 0, 0, 3))])]);
  expect(first[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  expect(retry[0]).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
  expect((await local.listOffsets([{ topic: "t", partition: 0, timestampMs: -1 }]))[0].offset).toBe(3);

  const answers = await local.produce([item(batch(5, 0, 5)), item(batch(5, 0, 3, 2)), item(batch(4, 0, 2)), item(batch(5, 0, 3, 2))]);
  expect(answers.map((a) => a.errorCode)).toEqual([ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.NONE, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.NONE]);
  expect(answers[3].baseOffset).toBe(3); // same sequence range as the batch appended just before it: a duplicate
  await local.closeAll();

  const reopened = await openPartitions(dataDir);
  const afterReopen = await reopened.produce([item(batch(5, 0, 3, 2)), item(batch(5, 0, 5)), item(batch(5, 1, 0))]);
  expect(afterReopen.map((a) => [a.errorCode, a.baseOffset])).toEqual([[ErrorCode.NONE, 3], [ErrorCode.NONE, 5], [ErrorCode.NONE, 6]]);
  expect((await reopened.produce([item(batch(5, 0, 6))]))[0].errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  await reopened.closeAll();
});
