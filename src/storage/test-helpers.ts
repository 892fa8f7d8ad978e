/** Shared helpers for storage tests: temp dirs, a counting disk wrapper, batch payloads, a read_committed client's filter. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Disk, DiskFile } from "../io/disk.ts";
import { buildBatch } from "./batch-builder.ts";
import { isControlBatch, readMarker } from "./control-batch.ts";
import type { LogConfig } from "./partition-log.ts";
import * as rb from "./record-batch.ts";
import { forEachRecord } from "./records.ts";

export function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skua-storage-"));
  return { dir, [Symbol.dispose]: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export const testConfig = (overrides: Partial<LogConfig> = {}): LogConfig => ({
  segmentBytes: 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  maxMessageBytes: 1024 * 1024,
  retentionMs: -1,
  retentionBytes: -1,
  ...overrides,
});

/** A batch of `count` records whose values say which batch they came from. */
export function batchOf(tag: number, count = 1, valueBytes = 20, baseTimestamp = 1000 + tag): Uint8Array {
  const records = [];
  for (let i = 0; i < count; i++) {
    records.push({ key: `k${tag}`, value: `${tag}:${i}:`.padEnd(valueBytes, "x"), timestampDelta: i });
  }
  return buildBatch({ records, baseTimestamp });
}

/** Wraps a Disk, counting calls and optionally failing writes or holding fdatasyncs. */
export class CountingDisk implements Disk {
  readonly name: string;
  datasyncs = 0;
  writes = 0;
  readBytes = 0;
  failWrites = false;
  /** While set, every datasync waits for it first. */
  holdDatasyncs: Promise<void> | null = null;
  /** While set, a datasync of a file it picks fails. */
  failDatasyncOf: ((path: string) => boolean) | null = null;
  constructor(private readonly inner: Disk) {
    this.name = `counting(${inner.name})`;
  }
  space(dir: string) {
    return this.inner.space(dir);
  }
  async open(p: string, opts: { create: boolean }): Promise<DiskFile> {
    const file = await this.inner.open(p, opts);
    const self = this;
    return {
      path: file.path,
      size: () => file.size(),
      write: async (position, data) => {
        self.writes++;
        if (self.failWrites) throw new Error("injected write failure");
        return file.write(position, data);
      },
      writtenThrough: (endBytes) => file.writtenThrough(endBytes),
      read: async (position, length, reuse) => {
        const bytes = await file.read(position, length, reuse);
        self.readBytes += bytes.length;
        return bytes;
      },
      datasync: async () => {
        self.datasyncs++;
        if (self.holdDatasyncs) await self.holdDatasyncs;
        if (self.failDatasyncOf?.(file.path)) throw new Error(`injected datasync failure of ${file.path}`);
        return file.datasync();
      },
      truncate: (size) => file.truncate(size),
      close: () => file.close(),
    };
  }
  mkdirp = (d: string) => this.inner.mkdirp(d);
  list = (d: string) => this.inner.list(d);
  remove = (p: string) => this.inner.remove(p);
  rename = (a: string, b: string) => this.inner.rename(a, b);
  exists = (p: string) => this.inner.exists(p);
  syncDir = (d: string) => this.inner.syncDir(d);
}

/**
 * How a read_committed client drops aborted records, given a Fetch's aborted_transactions list:
 *   "set": every listed transaction whose first offset a batch reaches joins the aborted set (Java, librdkafka);
 *   "one-per-record": the next listed transaction, in list order, joins it when a record reaches its first offset (kafkajs).
 * Either way a producer leaves the set at its abort marker.
 */
export type AbortedFilter = "set" | "one-per-record";

/** The values a read_committed client hands out from `bytes` read at `fetchOffset`, and the offset it fetches next. */
export function readCommittedValues(
  bytes: Uint8Array, fetchOffset: number, listed: ReadonlyArray<{ producerId: number; firstOffset: number }>, filter: AbortedFilter,
): { values: string[]; nextOffset: number } {
  const pending = filter === "set" ? [...listed].sort((a, b) => a.firstOffset - b.firstOffset) : [...listed];
  const aborting = new Set<number>();
  const values: string[] = [];
  let nextOffset = fetchOffset;
  rb.scanBatches(bytes, 0, (at) => {
    const producerId = rb.producerId(bytes, at);
    const control = isControlBatch(bytes, at);
    const transactional = (rb.attributes(bytes, at) & rb.ATTR_TRANSACTIONAL) !== 0;
    if (filter === "set") while (pending.length > 0 && pending[0]!.firstOffset <= rb.lastOffset(bytes, at)) aborting.add(pending.shift()!.producerId);
    forEachRecord(bytes, at, (r) => {
      if (r.offset < fetchOffset) return;
      if (filter === "one-per-record" && pending.length > 0 && r.offset >= pending[0]!.firstOffset) aborting.add(pending.shift()!.producerId);
      if (control) {
        if (readMarker(bytes, at)?.commit === false) aborting.delete(producerId);
      } else if (!(transactional && aborting.has(producerId))) {
        values.push(textDecoder.decode(r.value!));
      }
    });
    nextOffset = rb.lastOffset(bytes, at) + 1;
  });
  return { values, nextOffset };
}

const textDecoder = new TextDecoder();
