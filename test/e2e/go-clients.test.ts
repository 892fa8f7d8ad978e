/**
 * Old Go clients end to end (--smp 2): sarama 1.22 at its default Kafka version (0.8.2: Produce v0
 * and Fetch v0 with message format v0, ListOffsets v0, OffsetCommit v1 without a group), at
 * 0.10.2 (message format v1, a consumer group) and at 2.1 (v2 batches), and kafka-go 0.2.1
 * (CreateTopics v0, Produce v2 / Fetch v2 with message format v1, a consumer group), each with and
 * without compressed wrapper messages (gzip, snappy, lz4). Each creates its topic, produces, consumes part and commits; the
 * broker restarts; the group resumes at its committed offsets and gets the rest, every record
 * exactly once with its key, value and (from message format v1) timestamp. Records kafkajs wrote as
 * gzip v2 batches with headers reach both old consumers too (down-converted).
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { goCheck, runGoCheck, type GoCheck } from "../helpers/go.ts";
import { createTopic, kafkaClient, withProducer } from "../helpers/kafka.ts";
import { CompressionTypes } from "kafkajs";

setDefaultTimeout(180_000);

const PARTITIONS = 3;
const RECORDS = 60;
const FIRST_PHASE = 25;
const TIMESTAMP_BASE_MS = 1_700_000_000_000; // test/go/src/checkutil: record n has CreateTime base + n ms

interface Record { p: number; o: number; k: string; v: string; ts: number }
interface Report { produced?: Record[] | number; consumed?: Record[]; start?: { [p: string]: number }; configs?: { [name: string]: string } }

interface Scenario {
  name: string;
  check: GoCheck;
  args: string[];
  /** Whether consumers see the producer's CreateTime (message format v1 and later). */
  timestamps: boolean;
}

const scenarios: Scenario[] = [
  { name: "sarama, default version (0.8.2)", check: "sarama-check", args: [], timestamps: false },
  { name: "sarama, default version (0.8.2), gzip", check: "sarama-check", args: ["-compression", "gzip"], timestamps: false },
  { name: "sarama, default version (0.8.2), snappy", check: "sarama-check", args: ["-compression", "snappy"], timestamps: false },
  { name: "sarama V0_10_2_0, gzip", check: "sarama-check", args: ["-version", "0.10.2.0", "-compression", "gzip"], timestamps: true },
  { name: "sarama V0_10_2_0, lz4", check: "sarama-check", args: ["-version", "0.10.2.0", "-compression", "lz4"], timestamps: true },
  { name: "sarama V2_1_0_0", check: "sarama-check", args: ["-version", "2.1.0"], timestamps: true },
  { name: "kafka-go 0.2.1", check: "kafkago-check", args: [], timestamps: true },
  { name: "kafka-go 0.2.1, gzip", check: "kafkago-check", args: ["-compression", "gzip"], timestamps: true },
  { name: "kafka-go 0.2.1, snappy", check: "kafkago-check", args: ["-compression", "snappy"], timestamps: true },
  { name: "kafka-go 0.2.1, lz4", check: "kafkago-check", args: ["-compression", "lz4"], timestamps: true },
];

const slug = (s: Scenario) => s.name.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "").toLowerCase();

