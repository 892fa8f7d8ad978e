/**
 * The last step of a broken invariant: a shard's uncaught AssertionError reaches the real
 * Supervisor, which logs it and exits the process with code 1 (run in a process of its own,
 * supervisor-exit.fixture.ts; the assertion is planted by a test-only Worker wrapper).
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("a shard's failed assertion stops the broker: exit code 1 and one log line naming it", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "skua-supervisor-exit-"));
  try {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "supervisor-exit.fixture.ts"), dataDir], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => child.kill(), 15_000);
    const [exitCode, stderr] = await Promise.all([child.exited, new Response(child.stderr).text()]);
    clearTimeout(timer);
    expect(exitCode).toBe(1);
    const line = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((l) => l.message === "shard failed; stopping the broker");
    expect(line?.shard).toBe(0);
    expect(line?.error).toContain("AssertionError: planted by the test");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 20_000);
