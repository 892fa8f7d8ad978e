/**
 * Choosing the disk backend in dist/skua: io_uring by default here; without a usable shim
 * (SKUA_URING_SHIM pointing at a missing file stands in for "no liburing") it falls back to
 * posix and says so in one log line; `--io uring` there is a one-line start-up error.
 */
import { expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { adminGet, freePort, SKUA_BIN, startBroker } from "../helpers/broker.ts";

const NO_SHIM = { SKUA_URING_SHIM: "/nonexistent/libskua_uring.so" };

const backends = async (broker: Awaited<ReturnType<typeof startBroker>>) =>
  (JSON.parse((await adminGet(broker, "/v1/shards")).text) as Array<{ backend: string }>).map((s) => s.backend);

test("by default every shard runs io_uring, and the start line says so", async () => {
  await using broker = await startBroker({ smp: 2 });
  expect(await backends(broker)).toEqual(["uring", "uring"]);
  expect(broker.stderr()).toContain("io=uring");
  expect(broker.stderr()).not.toContain("io_uring unavailable");
});

test("--io posix forces the portable backend", async () => {
  await using broker = await startBroker({ smp: 2, extraArgs: ["--io", "posix"] });
  expect(await backends(broker)).toEqual(["posix", "posix"]);
});

test("without a usable shim: falls back to posix with one log line", async () => {
  await using broker = await startBroker({ smp: 2, env: NO_SHIM });
  expect(await backends(broker)).toEqual(["posix", "posix"]);
  const lines = broker.stderr().split("\n").filter((l) => l.includes("io_uring"));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("using the posix backend");
});

test("without a usable shim, --io uring is a one-line start-up error", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-io-"));
  try {
    const args = ["start", "--data-dir", dir, "--io", "uring", "--kafka-addr", `127.0.0.1:${freePort()}`, "--admin-addr", `127.0.0.1:${freePort()}`];
    const proc = Bun.spawn([SKUA_BIN, ...args], { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { ...process.env, ...NO_SHIM } });
    const timer = setTimeout(() => proc.kill("SIGKILL"), 4000);
    const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    clearTimeout(timer);
    expect(code).toBe(1);
    const lines = stderr.trim().split("\n");
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain("--io uring");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
