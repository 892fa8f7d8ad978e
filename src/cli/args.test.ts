import { describe, expect, test } from "bun:test";
import { parseArgs, UsageError } from "./args.ts";

describe("parseArgs", () => {
  test("start with no flags uses the documented defaults", () => {
    const command = parseArgs(["start"]);
    expect(command).toEqual({
      kind: "start",
      options: {
        dataDir: "./skua-data",
        kafkaAddr: { host: "127.0.0.1", port: 9092 },
        advertiseKafkaAddr: null,
        adminAddr: { host: "127.0.0.1", port: 9644 },
        smp: null,
        io: "auto",
        configFile: null,
        sets: [],
        logFormat: "text",
        dev: false,
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
    expect(command.options.kafkaAddr).toEqual({ host: "0.0.0.0", port: 19092 });
    expect(parseArgs(["start", "--advertise-kafka-addr", "proxy:9093"])).toMatchObject({ options: { advertiseKafkaAddr: { host: "proxy", port: 9093 } } });
    expect(command.options.sets).toEqual([["a", "1"], ["b", "x=y"]]);
    expect(command.options.logFormat).toBe("json");
  });

  test.each([
    [["start", "--smp", "0"], "--smp"],
    [["start", "--smp", "two"], "--smp"],
    [["start", "--kafka-addr", "localhost"], "--kafka-addr"],
    [["start", "--kafka-addr", "h:70000"], "--kafka-addr"],
    [["start", "--io", "aio"], "--io"],
    [["start", "--nope"], "--nope"],
    [["start", "--data-dir"], "--data-dir"],
    [["start", "--set", "novalue"], "--set"],
    [["stop"], "stop"],
  ])("%p is a usage error naming %p", (argv, named) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(named);
  });

  test("--help and --version", () => {
    expect(parseArgs(["--help"]).kind).toBe("help");
    expect(parseArgs([]).kind).toBe("help");
    expect(parseArgs(["--version"]).kind).toBe("version");
  });
});
