/** A one-line progress bar on stderr, redrawn at most every PROGRESS_REDRAW_MS. */
const PROGRESS_REDRAW_MS = 100;
const BAR_WIDTH = 30;

export class Progress {
  private lastDrawMs = 0;
  private readonly startMs = Date.now();

  constructor(
    private readonly totalBytes: number | null,
    private readonly write: (s: string) => void = (s) => void process.stderr.write(s),
  ) {}

  update(bytes: number, records: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDrawMs < PROGRESS_REDRAW_MS) return;
    this.lastDrawMs = now;
    const rate = Math.round(records / Math.max((now - this.startMs) / 1000, 0.001));
    const counts = `${records} records, ${formatBytes(bytes)}, ${rate} records/s`;
    if (this.totalBytes === null || this.totalBytes === 0) return this.write(`\r${counts}`);
    const fraction = Math.min(bytes / this.totalBytes, 1);
    const filled = Math.round(fraction * BAR_WIDTH);
    this.write(`\r[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${counts}`);
  }

  finish(bytes: number, records: number): void {
    this.update(bytes, records, true);
    this.write("\n");
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
