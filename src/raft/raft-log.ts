/**
 * The Raft view of a PartitionLog: an entry is a record batch, its index the batch's last offset,
 * its term the batch's partitionLeaderEpoch. Keeps in memory the term ranges (first offset of
 * each term, like Kafka's leader-epoch cache) and the configuration batches, rebuilt from batch
 * headers at open, and the log-start record (snapshot). Appends as leader (stamping the term) or
 * follower (offsets given), truncates a suffix, truncates a prefix, resets to an offset.
 */
import { assert } from "../base/assert.ts";
import type { Clock } from "../base/clock.ts";
import type { Disk } from "../io/disk.ts";
import { type LogConfig, LogFailedError, PartitionLog, type SharedLogResources } from "../storage/partition-log.ts";
import * as rb from "../storage/record-batch.ts";
import { decodeConfigBatch } from "./config.ts";
import { readLogStart, writeLogStart, type LogStartRecord } from "./snapshot.ts";
import { type Index, type LogEntryInfo, NO_INDEX, NO_TERM, type RaftConfig, type RaftLogConfig, type Term } from "./types.ts";

interface TermRange {
  term: Term;
  /** First offset of the term's entries. */
  first: Index;
}

interface ConfigEntry {
  index: Index;
  config: RaftConfig;
}

export const defaultRaftLogConfig: RaftLogConfig = {
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  maxMessageBytes: 1024 * 1024,
};

export class RaftLog {
  private terms: TermRange[] = [];
  private configs: ConfigEntry[] = [];
  /** Last index written and fdatasync'ed. */
  durableIndex: Index;
  /** The snapshot's configuration as an entry (kept, not rebuilt: `config` is read on every message). */
  private startConfig: ConfigEntry;

  private constructor(
    private readonly disk: Disk,
    private readonly dir: string,
    readonly log: PartitionLog,
    private start: LogStartRecord,
  ) {
    this.durableIndex = log.logEndOffset - 1;
    this.startConfig = { index: NO_INDEX, config: start.config };
  }

  static async open(
    disk: Disk,
    dir: string,
    clock: Clock,
    bootstrap: RaftConfig,
    logConfig = defaultRaftLogConfig,
    warn?: (message: string) => void,
    resources: SharedLogResources = {},
  ): Promise<RaftLog> {
    await disk.mkdirp(dir);
    const start = await readLogStart(disk, dir);
    const config: LogConfig = { ...logConfig, retentionMs: -1, retentionBytes: -1 };
    const log = await PartitionLog.open({ disk, dir: `${dir}/log`, config, clock, log: warn, ...resources });
    if (start !== null && log.logEndOffset < start.startOffset) await log.resetTo(start.startOffset);
    else if (start !== null && log.logStartOffset < start.startOffset) await log.deleteRecordsBefore(start.startOffset);
    const record = start ?? { startOffset: log.logStartOffset, prevTerm: NO_TERM, config: bootstrap };
    assert(log.logStartOffset === record.startOffset, `${dir}: log starts at ${log.logStartOffset}, its record says ${record.startOffset}`);
    await log.syncActive(); // what recovery found is reported as held: make it durable first
    const raftLog = new RaftLog(disk, dir, log, record);
    await raftLog.rebuild();
    return raftLog;
  }

  /** Term ranges and configuration batches from the batch headers (configuration batches read whole). */
  private async rebuild(): Promise<void> {
    const configOffsets: Array<{ base: Index; sizeBytes: number }> = [];
    await this.log.scanBatchHeaders((bytes, at) => {
      this.noteTerm(rb.partitionLeaderEpoch(bytes, at), rb.baseOffset(bytes, at));
      if ((rb.attributes(bytes, at) & rb.ATTR_CONTROL) !== 0) configOffsets.push({ base: rb.baseOffset(bytes, at), sizeBytes: rb.batchSizeBytes(bytes, at) });
    }, this.start.startOffset);
    for (const { base, sizeBytes } of configOffsets) {
      const read = await this.log.read(base, sizeBytes);
      assert(read.ok && read.bytes.length >= sizeBytes, () => `${this.dir}: cannot read back the batch at ${base}`);
      const config = decodeConfigBatch(read.bytes, 0);
      if (config !== null) this.configs.push({ index: rb.lastOffset(read.bytes, 0), config });
    }
  }

  private noteTerm(term: Term, base: Index): void {
    const last = this.terms[this.terms.length - 1];
    if (last !== undefined && last.term === term) return;
    assert(last === undefined || term > last.term, () => `${this.dir}: term ${term} at ${base} after term ${last?.term}`);
    assert(term >= this.start.prevTerm, () => `${this.dir}: term ${term} at ${base} below the snapshot's`);
    this.terms.push({ term, first: base });
  }

