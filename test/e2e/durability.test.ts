/**
 * kill -9 during acks=-1 production: every acknowledged record must be there after a
 * restart, at exactly the offset it was acknowledged at, and offsets stay dense.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { startBroker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { buildBatch } from "../../src/storage/batch-builder.ts";
import { fetchAll, produce, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const PARTITIONS = 2;
const RECORDS_PER_REQUEST = 10;
const IN_FLIGHT = 8;
const PRODUCE_MS_MAX = 3000;
const ACKED_REQUESTS_BEFORE_KILL = 150;

test("kill -9 mid-stream: every acknowledged record survives at its acknowledged offset; offsets dense", async () => {
  await using broker = await startBroker({ smp: 2 });
  const topic = "durable";
  await createTopic(kafkaClient(broker), topic, PARTITIONS);

  /** "partition/offset" → value, for every acknowledged record. */
  const acked = new Map<string, string>();
  const sentValues = new Set<string>();
  let ackedRequests = 0;
  let nextSeq = 0;
  let stop = false;
  const wire = await WireClient.connect(broker.kafkaPort);

  async function lane(laneId: number): Promise<void> {
    for (let n = 0; !stop && n < 10_000; n++) {
      const partition = (laneId + n) % PARTITIONS;
      const values = Array.from({ length: RECORDS_PER_REQUEST }, () => `seq-${nextSeq++}-p${partition}`);
      values.forEach((v) => sentValues.add(v));
      const records = buildBatch({ baseTimestamp: Date.now(), records: values.map((value) => ({ key: `lane-${laneId}`, value })) });
      let response;
      try {
        response = await produce(wire, topic, [{ partition, records }], -1);
      } catch {
        return; // the broker died with this request in flight: not acknowledged
      }
      const p = response.responses[0].partitionResponses[0];
      if (p.errorCode !== 0) throw new Error(`produce error ${p.errorCode} on ${topic}/${partition}`);
      values.forEach((value, i) => acked.set(`${partition}/${p.baseOffset + i}`, value));
      ackedRequests++;
    }
  }

  const lanes = Array.from({ length: IN_FLIGHT }, (_, i) => lane(i));
  const started = Date.now();
  let killed = false;
  // Kill once enough has been acknowledged (or the time bound is hit), with requests in flight.
  while (!killed) {
    await Bun.sleep(5); // poll the acknowledgement count
    if (ackedRequests >= ACKED_REQUESTS_BEFORE_KILL || Date.now() - started > PRODUCE_MS_MAX) {
      await broker.kill9();
      killed = true;
    }
  }
  stop = true;
  await Promise.all(lanes);
  expect(ackedRequests).toBeGreaterThan(0);
  expect(sentValues.size).toBeGreaterThan(acked.size); // some requests were in flight at the kill

  await broker.restart();
  const reader = await WireClient.connect(broker.kafkaPort);
  try {
    const byPartition = await fetchAll(reader, topic, [0, 1]);
    const seen = new Set<string>();
    for (const [partition, records] of byPartition) {
      // Dense: offsets 0..n-1, each once.
      expect(records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      for (const r of records) {
        expect(sentValues.has(r.value!)).toBe(true); // nothing invented
        expect(seen.has(r.value!)).toBe(false); // nothing duplicated
        seen.add(r.value!);
        expect(r.value!.endsWith(`-p${partition}`)).toBe(true);
      }
    }
    const missing: string[] = [];
    for (const [where, value] of acked) {
      const [partition, offset] = where.split("/").map(Number);
      const record = byPartition.get(partition)![offset];
      if (record?.value !== value) missing.push(`${where}: expected ${value}, got ${record?.value ?? "nothing"}`);
    }
    expect(missing.slice(0, 10)).toEqual([]);
  } finally {
    reader.close();
  }

  // librdkafka sees the same dense logs.
  const lines = await kcatConsumeAll(broker.brokers, topic);
  const kcatSees = new Map(lines.map((l) => [`${l.partition}/${l.offset}`, l.value]));
  for (const [where, value] of acked) expect(`${where}=${kcatSees.get(where)}`).toBe(`${where}=${value}`);
});
