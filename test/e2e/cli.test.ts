/** The command line of the compiled `dist/skua`: version, help, and usage errors (exit code 2, one line naming the problem). */
import { describe, expect, test } from "bun:test";
import { runSkua, startBroker } from "../helpers/broker.ts";

const validStart = ["start", "--data-dir", "/nonexistent/skua-e2e-never-created", "--kafka-addr", "127.0.0.1:1", "--admin-addr", "127.0.0.1:2"];

describe("skua CLI", () => {
  test("--version prints 'skua <semver>' and exits 0", async () => {
    const { code, stdout } = await runSkua(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^skua \d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  test("--help lists the start command's flags and exits 0", async () => {
    const { code, stdout } = await runSkua(["--help"]);
    expect(code).toBe(0);
    for (const flag of ["start", "--data-dir", "--kafka-addr", "--admin-addr", "--smp", "--set", "--log-format", "--version"]) {
      expect(stdout).toContain(flag);
    }
  });

  const usageErrors: Array<[what: string, args: string[], mentions: RegExp]> = [
    ["an unknown flag", ["start", "--no-such-flag"], /--no-such-flag/],
    ["--smp that is not a number", ["start", "--smp", "two"], /--smp.*two|two.*--smp/],
    ["--smp 0", ["start", "--smp", "0"], /--smp/],
    ["--kafka-addr without a port", ["start", "--kafka-addr", "localhost"], /--kafka-addr.*localhost|localhost.*--kafka-addr/],
    ["--kafka-addr with a port out of range", ["start", "--kafka-addr", "127.0.0.1:70000"], /--kafka-addr/],
    ["an unknown cluster property", [...validStart, "--set", "foo=1"], /foo/],
    ["a bad property value", [...validStart, "--set", "default_topic_partitions=x"], /default_topic_partitions/],
    ["--set without '='", ["start", "--set", "auto_create_topics_enabled"], /--set|auto_create_topics_enabled/],
    ["an unknown command", ["frobnicate"], /frobnicate/],
  ];
  for (const [what, args, mentions] of usageErrors) {
    test(`${what} → exit 2 and one stderr line naming it`, async () => {
      const { code, stdout, stderr } = await runSkua(args);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      const lines = stderr.trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(mentions);
    });
  }

  test("start --log-format json: every stderr line is one JSON object; SIGTERM stops it with exit code 0", async () => {
    await using broker = await startBroker({ smp: 1, extraArgs: ["--log-format", "json"] });
    expect(await broker.stop("SIGTERM")).toBe(0);
    const lines = broker.stderr().trimEnd().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      const event = JSON.parse(line);
      expect(typeof event).toBe("object");
      expect(Array.isArray(event)).toBe(false);
    }
  }, 30_000);
});
