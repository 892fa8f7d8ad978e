/**
 * Refuses produce before the disk is full (Redpanda's storage_min_free_bytes), so a log never
 * runs into ENOSPC in the normal case: the shard looks at the data dir's free bytes with statfs
 * every `checkIntervalMs` and, in between, counts the bytes it appended since. Reads go on;
 * once space is freed (retention, DeleteRecords, a deleted topic, an operator) the next check
 * lets appends in again.
 */
import type { Logger } from "../base/log.ts";
import type { CancelTimer, Timers } from "../base/timers.ts";
import type { Disk, DiskSpace } from "../io/disk.ts";

const GiB = 1024 * 1024 * 1024;
/** With storage_min_free_bytes at -1 (automatic): the smaller of 1 GiB and 5% of the file system. */
const AUTO_MIN_FREE_BYTES = GiB;
const AUTO_MIN_FREE_FRACTION = 0.05;

export function effectiveMinFreeBytes(configured: number, space: DiskSpace): number {
  if (configured >= 0) return configured;
  return Math.min(AUTO_MIN_FREE_BYTES, Math.floor(space.totalBytes * AUTO_MIN_FREE_FRACTION));
}

export class DiskSpaceGuard {
  private freeAtCheck = Infinity;
  private minFree = 0;
  private appendedSinceCheck = 0;
  private low = false;
  private refusing = false;
  private cancel: CancelTimer | null = null;
  private stopped = false;

  constructor(
    private readonly options: { disk: Disk; dir: string; minFreeBytes: number; checkIntervalMs: number; timers: Timers; log: Logger },
  ) {}

  /** Checks once now, then every interval. */
  async start(): Promise<void> {
    await this.check();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** Why an append of `bytes` must be refused now, or null (and the bytes are counted). Logs each change. */
  refusal(bytes: number): string | null {
    if (this.options.minFreeBytes === 0) return null; // off: a full disk is met by ENOSPC and the log's retry
    const refuse = this.low || this.freeAtCheck - this.appendedSinceCheck - bytes < this.minFree;
    if (refuse !== this.refusing) {
      const fields = { freeBytes: this.freeAtCheck - this.appendedSinceCheck, minFreeBytes: this.minFree };
      if (refuse) this.options.log.warn("disk nearly full: refusing produce", fields);
      else this.options.log.info("disk space freed: taking produce again", fields);
      this.refusing = refuse;
    }
    if (refuse) return `free disk space below storage_min_free_bytes (${this.minFree} bytes): produce refused until space is freed`;
    this.appendedSinceCheck += bytes;
    return null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancel = this.options.timers.after(this.options.checkIntervalMs, () => void this.check().then(() => this.schedule()));
  }

  private async check(): Promise<void> {
    let space: DiskSpace;
    try {
      space = await this.options.disk.space(this.options.dir);
    } catch (error) {
      this.options.log.warn("could not read free disk space", { dir: this.options.dir, error: String(error) });
      return; // keep the last answer
    }
    this.freeAtCheck = space.freeBytes;
    this.appendedSinceCheck = 0;
    this.minFree = effectiveMinFreeBytes(this.options.minFreeBytes, space);
    this.low = space.freeBytes < this.minFree;
  }
}
