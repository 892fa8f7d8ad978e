/**
 * librdkafka's transactional producer against dist/skua (--smp 2): Debian's python3-confluent-kafka
 * (librdkafka 2.0) runs `test/python/rdkafka_txn.py`, which commits and aborts transactions over
 * three partitions (InitProducerId with a transactional id, AddPartitionsToTxn, Produce with the
 * KIP-890 check on the partition side, EndTxn, markers); kcat (librdkafka) and kafkajs then read
 * them read_committed and read_uncommitted. A second producer with the same transactional id
 * fences the first one, left hanging in the middle of its transaction: its records are aborted.
 * `scripts/setup.sh --test` installs python3-confluent-kafka; without it this file fails.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { startBroker, type Broker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { byPartition, kcatConsumeAll } from "../helpers/kcat.ts";
import { REPO_ROOT } from "../helpers/broker.ts";
import { join } from "node:path";

setDefaultTimeout(120_000);

const PYTHON = "/usr/bin/python3";
const SCRIPT = join(REPO_ROOT, "test/python/rdkafka_txn.py");

interface Report {
  outcomes?: string[];
  hanging?: boolean;
  delivered: Array<[number, number, string]>;
  errors: string[];
}

async function runProducer(broker: Broker, topic: string, transactionalId: string, plan: Array<{ values: string[]; commit: boolean }>): Promise<Report> {
  const proc = Bun.spawn([PYTHON, SCRIPT, broker.brokers.join(","), topic, "3", transactionalId, JSON.stringify(plan)], { stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`rdkafka_txn.py exited ${code}: ${stderr.slice(-2000)}`);
  return JSON.parse(stdout.trim().split("\n").pop()!);
}

const valuesOf = (lines: Array<{ partition: number; value: string }>) => new Map([...byPartition(lines)].map(([p, list]) => [p, list.map((l) => l.value)]));

/** EndTxn is answered before the markers land: kcat's end of a read_committed partition is the LSO, so wait for it to reach the end. */
async function consumeCommittedWhenStable(broker: Broker, topic: string, expectedCount: number): Promise<Map<number, string[]>> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const lines = await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_committed"]);
    if (lines.length >= expectedCount || Date.now() > deadline) return valuesOf(lines);
    await Bun.sleep(200);
  }
}

describe("librdkafka transactions (python3-confluent-kafka, --smp 2)", () => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await startBroker({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });
  });
  afterAll(async () => {
    await broker?.[Symbol.asyncDispose]();
  });

  test("commit and abort over three partitions: read_committed consumers see the committed records only, in order", async () => {
    const topic = "rdk-txn";
    const kafka = kafkaClient(broker);
    await createTopic(kafka, topic, 3);
    const plan = [
      { values: ["c1-0", "c1-1", "c1-2", "c1-3"], commit: true },
      { values: ["a2-0", "a2-1", "a2-2"], commit: false },
      { values: ["c3-0", "c3-1", "c3-2"], commit: true },
    ];
    const report = await runProducer(broker, topic, "rdk-txn-1", plan);
    expect(report.errors).toEqual([]);
    expect(report.outcomes).toEqual(["committed", "aborted", "committed"]);
    const committed = await consumeCommittedWhenStable(broker, topic, 7);
    expect(committed).toEqual(new Map([[0, ["c1-0", "c1-3", "c3-0"]], [1, ["c1-1", "c3-1"]], [2, ["c1-2", "c3-2"]]]));
    const everything = valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_uncommitted"]));
    expect(everything).toEqual(new Map([[0, ["c1-0", "c1-3", "a2-0", "c3-0"]], [1, ["c1-1", "a2-1", "c3-1"]], [2, ["c1-2", "a2-2", "c3-2"]]]));

    const consumer = kafka.consumer({ groupId: "rdk-txn-reader", readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    const until = Date.now() + 30_000;
    while (seen.length < 7 && Date.now() < until) await Bun.sleep(100);
    await Bun.sleep(300);
    await consumer.disconnect();
    expect(seen.sort()).toEqual([...committed.values()].flat().sort());
  });

  test("a second producer with the same transactional id fences the first mid-transaction: its records are aborted", async () => {
    const topic = "rdk-fence";
    await createTopic(kafkaClient(broker), topic, 3);
    const first = Bun.spawn([PYTHON, SCRIPT, broker.brokers.join(","), topic, "3", "rdk-fence-1", JSON.stringify([{ values: ["old-0", "old-1"], commit: true }]), "--hang"], { stdout: "pipe", stderr: "pipe" });
    try {
      const reader = first.stdout.getReader();
      const { value } = await reader.read(); // the first producer flushed its records and hangs before committing
      expect(JSON.parse(new TextDecoder().decode(value!)).hanging).toBe(true);
      const second = await runProducer(broker, topic, "rdk-fence-1", [{ values: ["new-0", "new-1"], commit: true }]);
      expect(second.outcomes).toEqual(["committed"]);
    } finally {
      first.kill("SIGKILL");
    }
    const committed = await consumeCommittedWhenStable(broker, topic, 2);
    expect(committed).toEqual(new Map([[0, ["new-0"]], [1, ["new-1"]]]));
    const everything = valuesOf(await kcatConsumeAll(broker.brokers, topic, ["-X", "isolation.level=read_uncommitted"]));
    expect(everything).toEqual(new Map([[0, ["old-0", "new-0"]], [1, ["old-1", "new-1"]]]));
  });
});
