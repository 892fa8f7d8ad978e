/**
 * One compaction pass over a log from its owner's housekeeping (a shard's own logs, a replica's
 * Raft log), logged; a failed pass is logged and tried again at the next round.
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import { compactLog } from "./compaction.ts";
import type { PartitionLog } from "./partition-log.ts";

/** Compacts `log` below `stableOffset` when it is due; true if it rewrote segments (readers need no wake: nothing they can see changed). */
export async function compactInHousekeeping(k: string, log: PartitionLog, keyMapBudgetBytes: number, nowMs: number, stableOffset: number, logger: Logger): Promise<boolean> {
  try {
    const stats = await compactLog(log, { nowMs, keyMapBudgetBytes, stableOffset });
    if (stats === null || stats.segmentsIn === 0) return false;
    logger.info("compacted", { partition: k, ...stats });
    return true;
  } catch (error) {
    rethrowIfBroken(error);
    logger.error("compaction failed", { partition: k, error: String(error) });
    return false;
  }
}
