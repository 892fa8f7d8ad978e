/** `skua cluster|shard|acl|user|completion`, --help on every command, profiles, and `skua start --dev`, against the compiled broker. */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { commands } from "../../src/cli/commands/index.ts";
import { freePort, SKUA_BIN, startBroker } from "../helpers/broker.ts";
import { brokerForFile, skua, skuaOk } from "../helpers/cli.ts";

// Each test spawns several CLI processes; the machine may be busy.
setDefaultTimeout(30_000);

const shared = brokerForFile({ smp: 2 });

describe("skua cluster", () => {
  test("info: cluster id, controller, brokers, topics", async () => {
    await skuaOk(shared.current, ["topic", "create", "seen", "-p", "4"]);
    const info = JSON.parse(await skuaOk(shared.current, ["cluster", "info", "--format", "json"]));
    expect(info.cluster_id).toMatch(/^skua-/);
    expect(info.controller).toBe(0);
    expect(info.brokers).toEqual([{ id: 0, host: "127.0.0.1", port: shared.current.kafkaPort, rack: null }]);
    expect(info.topics).toContainEqual({ name: "seen", partitions: 4, replicas: 1 });
    expect(await skuaOk(shared.current, ["cluster", "info"])).toMatch(/BROKERS\n=+\nID\s+HOST\s+PORT\s+RACK\n0\*\s+127\.0\.0\.1/);
  });

  test("health: healthy with exit 0; an unreachable admin API exits 1", async () => {
    const health = JSON.parse(await skuaOk(shared.current, ["cluster", "health", "--format", "json"]));
    expect(health).toEqual({ healthy: true, ready: true, status: "ready", controller_id: 0, nodes: [0], leaderless_partitions: [], under_replicated_partitions: [] });
    const down = await skua(null, ["cluster", "health", "--brokers", shared.current.brokers[0]!, "--admin-url", `http://127.0.0.1:${freePort()}`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("admin API");
  });

  test("config get reads DescribeConfigs BROKER; config set reports the broker's refusal with exit 1", async () => {
    expect(await skuaOk(shared.current, ["cluster", "config", "get", "log_segment_size"])).toBe("134217728\n");
    const all = JSON.parse(await skuaOk(shared.current, ["cluster", "config", "get", "--format", "json"]));
    expect(all).toContainEqual({ key: "auto_create_topics_enabled", value: "false", source: expect.any(String), read_only: true });
    const unknown = await skua(shared.current, ["cluster", "config", "get", "no_such_property"]);
    expect(unknown.code).toBe(1);
    const set = await skua(shared.current, ["cluster", "config", "set", "log_segment_size", "1048576", "--format", "json"]);
    expect(set.code).toBe(1);
    const answer = JSON.parse(set.stdout);
    expect(answer.status).not.toBe("OK");
    expect(answer.error).toContain("read-only");
    expect(await skuaOk(shared.current, ["cluster", "config", "get", "log_segment_size"])).toBe("134217728\n");
  });

  test("partitions: leader, shard and offsets per partition", async () => {
    await skuaOk(shared.current, ["topic", "create", "mapped", "-p", "2"]);
    await skuaOk(shared.current, ["topic", "produce", "mapped", "-p", "1"], { stdin: "a\nb\n" });
    const rows = JSON.parse(await skuaOk(shared.current, ["cluster", "partitions", "mapped", "--format", "json"]));
    expect(rows.map((r: any) => [r.topic, r.partition, r.leader, r.high_watermark])).toEqual([["mapped", 0, 0, 0], ["mapped", 1, 0, 2]]);
    for (const r of rows) expect([0, 1]).toContain(r.shard);
  });
});

describe("skua shard", () => {
  test("list shows every shard and its partitions; move and rebalance change them live", async () => {
    await skuaOk(shared.current, ["topic", "create", "movable", "-p", "2"]);
    const shards = JSON.parse(await skuaOk(shared.current, ["shard", "list", "--format", "json"]));
    expect(shards.map((s: any) => s.shard_id)).toEqual([0, 1]);
    const owner = shards.find((s: any) => s.partitions.some((p: any) => p.topic === "movable" && p.partition === 0)).shard_id;
    const target = 1 - owner;
    const moved = JSON.parse(await skuaOk(shared.current, ["shard", "move", "movable/0", "--to", String(target), "--format", "json"]));
    expect(moved).toMatchObject({ moved: true, from: owner, to: target });
    const after = JSON.parse(await skuaOk(shared.current, ["shard", "list", "--format", "json"]));
    expect(after[target].partitions).toContainEqual({ topic: "movable", partition: 0 });
    expect(await skuaOk(shared.current, ["shard", "list", "-p"])).toMatch(/SHARD\s+TOPIC\s+PARTITION/);
    const rebalanced = JSON.parse(await skuaOk(shared.current, ["shard", "rebalance", "--format", "json"]));
    expect(Array.isArray(rebalanced.moves)).toBe(true);
    const counts = JSON.parse(await skuaOk(shared.current, ["shard", "list", "--format", "json"])).map((s: any) => s.partition_count);
    expect(Math.abs(counts[0] - counts[1])).toBeLessThanOrEqual(1);
    const bad = await skua(shared.current, ["shard", "move", "movable/0", "--to", "9"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("HTTP 400");
  });
});

describe("commands that do not exist yet, help, completion, profiles", () => {
  test("user says 'not supported yet' and exits 1; its help says so", async () => {
    const result = await skua(shared.current, ["user", "list"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("not supported yet");
    expect(await skuaOk(null, ["user", "--help"])).toContain("not supported yet");
  });

  test("--help on every command and command group exits 0 and shows its usage", async () => {
    const paths = new Set<string>();
    for (const c of commands) for (let i = 1; i <= c.path.length; i++) paths.add(c.path.slice(0, i).join(" "));
    expect(paths.size).toBeGreaterThan(25);
    for (const path of paths) {
      const result = await skua(null, [...path.split(" "), "--help"]);
      expect({ path, code: result.code }).toEqual({ path, code: 0 });
      expect(result.stdout).toContain(`skua ${path}`);
    }
    const top = await skua(null, ["--help"]);
    for (const word of ["topic", "group", "cluster", "shard", "completion", "--dev"]) expect(top.stdout).toContain(word);
  }, 60_000);

  test("completion bash completes commands and flags; zsh loads it through bashcompinit", async () => {
    const script = await skuaOk(null, ["completion", "bash"]);
    const complete = async (words: string[]) => {
      const line = ["skua", ...words];
      const program = `${script}\nCOMP_WORDS=(${line.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${line.length - 1}; _skua; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const proc = Bun.spawn(["bash", "-c", program], { stdout: "pipe" });
      return (await new Response(proc.stdout).text()).trim().split("\n");
    };
    expect(await complete(["to"])).toEqual(["topic"]);
    expect(await complete(["topic", "con"])).toEqual(["consume"]);
    expect(await complete(["topic", "create", "t", "-p", "3", "--top"])).toEqual(["--topic-config"]);
    expect(await complete(["cluster", "config", ""])).toEqual(expect.arrayContaining(["get", "set"]));
    expect(await skuaOk(null, ["completion", "zsh"])).toMatch(/^#compdef skua\n.*bashcompinit/);
    expect((await skua(null, ["completion", "fish"])).code).toBe(2);
  });

  test("a profile file with rpk's keys says where to connect; --brokers wins over it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "skua-profile-"));
    try {
      const profile = join(dir, "rpk.yaml");
      await writeFile(profile, `current_profile: local\nprofiles:\n  - name: other\n    kafka_api: { brokers: ["127.0.0.1:1"] }\n  - name: local\n    kafka_api:\n      brokers: ["${shared.current.brokers[0]}"]\n    admin_api:\n      addresses: ["127.0.0.1:${shared.current.adminPort}"]\n`);
      const run = (args: string[], env: Record<string, string> = {}) =>
        Bun.spawn([SKUA_BIN, ...args], { stdout: "pipe", stderr: "pipe", env: { ...process.env, XDG_CONFIG_HOME: "/nonexistent", ...env } });
      const viaFlag = run(["shard", "list", "--profile", profile, "--format", "json"]); // the admin API address
      const [code, stdout, stderr] = await Promise.all([viaFlag.exited, new Response(viaFlag.stdout).text(), new Response(viaFlag.stderr).text()]);
      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(JSON.parse(stdout).map((s: any) => s.shard_id)).toEqual([0, 1]);
      const viaEnv = run(["topic", "list"], { SKUA_PROFILE: profile });
      expect(await viaEnv.exited).toBe(0);
      const overridden = run(["topic", "list", "--profile", profile, "--brokers", "127.0.0.1:1"]);
      expect(await overridden.exited).toBe(1);
      const missing = run(["topic", "list", "--profile", join(dir, "nope.yaml")]);
      expect(await missing.exited).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("skua start --dev", () => {
  test("prints a banner with the addresses, console URL and example commands; topics are auto-created", async () => {
    await using dev = await startBroker({ smp: 1, extraArgs: ["--dev"] });
    const banner = dev.stderr();
    expect(banner).toContain(`Kafka API:  127.0.0.1:${dev.kafkaPort}`);
    expect(banner).toContain(`Admin API:  http://127.0.0.1:${dev.adminPort}`);
    expect(banner).toContain(`Console:    http://127.0.0.1:${dev.adminPort}/`);
    expect(banner).toContain("fsync");
    const examples = banner.split("\n").filter((l) => l.trim().startsWith("skua topic") || l.includes("| skua topic"));
    expect(examples.map((l) => l.match(/skua topic (\w+)/)![1])).toEqual(["create", "produce", "consume"]);
    // A kafkajs producer writes to a topic nobody created: dev mode creates it.
    const producer = new Kafka({ brokers: dev.brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    try {
      await producer.send({ topic: "autocreated", messages: [{ value: "hi" }] });
    } finally {
      await producer.disconnect();
    }
    expect(await skuaOk(dev, ["topic", "consume", "autocreated", "-n", "1", "-f", "%v\\n"])).toBe("hi\n");
    const config = await skuaOk(dev, ["cluster", "config", "get", "auto_create_topics_enabled"]);
    expect(config).toBe("true\n");
  }, 30_000);

  test("--dev keeps a property set otherwise", async () => {
    await using dev = await startBroker({ smp: 1, extraArgs: ["--dev"], sets: { auto_create_topics_enabled: false } });
    expect(await skuaOk(dev, ["cluster", "config", "get", "auto_create_topics_enabled"])).toBe("false\n");
  }, 30_000);
});
