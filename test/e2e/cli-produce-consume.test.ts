/** `skua topic produce|consume` and `skua group …` against the compiled broker, checked with the CLI itself and with kafkajs. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { SKUA_BIN } from "../helpers/broker.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { brokerForFile, skua, skuaOk } from "../helpers/cli.ts";

// Each test spawns several CLI processes; the machine may be busy.
setDefaultTimeout(30_000);

const shared = brokerForFile({ smp: 2, sets: { group_initial_rebalance_delay: 0 } });

const lines = (text: string) => text.trimEnd().split("\n");

describe("skua topic produce and consume", () => {
  test("lines produced with -f '%k %v\\n' come back with -f '%k %v\\n' and -n, keys on the partition murmur2 picks", async () => {
    await skuaOk(shared.current, ["topic", "create", "kv", "-p", "3"]);
    const input = Array.from({ length: 30 }, (_, i) => `key-${i % 5} value-${i}`).join("\n") + "\n";
    const produced = await skuaOk(shared.current, ["topic", "produce", "kv", "-f", "%k %v\\n"], { stdin: input });
    expect(lines(produced)).toHaveLength(30);
    expect(produced).toMatch(/^Produced to partition \d at offset \d+ with timestamp \d+\.$/m);
    const consumed = await skuaOk(shared.current, ["topic", "consume", "kv", "-n", "30", "-f", "%k %v\\n"]);
    expect(lines(consumed).sort()).toEqual(lines(input).sort());
    // One key, one partition; per partition the order is the produce order.
    const byKey = new Map<string, Set<string>>();
    for (const line of lines(await skuaOk(shared.current, ["topic", "consume", "kv", "-n", "30", "-f", "%k %p\\n"]))) {
      const [key, partition] = line.split(" ");
      byKey.set(key!, (byKey.get(key!) ?? new Set()).add(partition!));
    }
    for (const partitions of byKey.values()) expect(partitions.size).toBe(1);
  });

  test("-k, -H and -p on produce; --format json prints one rpk-shaped object per record", async () => {
    await skuaOk(shared.current, ["topic", "create", "shaped", "-p", "2"]);
    await skuaOk(shared.current, ["topic", "produce", "shaped", "-k", "K", "-H", "h1:v1", "-H", "h2:v2", "-p", "1"], { stdin: "one\ntwo\n" });
    const out = lines(await skuaOk(shared.current, ["topic", "consume", "shaped", "-n", "2", "--format", "json"])).map((l) => JSON.parse(l));
    expect(out).toHaveLength(2);
    expect(out[0]).toEqual({ topic: "shaped", key: "K", value: "one", headers: [{ key: "h1", value: "v1" }, { key: "h2", value: "v2" }], timestamp: expect.any(Number), partition: 1, offset: 0 });
    expect(out[1]).toMatchObject({ value: "two", partition: 1, offset: 1 });
    expect(Math.abs(out[0].timestamp - Date.now())).toBeLessThan(60_000);
    const headers = await skuaOk(shared.current, ["topic", "consume", "shaped", "-n", "1", "-f", "%H:%h{%k=%v;} %K %V %t\\n"]);
    expect(headers).toBe("2:h1=v1;h2=v2; 1 3 shaped\n");
  });

  test("-o -N, +N, end and @timestamp pick where each partition starts", async () => {
    await skuaOk(shared.current, ["topic", "create", "offsets", "-p", "1"]);
    await skuaOk(shared.current, ["topic", "produce", "offsets"], { stdin: "a\nb\nc\n" });
    await Bun.sleep(20); // so the second batch has a later timestamp than the first
    const boundary = Date.now();
    await Bun.sleep(20);
    await skuaOk(shared.current, ["topic", "produce", "offsets"], { stdin: "d\ne\n" });
    expect(await skuaOk(shared.current, ["topic", "consume", "offsets", "-o", "-2", "-n", "2", "-f", "%o%v "])).toBe("3d 4e ");
    expect(await skuaOk(shared.current, ["topic", "consume", "offsets", "-o", "+1", "-n", "1", "-f", "%v"])).toBe("b");
    expect(await skuaOk(shared.current, ["topic", "consume", "offsets", "-o", "2", "-n", "1", "-f", "%v"])).toBe("c");
    expect(await skuaOk(shared.current, ["topic", "consume", "offsets", "-o", `@${boundary}`, "-n", "2", "-f", "%v"])).toBe("de");
    expect(await skuaOk(shared.current, ["topic", "consume", "offsets", "-o", "start:end", "-f", "%v"])).toBe("abcde");
    expect(await skuaOk(shared.current, ["topic", "consume", "offsets", "-o", "end:end", "-f", "%v"])).toBe("");
    const bad = await skua(shared.current, ["topic", "consume", "offsets", "-o", "yesterday"]);
    expect(bad.code).toBe(2);
  });

  test("every --compression codec, and --acks 0 and 1, produce records that read back the same (with the CLI and with kcat)", async () => {
    await skuaOk(shared.current, ["topic", "create", "codecs"]);
    const codecs = ["gzip", "snappy", "lz4", "zstd"];
    for (const codec of codecs) await skuaOk(shared.current, ["topic", "produce", "codecs", "-z", codec], { stdin: `${codec}-1\n${codec}-2\n` });
    await skuaOk(shared.current, ["topic", "produce", "codecs", "--acks", "1"], { stdin: "l1\n" });
    const zero = await skuaOk(shared.current, ["topic", "produce", "codecs", "--acks", "0"], { stdin: "z1\n" });
    expect(zero).toContain("offset unknown");
    const expected = [...codecs.flatMap((c) => [`${c}-1`, `${c}-2`]), "l1", "z1"];
    expect(await skuaOk(shared.current, ["topic", "consume", "codecs", "-n", String(expected.length), "-f", "%v "])).toBe(expected.map((v) => `${v} `).join(""));
    expect((await kcatConsumeAll(shared.current.brokers, "codecs")).map((l) => l.value)).toEqual(expected);
    const unknown = await skua(shared.current, ["topic", "produce", "codecs", "-z", "brotli"], { stdin: "x\n" });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("brotli");
  });

  test("--file produces a file with a progress bar on stderr and a JSON summary", async () => {
    const dir = await mkdtemp(join(tmpdir(), "skua-cli-"));
    try {
      const file = join(dir, "records.txt");
      await writeFile(file, Array.from({ length: 2000 }, (_, i) => `record-${i}`).join("\n") + "\n");
      await skuaOk(shared.current, ["topic", "create", "bulk", "-p", "2"]);
      const result = await skua(shared.current, ["topic", "produce", "bulk", "--file", file, "--format", "json"]);
      expect(result.code).toBe(0);
      const summary = JSON.parse(result.stdout);
      expect(summary).toMatchObject({ topic: "bulk", records: 2000 });
      expect(summary.partitions["0"] + summary.partitions["1"]).toBe(2000);
      expect(result.stderr).toMatch(/\[#{30}\] 100%\s+2000 records/);
      expect(lines(await skuaOk(shared.current, ["topic", "consume", "bulk", "-o", "start:end", "-f", "%v\\n"]))).toHaveLength(2000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("producing to a missing topic or partition exits 1", async () => {
    const missing = await skua(shared.current, ["topic", "produce", "no-such-topic"], { stdin: "x\n" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("UNKNOWN_TOPIC_OR_PARTITION");
    await skuaOk(shared.current, ["topic", "create", "small"]);
    const partition = await skua(shared.current, ["topic", "produce", "small", "-p", "7"], { stdin: "x\n" });
    expect(partition.code).toBe(1);
  });
});

describe("skua group", () => {
  test("consume -g commits; group describe shows the lag per partition; seek and delete", async () => {
    await skuaOk(shared.current, ["topic", "create", "work", "-p", "2"]);
    await skuaOk(shared.current, ["topic", "produce", "work", "-p", "0"], { stdin: "a\nb\nc\n" });
    await skuaOk(shared.current, ["topic", "produce", "work", "-p", "1"], { stdin: "x\ny\n" });
    const first = await skuaOk(shared.current, ["topic", "consume", "work", "-g", "workers", "-n", "2", "-f", "%p%v "]);
    expect(first.split(" ").filter((s) => s !== "")).toHaveLength(2);

    const described = JSON.parse(await skuaOk(shared.current, ["group", "describe", "workers", "--format", "json"]));
    expect(described).toMatchObject({ group: "workers", state: "Empty", protocol_type: "consumer", members: [], total_lag: 3 });
    expect(described.partitions.map((p: any) => [p.topic, p.partition, p.log_end_offset])).toEqual([["work", 0, 3], ["work", 1, 2]]);
    for (const p of described.partitions) expect(p.lag).toBe(p.log_end_offset - p.current_offset);

    // A second run goes on from the committed offsets: the rest, nothing twice.
    const second = await skuaOk(shared.current, ["topic", "consume", "work", "-g", "workers", "-n", "3", "-f", "%p%v "]);
    expect([...first.split(" "), ...second.split(" ")].filter((s) => s !== "").sort()).toEqual(["0a", "0b", "0c", "1x", "1y"]);
    const text = await skuaOk(shared.current, ["group", "describe", "workers"]);
    expect(text).toMatch(/TOTAL-LAG\s+0/);
    expect(text).toMatch(/TOPIC\s+PARTITION\s+CURRENT-OFFSET\s+LOG-START-OFFSET\s+LOG-END-OFFSET\s+LAG/);

    const listed = JSON.parse(await skuaOk(shared.current, ["group", "list", "--format", "json"]));
    expect(listed).toContainEqual({ group: "workers", state: "Empty", protocol_type: "consumer", coordinator: 0 });

    const seek = JSON.parse(await skuaOk(shared.current, ["group", "seek", "workers", "--to", "start", "--format", "json"]));
    expect(seek).toEqual([
      { topic: "work", partition: 0, prior_offset: 3, current_offset: 0 },
      { topic: "work", partition: 1, prior_offset: 2, current_offset: 0 },
    ]);
    expect(JSON.parse(await skuaOk(shared.current, ["group", "describe", "workers", "--format", "json"])).total_lag).toBe(5);

    expect(await skuaOk(shared.current, ["group", "delete", "workers"])).toMatch(/workers\s+OK/);
    const gone = await skua(shared.current, ["group", "delete", "workers"]);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain("GROUP_ID_NOT_FOUND");
  }, 60_000);

  test("consume -g without -n follows new records until Ctrl-C, then commits and leaves the group", async () => {
    await skuaOk(shared.current, ["topic", "create", "tail"]);
    await skuaOk(shared.current, ["topic", "produce", "tail"], { stdin: "first\n" });
    const proc = Bun.spawn([SKUA_BIN, "topic", "consume", "tail", "-g", "tailers", "-f", "%v\\n", "--brokers", shared.current.brokers[0]!], { stdout: "pipe", stderr: "pipe" });
    const reader = proc.stdout.getReader();
    let seen = "";
    const readUntil = async (text: string) => {
      while (!seen.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`consume ended before printing ${text}: ${seen}`);
        seen += new TextDecoder().decode(value);
      }
    };
    await readUntil("first\n");
    await skuaOk(shared.current, ["topic", "produce", "tail"], { stdin: "second\n" });
    await readUntil("second\n");
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(0);
    const described = JSON.parse(await skuaOk(shared.current, ["group", "describe", "tailers", "--format", "json"]));
    expect(described).toMatchObject({ state: "Empty", members: [], total_lag: 0 });
    expect(described.partitions).toEqual([expect.objectContaining({ topic: "tail", partition: 0, current_offset: 2, lag: 0 })]);
  }, 60_000);

  test("a kafkajs consumer's membership, assignment and lag show in group describe", async () => {
    await skuaOk(shared.current, ["topic", "create", "jsfeed", "-p", "2"]);
    await skuaOk(shared.current, ["topic", "produce", "jsfeed", "-p", "0"], { stdin: "1\n2\n3\n4\n" });
    const kafka = new Kafka({ brokers: shared.current.brokers, clientId: "cli-e2e", logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId: "jsgroup", sessionTimeout: 10_000 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: "jsfeed", fromBeginning: true });
      let seen = 0;
      const twoSeen = new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ message, partition }) => {
            if (++seen <= 2) await consumer.commitOffsets([{ topic: "jsfeed", partition, offset: String(Number(message.offset) + 1) }]);
            if (seen === 2) resolve();
          },
        });
      });
      await twoSeen;
      const described = JSON.parse(await skuaOk(shared.current, ["group", "describe", "jsgroup", "--format", "json"]));
      expect(described.state).toBe("Stable");
      expect(described.members).toHaveLength(1);
      expect(described.members[0].client_id).toBe("cli-e2e");
      expect(described.members[0].assignments).toEqual([{ topic: "jsfeed", partitions: [0, 1] }]);
      const p0 = described.partitions.find((p: any) => p.partition === 0);
      expect(p0).toMatchObject({ current_offset: 2, log_end_offset: 4, lag: 2, client_id: "cli-e2e" });
      const seekWhileActive = await skua(shared.current, ["group", "seek", "jsgroup", "--to", "end"]);
      expect(seekWhileActive.code).toBe(1);
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);
});
