/**
 * The run's trace: every event as one line, folded into a running hash (two runs of one seed must
 * give the same hash) and kept in a ring of the last lines, printed when a checker fails.
 */

/** Trace lines kept for a failure report. */
export const TRACE_TAIL_LINES = 200;

export class Trace {
  private hash = 0n;
  private readonly tail: string[] = [];
  private next = 0;
  lines = 0;

  /** `echo` prints every line as it is recorded (the CLI's --trace). */
  constructor(private readonly echo: ((line: string) => void) | null = null) {}

  record(timeMs: number, line: string): void {
    const text = `${timeMs.toFixed(3)} ${line}`;
    this.hash = Bun.hash.wyhash(text, this.hash);
    this.lines++;
    if (this.tail.length < TRACE_TAIL_LINES) this.tail.push(text);
    else this.tail[this.next] = text;
    this.next = (this.next + 1) % TRACE_TAIL_LINES;
    this.echo?.(text);
  }

  hex(): string {
    return this.hash.toString(16).padStart(16, "0");
  }

  /** The last lines recorded, oldest first. */
  last(): string[] {
    if (this.tail.length < TRACE_TAIL_LINES) return this.tail.slice();
    return [...this.tail.slice(this.next), ...this.tail.slice(0, this.next)];
  }
}
