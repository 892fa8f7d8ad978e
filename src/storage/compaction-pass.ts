/**
 * One compaction pass over a log from its owner's housekeeping (a shard's own logs, a replica's
 * Raft log), logged; a failed pass is logged and tried again at the next round.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import type { CompactionStats } from "./compaction.ts";

/** Runs `pass` (a `compactLog` call); true if it rewrote segments (readers need no wake: nothing they can see changed). */
export async function compactInHousekeeping(k: string, pass: () => Promise<CompactionStats | null>, logger: Logger): Promise<boolean> {
  try {
    const stats = await pass();
    if (stats === null || stats.segmentsIn === 0) return false;
    logger.info("compacted", { partition: k, ...stats });
    return true;
  } catch (error) {
    rethrowIfBroken(error);
    logger.error("compaction failed", { partition: k, error: String(error) });
    return false;
  }
}
