/**
 * What idempotence adds to the owning shard's produce path, against what that path already does
 * to every payload: validateBatches (header checks + CRC-32C) of a 16 KiB batch (baseline).
 * Measured: the sequence check of a plain batch, and check + record of an idempotent one
 * against a partition state holding 1000 producers.
 * Run: bun run bench/idempotence.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { useNativeCrc32c } from "../src/base/crc32c.ts";
import { loadNativeCrc32c } from "../src/native/crc32c.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { ProducerState } from "../src/storage/producer-state.ts";
import { validateBatches } from "../src/storage/record-batch.ts";

const native = loadNativeCrc32c();
if (native) useNativeCrc32c(native);
const records = Array.from({ length: 16 }, (_, i) => ({ value: "x".repeat(1000 + i) }));
const plain = buildBatch({ records });
const state = new ProducerState();
for (let producerId = 0; producerId < 1000; producerId++) state.record({ producerId, producerEpoch: 0, firstSequence: 0, lastSequence: 15 }, producerId * 16, producerId * 16 + 15, null);
let sequence = 16;
const idempotent = () => buildBatch({ records, producerId: 500, producerEpoch: 0, baseSequence: sequence });
let next = idempotent();

summary(() => {
  bench(`validateBatches 16 KiB, CRC-32C ${native ? "native" : "JS"} (baseline)`, () => do_not_optimize(validateBatches(plain))).baseline(true);
  bench("checkPayload, no producer id", () => do_not_optimize(state.checkPayload(plain)));
  bench("checkPayload + recordPayload, idempotent", () => {
    do_not_optimize(state.checkPayload(next));
    state.recordPayload(next, null);
    // Next sequence: patch the header in place (the CRC does not matter here).
    sequence += 16;
    new DataView(next.buffer, next.byteOffset).setInt32(53, sequence);
  });
});

await run();
