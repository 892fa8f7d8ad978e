import { describe, expect, test } from "bun:test";
import { applyNodeConfig, parseArgs, rpcSettings, UsageError, type StartOptions } from "./args.ts";

describe("parseArgs", () => {
  test("start with no flags uses the documented defaults", () => {
    const command = parseArgs(["start"]);
    expect(command).toEqual({
      kind: "start",
      options: {
        dataDir: null,
        kafkaAddr: null,
        advertiseKafkaAddr: null,
        adminAddr: null,
        listenerSections: { kafka: null, advertisedKafka: null, kafkaTls: [], admin: null, adminTls: [] },
        smp: null,
        io: "auto",
        configFile: null,
        sets: [],
        logFormat: "text",
        dev: false,
        nodeId: null,
        rpcAddr: null,
        advertiseRpcAddr: null,
        seeds: null,
        rack: null,
      },
    });
  });

  test("--dev turns on first-run mode and keeps the other defaults", () => {
    const command = parseArgs(["start", "--dev"]);
    if (command.kind !== "start") throw new Error("expected start");
    expect(command.options.dev).toBe(true);
    expect(command.options.sets).toEqual([]);
  });

  test("flags take values separately or after =, and --set repeats", () => {
    const command = parseArgs(["start", "--smp=4", "--kafka-addr", "0.0.0.0:19092", "--set", "a=1", "--set=b=x=y", "--log-format", "json"]);
    if (command.kind !== "start") throw new Error("expected start");
    expect(command.options.smp).toBe(4);
    expect(command.options.kafkaAddr).toEqual([{ name: "", host: "0.0.0.0", port: 19092 }]);
    expect(parseArgs(["start", "--advertise-kafka-addr", "proxy:9093"])).toMatchObject({ options: { advertiseKafkaAddr: [{ name: "", host: "proxy", port: 9093 }] } });
    expect(parseArgs(["start", "--kafka-addr", "internal://127.0.0.1:9092, external://0.0.0.0:9093"])).toMatchObject({
      options: { kafkaAddr: [{ name: "internal", host: "127.0.0.1", port: 9092 }, { name: "external", host: "0.0.0.0", port: 9093 }] },
    });
    expect(command.options.sets).toEqual([["a", "1"], ["b", "x=y"]]);
    expect(command.options.logFormat).toBe("json");
  });

  test.each([
    [["start", "--smp", "0"], "--smp"],
    [["start", "--smp", "two"], "--smp"],
    [["start", "--kafka-addr", "localhost"], "--kafka-addr"],
    [["start", "--kafka-addr", "h:70000"], "--kafka-addr"],
    [["start", "--kafka-addr", "a://h:1,a://h:2"], "appears twice"],
    [["start", "--admin-addr", "x://h"], "--admin-addr"],
    [["start", "--io", "aio"], "--io"],
    [["start", "--nope"], "--nope"],
    [["start", "--data-dir"], "--data-dir"],
    [["start", "--set", "novalue"], "--set"],
    [["stop"], "stop"],
    [["start", "--node-id", "-1"], "--node-id"],
    [["start", "--node-id", "2147483648"], "--node-id"],
    [["start", "--rpc-addr", "h:99999"], "--rpc-addr"],
    [["start", "--advertise-rpc-addr", "h:"], "--advertise-rpc-addr"],
    [["start", "--seeds", ","], "--seeds"],
    [["start", "--seeds", "a:1,b:x"], "--seeds"],
    [["start", "--rack", ""], "--rack"],
    [["start", "--rack", "a\tb"], "--rack"],
    [["start", "--rack", "r".repeat(256)], "--rack"],
    [["start", "--seeds", Array.from({ length: 65 }, (_, i) => `h${i}:1`).join(",")], "--seeds"],
  ])("%p is a usage error naming %p", (argv, named) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(named);
  });

  test("--help and --version", () => {
    expect(parseArgs(["--help"]).kind).toBe("help");
    expect(parseArgs([]).kind).toBe("help");
    expect(parseArgs(["--version"]).kind).toBe("version");
  });

  test("node flags: id, RPC address with the default port 33145, advertised address, seeds", () => {
    const command = parseArgs(["start", "--node-id", "3", "--rpc-addr", "127.0.0.1:4000", "--advertise-rpc-addr", "node3", "--seeds", "a:1, b"]);
    expect(command).toMatchObject({
      options: { nodeId: 3, rpcAddr: { host: "127.0.0.1", port: 4000 }, advertiseRpcAddr: { host: "node3", port: 33145 }, seeds: [{ host: "a", port: 1 }, { host: "b", port: 33145 }] },
    });
  });

  test("--rack names this node's rack", () => {
    expect(parseArgs(["start", "--rack", "eu-west-1a"])).toMatchObject({ options: { rack: "eu-west-1a" } });
  });

  test("no RPC listener unless an RPC address or seeds are given", () => {
    const options = (argv: string[]) => (parseArgs(["start", ...argv]) as { options: StartOptions }).options;
    expect(rpcSettings(options([]))).toBeNull();
    expect(rpcSettings(options(["--node-id", "1"]))).toBeNull();
    expect(rpcSettings(options(["--seeds", "h:5"]))).toEqual({ listen: { host: "127.0.0.1", port: 33145 }, advertised: null, seeds: [{ host: "h", port: 5 }] });
    expect(rpcSettings(options(["--rpc-addr", "0.0.0.0"]))).toEqual({ listen: { host: "0.0.0.0", port: 33145 }, advertised: null, seeds: [] });
  });

  test("the config file's node settings fill what the flags left unset; other lines stay properties", () => {
    const { options } = parseArgs(["start", "--node-id", "7"]) as { options: StartOptions };
    const rest = applyNodeConfig(options, "node_id: 1\nrpc_server: 10.0.0.1:5000 # here\nseed_servers: \"x:1,y:2\"\nauto_create_topics_enabled: true\nrack: r1\n");
    expect(options).toMatchObject({ rack: "r1", nodeId: 7, rpcAddr: { host: "10.0.0.1", port: 5000 }, seeds: [{ host: "x", port: 1 }, { host: "y", port: 2 }] });
    expect(rest.split("\n")).toEqual(["", "", "", "auto_create_topics_enabled: true", "", ""]);
    expect(() => applyNodeConfig(options, "\nadvertised_rpc_api: h:0x")).toThrow(/config file line 2: advertised_rpc_api/);
  });
});
