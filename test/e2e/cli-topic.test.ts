/** `skua topic …` against the compiled broker: create/list/describe/alter/add-partitions/trim/delete, JSON shapes, exit codes. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { brokerForFile, skua, skuaOk } from "../helpers/cli.ts";

// Each test spawns several CLI processes; the machine may be busy.
setDefaultTimeout(30_000);

const shared = brokerForFile({ smp: 2 });

describe("skua topic", () => {
  test("create -p -r -c, then list (text and JSON) and describe show it", async () => {
    const created = await skuaOk(shared.current, ["topic", "create", "orders", "-p", "3", "-r", "1", "-c", "retention.ms=3600000"]);
    expect(created).toMatch(/^TOPIC\s+STATUS\norders\s+OK\n$/);
    const listed = JSON.parse(await skuaOk(shared.current, ["topic", "list", "--format", "json"]));
    expect(listed).toContainEqual({ name: "orders", partitions: 3, replicas: 1 });
    expect(await skuaOk(shared.current, ["topic", "list"])).toMatch(/^NAME\s+PARTITIONS\s+REPLICAS\n(.*\n)*orders\s+3\s+1\n/);

    const described = JSON.parse(await skuaOk(shared.current, ["topic", "describe", "orders", "--format", "json"]));
    expect(described.summary).toEqual({ name: "orders", internal: false, partitions: 3, replicas: 1 });
    expect(described.configs).toContainEqual({ key: "retention.ms", value: "3600000", source: "DYNAMIC_TOPIC_CONFIG" });
    expect(described.partitions.map((p: any) => [p.partition, p.leader, p.replicas, p.log_start_offset, p.high_watermark])).toEqual([
      [0, 0, [0], 0, 0], [1, 0, [0], 0, 0], [2, 0, [0], 0, 0],
    ]);
    const text = await skuaOk(shared.current, ["topic", "describe", "orders", "-p"]);
    expect(text).toMatch(/^PARTITION\s+LEADER\s+EPOCH\s+REPLICAS\s+LOG-START-OFFSET\s+HIGH-WATERMARK\n0\s+0\s+\d+\s+\[0\]\s+0\s+0\n/);
    const yaml = Bun.YAML.parse(await skuaOk(shared.current, ["topic", "describe", "orders", "--format", "yaml"])) as any;
    expect(yaml.summary.partitions).toBe(3);
  });

  test("creating an existing topic exits 1 with TOPIC_ALREADY_EXISTS", async () => {
    await skuaOk(shared.current, ["topic", "create", "twice"]);
    const again = await skua(shared.current, ["topic", "create", "twice", "--format", "json"]);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)[0]).toMatchObject({ topic: "twice", status: "TOPIC_ALREADY_EXISTS" });
  });

  test("alter-config --set and --delete change what describe reports", async () => {
    await skuaOk(shared.current, ["topic", "create", "tuned", "-c", "segment.ms=600000"]);
    await skuaOk(shared.current, ["topic", "alter-config", "tuned", "--set", "retention.bytes=1048576", "--delete", "segment.ms"]);
    const configs = JSON.parse(await skuaOk(shared.current, ["topic", "describe", "tuned", "--format", "json"])).configs;
    expect(configs).toContainEqual({ key: "retention.bytes", value: "1048576", source: "DYNAMIC_TOPIC_CONFIG" });
    expect(configs.find((c: any) => c.key === "segment.ms").source).toBe("DEFAULT_CONFIG");
    const bad = await skua(shared.current, ["topic", "alter-config", "tuned", "--set", "no.such.config=1"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain("INVALID_CONFIG");
  });

  test("add-partitions -n grows the topic", async () => {
    await skuaOk(shared.current, ["topic", "create", "growing", "-p", "2"]);
    await skuaOk(shared.current, ["topic", "add-partitions", "growing", "-n", "3"]);
    const listed = JSON.parse(await skuaOk(shared.current, ["topic", "list", "--format", "json"]));
    expect(listed.find((t: any) => t.name === "growing").partitions).toBe(5);
  });

  test("trim-prefix -o -p moves the start offset of the named partition only", async () => {
    await skuaOk(shared.current, ["topic", "create", "trimmed", "-p", "2"]);
    await skuaOk(shared.current, ["topic", "produce", "trimmed", "-p", "0"], { stdin: "a\nb\nc\nd\n" });
    await skuaOk(shared.current, ["topic", "produce", "trimmed", "-p", "1"], { stdin: "x\ny\n" });
    const trimmed = JSON.parse(await skuaOk(shared.current, ["topic", "trim-prefix", "trimmed", "-o", "3", "-p", "0", "--format", "json"]));
    expect(trimmed).toEqual([{ topic: "trimmed", partition: 0, new_start_offset: 3, error: null }]);
    const partitions = JSON.parse(await skuaOk(shared.current, ["topic", "describe", "trimmed", "--format", "json"])).partitions;
    expect(partitions.map((p: any) => [p.log_start_offset, p.high_watermark])).toEqual([[3, 4], [0, 2]]);
    const consumed = await skuaOk(shared.current, ["topic", "consume", "trimmed", "-p", "0", "-n", "1", "-f", "%o %v\\n"]);
    expect(consumed).toBe("3 d\n");
  });

  test("delete removes the topic; a missing topic exits 1 naming the Kafka error", async () => {
    await skuaOk(shared.current, ["topic", "create", "doomed"]);
    expect(await skuaOk(shared.current, ["topic", "delete", "doomed"])).toMatch(/doomed\s+OK/);
    const listed = JSON.parse(await skuaOk(shared.current, ["topic", "list", "--format", "json"]));
    expect(listed.map((t: any) => t.name)).not.toContain("doomed");
    const missing = await skua(shared.current, ["topic", "delete", "doomed"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("UNKNOWN_TOPIC_OR_PARTITION");
    const describeMissing = await skua(shared.current, ["topic", "describe", "doomed"]);
    expect(describeMissing.code).toBe(1);
    expect(describeMissing.stderr).toBe("skua: topic 'doomed': UNKNOWN_TOPIC_OR_PARTITION\n");
  });

  test("a bad flag or a bad value is a usage error: exit 2, one line on stderr, nothing on stdout", async () => {
    for (const args of [["topic", "create", "x", "--no-such-flag"], ["topic", "create", "x", "-p", "many"], ["topic", "create"], ["topic", "frobnicate"], ["topic", "list", "--format", "xml"]]) {
      const result = await skua(shared.current, args);
      expect({ args, code: result.code, stdout: result.stdout }).toEqual({ args, code: 2, stdout: "" });
      expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });

  test("an unreachable broker exits 1 with a message naming the address", async () => {
    const result = await skua(null, ["topic", "list", "--brokers", "127.0.0.1:1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("127.0.0.1:1");
  });
});
