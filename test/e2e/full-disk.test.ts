/**
 * A full disk, for real: the data dir on a 64 MiB tmpfs, mostly taken by a filler file, with
 * `--io uring` and `--io posix`. Producers at acks=-1 and acks=1 (raw frames, several requests in
 * flight) run into ENOSPC while a consumer tails both partitions. Checked:
 * - produce answers KAFKA_STORAGE_ERROR, and reads keep working meanwhile;
 * - a consumer reads only records whose produce succeeded, and none is ever gone or different
 *   later (no restart, and after kill -9);
 * - every acknowledged record is at its offset, before and after kill -9 and restart;
 * - once the filler is deleted, produce succeeds again without a restart.
 * Needs root for mount(8); skipped with a message where mounting a tmpfs is not possible.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { startBroker } from "../helpers/broker.ts";
import { decodeBatches } from "../helpers/records.ts";
import { fetchAll, fetchOnce, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(90_000);

const TMPFS_BYTES = 64 * 1024 * 1024;
/** Room left for the log after the filler: full within a few seconds, several segments. */
const FREE_BYTES = 10 * 1024 * 1024;
const RECORDS_PER_BATCH = 16;
const VALUE_BYTES = 1000;
const IN_FLIGHT_PER_PARTITION = 4;
/** How long producers keep going after their first storage error (the log retries every second). */
const FULL_PRODUCE_MS = 3500;
const PHASE_MS_MAX = 40_000;
const TOPIC = "full";
const PARTITION_ACKS = [-1, 1] as const;