  get startOffset(): Index {
    return this.start.startOffset;
  }

  /** Term of the entry before the log start (NO_TERM for a log that never lost its prefix). */
  get snapshotTerm(): Term {
    return this.start.prevTerm;
  }

  get snapshotConfig(): RaftConfig {
    return this.start.config;
  }

  get lastIndex(): Index {
    return this.log.logEndOffset - 1;
  }

  get lastTerm(): Term {
    return this.terms.length > 0 ? this.terms[this.terms.length - 1]!.term : this.start.prevTerm;
  }

  /** Term of the entry holding `index`; the snapshot term at start - 1; null if outside the log. */
  termAt(index: Index): Term | null {
    if (index === this.start.startOffset - 1) return this.start.prevTerm;
    if (index < this.start.startOffset || index > this.lastIndex) return null;
    let lo = 0;
    let hi = this.terms.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.terms[mid]!.first <= index) lo = mid;
      else hi = mid - 1;
    }
    return this.terms[lo]!.term;
  }

  /** First index in the log with `term`, or null if the log holds none. */
  firstIndexOfTerm(term: Term): Index | null {
    return this.terms.find((r) => r.term === term)?.first ?? null;
  }

  /** The largest term in the log at or below `term` (the snapshot's term counts), or null. */
  latestTermAtOrBelow(term: Term): Term | null {
    for (let i = this.terms.length - 1; i >= 0; i--) if (this.terms[i]!.term <= term) return this.terms[i]!.term;
    return this.start.prevTerm !== NO_TERM && this.start.prevTerm <= term ? this.start.prevTerm : null;
  }

  /** First index of the first term in the log after `term`, or null when `term` is the last. */
  firstIndexOfTermAfter(term: Term): Index | null {
    return this.terms.find((r) => r.term > term)?.first ?? null;
  }

  /** Last index in the log with `term`, or null if the log holds none. */
  lastIndexOfTerm(term: Term): Index | null {
    const i = this.terms.findIndex((r) => r.term === term);
    if (i < 0) return null;
    return i + 1 < this.terms.length ? this.terms[i + 1]!.first - 1 : this.lastIndex;
  }

  /** The configuration in force (the last one in the log, else the snapshot's) and its index. */
  get config(): ConfigEntry {
    return this.configs[this.configs.length - 1] ?? this.startConfig;
  }

  /** The configuration in force at `index` (at or after start - 1). */
  configAt(index: Index): RaftConfig {
    for (let i = this.configs.length - 1; i >= 0; i--) if (this.configs[i]!.index <= index) return this.configs[i]!.config;
    return this.start.config;
  }

  // ---- writes ----

  /** Leader: stamps `term` on every batch, assigns offsets. Resolves once written and fdatasync'ed. */
  async appendAsLeader(batches: Uint8Array, term: Term, nowMs: number): Promise<Index> {
    const last = await this.writeAsLeader(batches, term, nowMs);
    await this.sync();
    return last;
  }

  /** `appendAsLeader` without the fdatasync: resolves once written; `sync` makes it durable. */
  writeAsLeader(batches: Uint8Array, term: Term, nowMs: number): Promise<Index> {
    rb.scanBatches(batches, 0, (at) => rb.setPartitionLeaderEpoch(batches, term, at));
    return this.write(batches, nowMs);
  }

  /**
   * Follower: the batches carry their offsets and terms, start at the log end and are contiguous.
   * Resolves once written; `sync` makes them durable.
   */
  writeAsFollower(batches: Uint8Array, nowMs: number): Promise<Index> {
    let next = this.log.logEndOffset;
    rb.scanBatches(batches, 0, (at) => {
      assert(rb.baseOffset(batches, at) === next, () => `follower append of a batch at ${rb.baseOffset(batches, at)}, expected ${next}`);
      next = rb.lastOffset(batches, at) + 1;
    });
    return this.write(batches, nowMs);
  }

  private async write(batches: Uint8Array, nowMs: number): Promise<Index> {
    this.refuseIfFailed();
    const expectedBase = this.log.logEndOffset;
    const result = this.log.append(batches, nowMs);
    assert(result.baseOffset === expectedBase, "append did not start at the log end");
    rb.scanBatches(batches, 0, (at) => {
      this.noteTerm(rb.partitionLeaderEpoch(batches, at), rb.baseOffset(batches, at));
      const config = decodeConfigBatch(batches, at);
      if (config !== null) this.configs.push({ index: rb.lastOffset(batches, at), config });
    });
    await result.written;
    return result.lastOffset;
  }

  /** fdatasync of everything written so far: `durableIndex` moves to the log end as it was when called. */
  async sync(): Promise<void> {
    const end = this.lastIndex;
    await this.log.flush();
    this.refuseIfFailed();
    this.durableIndex = Math.max(this.durableIndex, Math.min(end, this.lastIndex));
  }

  /**
   * A write or sync of the storage log failed (a segment's seal, say, after our entries were
   * written): it cuts itself back to what it synced, so this log's view of it is stale. It stays
   * failed, since only an append clears that and none is made here once it failed.
   */
  private refuseIfFailed(): void {
    if (this.log.failed) throw new LogFailedError(`${this.dir}: the log failed and is cut back to what it synced (${this.log.logEndOffset} now)`);
  }

  /** Removes the entries from `offset` (a batch start) on, durably. */
  async truncateSuffix(offset: Index): Promise<void> {
    this.refuseIfFailed();
    await this.log.truncateSuffix(offset);
    while (this.terms.length > 0 && this.terms[this.terms.length - 1]!.first >= offset) this.terms.pop();
    while (this.configs.length > 0 && this.configs[this.configs.length - 1]!.index >= offset) this.configs.pop();
    this.durableIndex = Math.min(this.durableIndex, offset - 1);
  }

  /** Prefix truncation: the log starts at `offset` (a batch start, at most the log end). */
  async truncatePrefix(offset: Index): Promise<void> {
    if (offset <= this.start.startOffset) return;
    assert(offset <= this.log.logEndOffset, `prefix truncation at ${offset} past the log end ${this.log.logEndOffset}`);
    if (offset < this.log.logEndOffset) {
      const read = await this.log.read(offset, 1);
      assert(read.ok && rb.baseOffset(read.bytes, 0) === offset, `prefix truncation at ${offset}: not a batch start`);
    }
    const record: LogStartRecord = { startOffset: offset, prevTerm: this.termAt(offset - 1)!, config: this.configAt(offset - 1) };
    await writeLogStart(this.disk, this.dir, record);
    await this.log.deleteRecordsBefore(offset);
    this.start = record;
    this.startConfig = { index: NO_INDEX, config: record.config };
    this.terms = this.terms.filter((r, i) => i + 1 >= this.terms.length || this.terms[i + 1]!.first > offset);
    if (this.terms.length > 0 && this.terms[0]!.first < offset) this.terms[0] = { term: this.terms[0]!.term, first: offset };
    if (offset > this.lastIndex) this.terms = [];
    this.configs = this.configs.filter((c) => c.index >= offset);
  }

  /** InstallSnapshot: the log is discarded and restarts empty at `record.startOffset`, durably. */
  async resetTo(record: LogStartRecord): Promise<void> {
    this.refuseIfFailed();
    // Entries at or past the new start are the stale suffix that made the reset necessary (never
    // committed: the leader's log differs before them). They go first: a crash after the record is
    // written but before the log is reset would reopen them as if they followed the snapshot.
    if (this.log.logEndOffset > record.startOffset) {
      const holding = await this.read(record.startOffset, 1);
      await this.truncateSuffix(rb.baseOffset(holding, 0));
    }
    await writeLogStart(this.disk, this.dir, record);
    await this.log.resetTo(record.startOffset);
    this.start = record;
    this.startConfig = { index: NO_INDEX, config: record.config };
    this.terms = [];
    this.configs = [];
    this.durableIndex = record.startOffset - 1;
  }

  // ---- reads ----

  /** Whole batches from the one holding `offset`, at most `maxBytes` but at least one. */
  async read(offset: Index, maxBytes: number): Promise<Uint8Array> {
    const read = await this.log.read(offset, maxBytes);
    assert(read.ok, () => `${this.dir}: read at ${offset} outside ${this.start.startOffset}..${this.lastIndex + 1}`);
    return read.bytes;
  }

  async entries(): Promise<LogEntryInfo[]> {
    const out: LogEntryInfo[] = [];
    await this.log.scanBatchHeaders((bytes, at) => {
      out.push({
        index: rb.lastOffset(bytes, at),
        baseOffset: rb.baseOffset(bytes, at),
        term: rb.partitionLeaderEpoch(bytes, at),
        crc: rb.crc(bytes, at),
        isConfig: (rb.attributes(bytes, at) & rb.ATTR_CONTROL) !== 0,
      });
    }, this.start.startOffset);
    return out;
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