describe("old Go clients (sarama 1.22, kafka-go 0.2.1)", () => {
  let broker: Broker;
  const firstPhase = new Map<string, Record[]>();

  beforeAll(async () => {
    // Built once per run (cached in dist/go-checks); a missing Go toolchain fails here, it is not skipped.
    await Promise.all([goCheck("sarama-check"), goCheck("kafkago-check")]);
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
  });

  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  const run = (s: Scenario, args: string[]) => runGoCheck<Report>(s.check, ["-brokers", broker.brokers[0], ...s.args, ...args]);

  for (const s of scenarios) {
    test(`${s.name}: creates a topic, produces ${RECORDS} records, consumes ${FIRST_PHASE} and commits`, async () => {
      const topic = slug(s);
      const created = await run(s, ["-phase", "create", "-topic", topic, "-partitions", String(PARTITIONS)]);
      expect(created.error).toBeUndefined();
      if (s.check === "sarama-check" && s.args.includes("2.1.0")) expect(created.configs?.["retention.ms"]).toBe("604800000"); // DescribeConfigs v0

      const produced = await run(s, ["-phase", "produce", "-topic", topic, "-records", String(RECORDS)]);
      expect(produced.error).toBeUndefined();
      if (Array.isArray(produced.produced)) expectDenseOffsets(produced.produced);
      else expect(produced.produced).toBe(RECORDS);

      const consumed = await run(s, ["-phase", "consume", "-topic", topic, "-group", `${topic}-group`, "-max", String(FIRST_PHASE)]);
      expect(consumed.error).toBeUndefined();
      expect(consumed.consumed!.length).toBe(FIRST_PHASE);
      expectRecords(consumed.consumed!, s.timestamps);
      expectInOrderFrom(consumed.consumed!, new Map());
      firstPhase.set(s.name, consumed.consumed!);
    });
  }

  test("the broker restarts", async () => {
    await broker.restart();
  });

  for (const s of scenarios) {
    test(`${s.name}: after the restart the group resumes at its committed offsets and gets the rest exactly once`, async () => {
      const before = firstPhase.get(s.name);
      expect(before).toBeDefined();
      const topic = slug(s);
      const rest = await run(s, ["-phase", "consume", "-topic", topic, "-group", `${topic}-group`, "-max", String(RECORDS - FIRST_PHASE)]);
      expect(rest.error).toBeUndefined();
      const committed = nextOffsets(before!);
      expectInOrderFrom(rest.consumed!, committed);
      if (rest.start !== undefined) {
        for (let p = 0; p < PARTITIONS; p++) expect(rest.start[String(p)] ?? -2).toBe(committed.get(p) ?? -2); // -2: no commit, from the oldest
      }
      const all = [...before!, ...rest.consumed!];
      expectRecords(all, s.timestamps);
      expect(new Set(all.map((r) => r.k)).size).toBe(RECORDS);
    });
  }

  test("kafkajs's gzip v2 batches with headers reach sarama (Fetch v0, magic 0) and kafka-go (Fetch v2, magic 1)", async () => {
    const topic = "from-kafkajs";
    const kafka = kafkaClient(broker);
    await createTopic(kafka, topic, PARTITIONS);
    await withProducer(kafka, (producer) =>
      producer.send({
        topic,
        compression: CompressionTypes.GZIP,
        messages: Array.from({ length: RECORDS }, (_, n) => ({ key: `k${n}`, value: `v${n}`, timestamp: String(TIMESTAMP_BASE_MS + n), headers: { dropped: "by down-conversion" } })),
      }),
    );
    const sarama = await runGoCheck<Report>("sarama-check", ["-brokers", broker.brokers[0], "-phase", "consume", "-topic", topic, "-group", "kafkajs-sarama", "-max", String(RECORDS)]);
    const kafkaGo = await runGoCheck<Report>("kafkago-check", ["-brokers", broker.brokers[0], "-phase", "consume", "-topic", topic, "-group", "kafkajs-kafkago", "-max", String(RECORDS)]);
    for (const [report, timestamps] of [[sarama, false], [kafkaGo, true]] as const) {
      expect(report.error).toBeUndefined();
      expectRecords(report.consumed!, timestamps);
      expectInOrderFrom(report.consumed!, new Map());
      expect(new Set(report.consumed!.map((r) => r.k)).size).toBe(RECORDS);
    }
  });
});

/** Keys k<n> carry values v<n> and, where the format has them, CreateTime base + n. */
function expectRecords(records: Record[], timestamps: boolean): void {
  for (const r of records) {
    const n = Number(r.k.slice(1));
    expect(r.k).toBe(`k${n}`);
    expect(n).toBeLessThan(RECORDS);
    expect(r.v).toBe(`v${n}`);
    expect(r.ts).toBe(timestamps ? TIMESTAMP_BASE_MS + n : -1);
  }
}

/** Every partition's offsets count up from 0 with no gap. */
function expectDenseOffsets(records: Record[]): void {
  const byPartition = new Map<number, number[]>();
  for (const r of records) byPartition.set(r.p, [...(byPartition.get(r.p) ?? []), r.o]);
  for (const offsets of byPartition.values()) expect([...offsets].sort((a, b) => a - b)).toEqual(offsets.map((_, i) => i));
  expect(records.length).toBe(RECORDS);
}

/** Per partition the records come in offset order with no gap, starting where `from` says (else 0). */
function expectInOrderFrom(records: Record[], from: Map<number, number>): void {
  const next = new Map(from);
  for (const r of records) {
    expect({ p: r.p, o: r.o }).toEqual({ p: r.p, o: next.get(r.p) ?? 0 });
    next.set(r.p, r.o + 1);
  }
}

/** The offset after the last record consumed in each partition: what the group committed. */
function nextOffsets(records: Record[]): Map<number, number> {
  const next = new Map<number, number>();
  for (const r of records) next.set(r.p, Math.max(next.get(r.p) ?? 0, r.o + 1));
  return next;
}
