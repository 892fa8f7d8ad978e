/**
 * A broken invariant in a shard stops the broker instead of becoming an error code. A real
 * shard Worker (the production entry point, posix disk, temp data dir; run from
 * broken-invariant.fixture.ts in a process of its own) gets from its peer a produce op whose
 * bytes are not whole batches — the Produce handler never lets such bytes through, so only a
 * bug can send them. The log's append asserts. That used to come back as KAFKA_STORAGE_ERROR;
 * now the shard sends the main thread "fatal" (on which the supervisor exits non-zero) and the
 * peer gets no answer. No switch in the broker makes this happen: the op is simply wrong.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

test("an assertion inside a shard's op reaches the main thread as fatal, not as an error code", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "skua-invariant-"));
  try {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "broken-invariant.fixture.ts"), dataDir], { stdout: "pipe", stderr: "pipe" });
    const timer = setTimeout(() => child.kill(), 15_000);
    const out = await new Response(child.stdout).text();
    clearTimeout(timer);
    await child.exited;
    const events = out.trim().split("\n").map((line) => JSON.parse(line));
    const replies = events.filter((e) => e.reply).map((e) => e.reply);
    const fatal = events.find((e) => e.fromShard?.type === "fatal");
    expect(replies.map((r) => [r.id, r.response?.[0]?.errorCode])).toEqual([[1, 0]]); // the valid op was answered
    expect(fatal?.fromShard.error).toContain("AssertionError: append of bytes that are not whole batches");
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 20_000);
