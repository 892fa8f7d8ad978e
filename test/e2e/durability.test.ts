/**
 * kill -9 during acks=-1 production: every acknowledged record must be there after a
 * restart, at exactly the offset it was acknowledged at, and offsets stay dense.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { startBroker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { startAcksAllLanes } from "../helpers/crash-cycles.ts";
import { fetchAll, WireClient } from "../helpers/wire.ts";

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
  let nextSeq = 0;
  const wire = await WireClient.connect(broker.kafkaPort);
  const lanes = startAcksAllLanes({
    wire, topic, partitions: PARTITIONS, lanes: IN_FLIGHT, recordsPerRequest: RECORDS_PER_REQUEST,
    valueOf: (_lane, partition) => `seq-${nextSeq++}-p${partition}`, acked, sent: sentValues,
  });
  const started = Date.now();
  // Kill once enough has been acknowledged (or the time bound is hit), with requests in flight.
  while (lanes.ackedRequests < ACKED_REQUESTS_BEFORE_KILL && Date.now() - started <= PRODUCE_MS_MAX) await Bun.sleep(5);
  await broker.kill9();
  await lanes.stop();
  expect(lanes.ackedRequests).toBeGreaterThan(0);
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
