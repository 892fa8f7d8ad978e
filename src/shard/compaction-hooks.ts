/**
 * The compaction pass of one log beside retention in housekeeping (the produce check that
 * every record of a compacted topic has a key is in kafka/produce-checks.ts).
 */
import { rethrowIfBroken } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import { compactLog } from "../storage/compaction.ts";
import type { PartitionLog } from "../storage/partition-log.ts";

/** One compaction pass over a log when it is due; logs what it did (readers need no wake: nothing they can see changed). */
export async function compactInHousekeeping(k: string, log: PartitionLog, keyMapBudgetBytes: number, nowMs: number, logger: Logger): Promise<boolean> {
  try {
    const stats = await compactLog(log, { nowMs, keyMapBudgetBytes });
    if (stats === null || stats.segmentsIn === 0) return false;
    logger.info("compacted", { partition: k, ...stats });
    return true;
  } catch (error) {
    rethrowIfBroken(error);
    logger.error("compaction failed", { partition: k, error: String(error) });
    return false;
  }
}
