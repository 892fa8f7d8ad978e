/**
 * What message formats v0/v1 cost, and what they cost the v2 paths, against what those paths
 * already do to every payload: validateBatches (header checks + CRC-32C) of a 16 KiB batch
 * (baseline). Measured:
 *   - v2 paths: producePayload of a v2 batch on Produce v9 (the magic check that lets it pass),
 *     downConvertFetch on a Fetch v12 answer of 100 partitions (the version check that returns it);
 *   - old paths: a 16-message magic-1 set → one v2 batch (CRC-32 per message, re-encode, CRC-32C),
 *     and a stored 16 KiB batch → magic-1 messages for Fetch v2.
 * Run: bun run bench/legacy-formats.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { useNativeCrc32c } from "../src/base/crc32c.ts";
import { MetadataTable } from "../src/cluster/metadata.ts";
import { downConvertFetch, producePayload } from "../src/kafka/legacy-formats.ts";
import { loadNativeCrc32c } from "../src/native/crc32c.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { downConvert } from "../src/storage/message-set.ts";
import { validateBatches } from "../src/storage/record-batch.ts";

const native = loadNativeCrc32c();
if (native) useNativeCrc32c(native);
const RECORDS = 16;
const VALUE_BYTES = 1000;
const stored = buildBatch({ records: Array.from({ length: RECORDS }, (_, i) => ({ key: `k${i}`, value: "x".repeat(VALUE_BYTES + i), timestampDelta: i })) });
const PLAIN_MAX = 1 << 20;
const legacySet = legacyMessageSet();

const partitions = Array.from({ length: 100 }, (_, i) => ({ partitionIndex: i, errorCode: 0, records: stored }));
const fetchAnswer = [{ topic: "t", partitions }];
const metadata = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "t", id: crypto.randomUUID(), shards: partitions.map(() => 0), configs: {} }] });
const fetchRequest = { topics: [{ partitions: partitions.map(() => ({ fetchOffset: 0, partitionMaxBytes: 1 << 20 })) }] };

/** The same records as `stored`, as a magic-1 message set (the format down-conversion writes, read back by it). */
function legacyMessageSet(): Uint8Array {
  const converted = downConvert(stored, 1, 0, 1 << 30, PLAIN_MAX);
  if (converted === null) throw new Error("no message set");
  return converted;
}

summary(() => {
  bench(`validateBatches 16 KiB, CRC-32C ${native ? "native" : "JS"} (baseline)`, () => do_not_optimize(validateBatches(stored))).baseline(true);
  bench("v2 path: producePayload of a v2 batch (Produce v9)", () => do_not_optimize(producePayload(stored, 9)));
  bench("v2 path: downConvertFetch of 100 partitions (Fetch v12)", () => do_not_optimize(downConvertFetch(12, fetchRequest, fetchAnswer, metadata)));
  bench(`old path: ${RECORDS}-message magic-1 set → v2 batch (Produce v2)`, () => do_not_optimize(producePayload(legacySet, 2)));
  bench("old path: 16 KiB v2 batch → magic-1 messages (Fetch v2)", () => do_not_optimize(downConvert(stored, 1, 0, 1 << 20, PLAIN_MAX)));
});

await run();
