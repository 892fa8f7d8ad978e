/**
 * storage_min_free_bytes: on a 64 MiB tmpfs left with 40 MiB free and the minimum at 32 MiB,
 * produce is refused with KAFKA_STORAGE_ERROR long before the disk is full (no log ever fails
 * with ENOSPC), reads go on, and once space is freed produce is taken again without a restart.
 * Needs root for mount(8); skipped with a message where mounting a tmpfs is not possible.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { pollUntil, startBroker } from "../helpers/broker.ts";
import { mountTmpfs } from "../helpers/tmpfs.ts";
import { fetchOnce, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const MiB = 1024 * 1024;
const TMPFS_BYTES = 64 * MiB;
const FREE_BYTES = 40 * MiB;
const MIN_FREE_BYTES = 32 * MiB;
const BATCH_VALUE_BYTES = 256 * 1024;
const PRODUCE_BYTES_MAX = FREE_BYTES; // never more than would fill the disk

const probe = mountTmpfs(TMPFS_BYTES);
const skip = typeof probe === "string" ? probe : null;
if (typeof probe !== "string") probe.unmount();
if (skip !== null) console.log(`min-free-bytes test skipped: ${skip}`);

test.skipIf(skip !== null)("produce is refused below storage_min_free_bytes, reads go on, and writes resume once space is freed", async () => {
  const tmpfs = mountTmpfs(TMPFS_BYTES);
  if (typeof tmpfs === "string") throw new Error(tmpfs);
  try {
    await using broker = await startBroker({
      dataParent: tmpfs.dir,
      sets: { auto_create_topics_enabled: true, storage_min_free_bytes: MIN_FREE_BYTES, storage_space_check_interval_ms: 100, log_segment_size: 4 * MiB },
    });
    const client = await WireClient.connect(broker.kafkaPort);
    const produceOne = async () => {
      const records = buildBatch({ records: [{ value: "v".repeat(BATCH_VALUE_BYTES), timestampDelta: 0 }], baseTimestamp: Date.now() });
      return (await produce(client, "fill", [{ partition: 0, records }], -1)).responses[0]!.partitionResponses[0]!;
    };
    await pollUntil("the topic to take a produce", async () => ((await produceOne()).errorCode === ErrorCode.NONE ? true : undefined));
    const filler = join(tmpfs.dir, "filler");
    const { bavail, bsize } = statfsSync(tmpfs.dir);
    writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - FREE_BYTES)));

    let acked = 0;
    let refusal: { errorCode: number; errorMessage: string | null } | null = null;
    for (let sent = 0; sent < PRODUCE_BYTES_MAX && refusal === null; sent += BATCH_VALUE_BYTES) {
      const answer = await produceOne();
      if (answer.errorCode === ErrorCode.NONE) acked++;
      else refusal = answer;
    }
    const freeWhenRefused = statfsSync(tmpfs.dir).bavail * statfsSync(tmpfs.dir).bsize;
    console.log(`refused after ${acked} batches of 256 KiB, ${(freeWhenRefused / MiB).toFixed(1)} MiB still free`);
    expect(refusal?.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect(refusal?.errorMessage).toContain("storage_min_free_bytes");
    expect(freeWhenRefused).toBeGreaterThan(MIN_FREE_BYTES - 2 * MiB); // refused before the minimum was passed by more than a check's worth
    await pollUntil("the refusal's log line", async () => (broker.stderr().includes("disk nearly full: refusing produce") ? true : undefined));
    expect(broker.stderr()).not.toContain("log failed"); // no log ran into ENOSPC

    const fetched = await fetchOnce(client, "fill", [{ partition: 0, offset: 0 }], 0, 1 * MiB);
    expect(fetched.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(fetched.responses[0]!.partitions[0]!.records?.length ?? 0).toBeGreaterThan(BATCH_VALUE_BYTES);

    rmSync(filler);
    await pollUntil("produce to be taken again", async () => ((await produceOne()).errorCode === ErrorCode.NONE ? true : undefined), 5000, 50);
    await pollUntil("the resume's log line", async () => (broker.stderr().includes("disk space freed: taking produce again") ? true : undefined));
    client.close();
  } finally {
    tmpfs.unmount();
  }
});