function mountTmpfs(): { dir: string; unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), "skua-tmpfs-"));
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${TMPFS_BYTES}`, "tmpfs", dir], { encoding: "utf8" });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed (${(mount.stderr || mount.error?.message || "").trim()})`;
  }
  return {
    dir,
    unmount() {
      spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** offset → value, per partition; a second sighting of an offset must carry the same value. */
type Log = Map<number, string>;

function remember(log: Log, offset: number, value: string, what: string, problems: string[]): void {
  const before = log.get(offset);
  if (before !== undefined && before !== value) problems.push(`${what}: offset ${offset} was ${before.slice(0, 20)}, now ${value.slice(0, 20)}`);
  log.set(offset, value);
}

const probe = mountTmpfs();
const skip = typeof probe === "string" ? probe : null;
if (typeof probe !== "string") probe.unmount();
if (skip !== null) console.log(`full-disk tests skipped: ${skip}`);

for (const io of ["uring", "posix"] as const) {
  test.skipIf(skip !== null)(`--io ${io}: a full disk refuses produce, never takes back what a consumer read, and takes writes again once space is freed`, async () => {
    const tmpfs = mountTmpfs();
    if (typeof tmpfs === "string") throw new Error(tmpfs);
    try {
      await runFullDisk(io, tmpfs.dir);
    } finally {
      tmpfs.unmount();
    }
  });
}

async function runFullDisk(io: "uring" | "posix", mountDir: string): Promise<void> {
  await using broker = await startBroker({
    dataParent: mountDir,
    extraArgs: ["--io", io],
    sets: { auto_create_topics_enabled: true, default_topic_partitions: PARTITION_ACKS.length, log_segment_size: 2 * 1024 * 1024 },
  });
  const producerClient = await WireClient.connect(broker.kafkaPort);
  const consumerClient = await WireClient.connect(broker.kafkaPort);
  const acked: Log[] = PARTITION_ACKS.map(() => new Map());
  const seen: Log[] = PARTITION_ACKS.map(() => new Map());
  const problems: string[] = [];
  let tag = 0;

  const produceOne = async (partition: number): Promise<number> => {
    const values = Array.from({ length: RECORDS_PER_BATCH }, () => `p${partition}-${tag++}-`.padEnd(VALUE_BYTES, "x"));
    const records = buildBatch({ records: values.map((value) => ({ value, timestampDelta: 0 })), baseTimestamp: Date.now() });
    const response = await produce(producerClient, TOPIC, [{ partition, records }], PARTITION_ACKS[partition]);
    const answer = response.responses[0]!.partitionResponses[0]!;
    if (answer.errorCode === ErrorCode.NONE) values.forEach((value, i) => remember(acked[partition]!, Number(answer.baseOffset) + i, value, "acked", problems));
    return answer.errorCode;
  };

  // The topic exists once a produce to it succeeds (auto-create on first Metadata/Produce).
  const firstDeadline = Date.now() + 10_000;
  while ((await produceOne(0).catch(() => -1)) !== ErrorCode.NONE) if (Date.now() > firstDeadline) throw new Error("topic never took a produce");
  const filler = join(mountDir, "filler");
  const { bavail, bsize } = statfsSync(mountDir);
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - FREE_BYTES)));

  let stopping = false;
  const storageErrors = PARTITION_ACKS.map(() => 0);
  let fetchesWhileFull = 0;
  const consume = async () => {
    const next = PARTITION_ACKS.map(() => 0);
    while (!stopping) {
      const response = await fetchOnce(consumerClient, TOPIC, next.map((offset, partition) => ({ partition, offset })), 50);
      for (const p of response.responses[0]!.partitions) {
        if (p.errorCode !== ErrorCode.NONE) problems.push(`fetch ${p.partitionIndex}: error ${p.errorCode}`);
        for (const r of decodeBatches(p.records)) {
          if (r.offset < next[p.partitionIndex]!) continue;
          remember(seen[p.partitionIndex]!, r.offset, r.value ?? "", "read", problems);
          next[p.partitionIndex] = r.offset + 1;
        }
      }
      if (storageErrors.some((n) => n > 0)) fetchesWhileFull++;
    }
  };
  const produceUntilFull = async (partition: number) => {
    const deadline = Date.now() + PHASE_MS_MAX;
    let fullSinceMs = 0;
    while (Date.now() < deadline && (fullSinceMs === 0 || Date.now() - fullSinceMs < FULL_PRODUCE_MS)) {
      const code = await produceOne(partition);
      if (code === ErrorCode.KAFKA_STORAGE_ERROR) {
        storageErrors[partition]!++;
        fullSinceMs ||= Date.now();
      } else if (code !== ErrorCode.NONE) problems.push(`produce ${partition}: error ${code}`);
    }
  };
  const consumer = consume();
  await Promise.all(PARTITION_ACKS.flatMap((_, partition) => Array.from({ length: IN_FLIGHT_PER_PARTITION }, () => produceUntilFull(partition))));
  stopping = true;
  await consumer;
  // Each failed write cuts its log back; with the disk still full, each retry fails and cuts again.
  const cuts = broker.stderr().match(/log failed, cutting back/g)?.length ?? 0;
  console.log(`  ${io}: storage errors per partition ${storageErrors}, cuts ${cuts}, acknowledged ${acked.map((a) => a.size)}, read ${seen.map((s) => s.size)}, fetches while full ${fetchesWhileFull}`);
  expect(storageErrors.every((n) => n > 0)).toBe(true);
  expect(cuts).toBeGreaterThanOrEqual(2 * PARTITION_ACKS.length);
  expect(fetchesWhileFull).toBeGreaterThan(0);
  expect(problems.slice(0, 10)).toEqual([]);
  // Every produce was answered by now: a record a consumer read must be one whose produce succeeded.
  seen.forEach((log, partition) => {
    for (const [offset, value] of log) if (acked[partition]!.get(offset) !== value) problems.push(`partition ${partition} offset ${offset} was read, but its produce failed`);
  });
  expect(problems.slice(0, 10)).toEqual([]);

  // Without a restart: everything acknowledged or read is there, at its offset.
  await verifyLog(consumerClient, acked, seen, "while full");

  // Space freed: the same broker takes produce again (the log retries after its back-off).
  rmSync(filler);
  for (let partition = 0; partition < PARTITION_ACKS.length; partition++) {
    const deadline = Date.now() + 10_000;
    while ((await produceOne(partition)) !== ErrorCode.NONE) if (Date.now() > deadline) throw new Error(`partition ${partition} still refuses produce after space was freed`);
    for (let i = 0; i < 5; i++) expect(await produceOne(partition)).toBe(ErrorCode.NONE);
  }
  producerClient.close();
  consumerClient.close();

  // kill -9 and restart: still everything acknowledged and everything read.
  await broker.kill9();
  await broker.restart();
  const after = await WireClient.connect(broker.kafkaPort);
  await verifyLog(after, acked, seen, "after kill -9");
  after.close();
}

async function verifyLog(client: WireClient, acked: Log[], seen: Log[], when: string): Promise<void> {
  const all = await fetchAll(client, TOPIC, PARTITION_ACKS.map((_, p) => p));
  const problems: string[] = [];
  for (let partition = 0; partition < PARTITION_ACKS.length; partition++) {
    const found = new Map(all.get(partition)!.map((r) => [r.offset, r.value ?? ""]));
    const offsets = [...found.keys()];
    offsets.forEach((offset, i) => offset !== i && problems.push(`${when}: partition ${partition} offset ${offset} at position ${i}`));
    for (const [what, log] of [["acknowledged", acked[partition]!], ["read", seen[partition]!]] as const) {
      for (const [offset, value] of log) {
        const got = found.get(offset);
        if (got !== value) problems.push(`${when}: partition ${partition} ${what} offset ${offset}: ${got === undefined ? "gone" : `now ${got.slice(0, 20)}`}, was ${value.slice(0, 20)}`);
      }
    }
  }
  expect(problems.slice(0, 10)).toEqual([]);
}
