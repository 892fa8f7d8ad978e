/**
 * The controller's durable log of metadata updates: `<data-dir>/controller/metadata.log`.
 * Each record is a framed (length, CRC-32C) JSON MetadataUpdate; replay stops at the first
 * torn or corrupt record and cuts it off, like a partition log's recovery.
 */
import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { frameRecords, replayFramedRecords } from "../base/framed-records.ts";
import type { MetadataUpdate } from "./metadata.ts";


export class MetadataLog {
  private constructor(
    private readonly fd: number,
    private sizeBytes: number,
  ) {}

  /** Opens (creating) the log and returns the updates that survived, in order. */
  static open(dataDir: string, warn: (message: string) => void): { log: MetadataLog; updates: MetadataUpdate[] } {
    const dir = join(dataDir, "controller");
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "metadata.log");
    const fd = openSync(path, "a+");
    const bytes = new Uint8Array(readFileSync(path));
    const { updates, validBytes } = replay(bytes);
    if (validBytes < bytes.length) {
      warn(`metadata log ${path}: cut ${bytes.length - validBytes} bytes of torn or corrupt tail`);
      ftruncateSync(fd, validBytes);
      fdatasyncSync(fd);
    }
    return { log: new MetadataLog(fd, validBytes), updates };
  }

  /** Appends one update and makes it durable before returning. */
  append(update: MetadataUpdate): void {
    const record = frameRecords([new TextEncoder().encode(JSON.stringify(update))]);
    writeSync(this.fd, record, 0, record.length, this.sizeBytes);
    fdatasyncSync(this.fd);
    this.sizeBytes += record.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function replay(bytes: Uint8Array): { updates: MetadataUpdate[]; validBytes: number } {
  const updates: MetadataUpdate[] = [];
  const { validBytes } = replayFramedRecords(bytes, (body) => {
    const update = parseUpdate(body);
    if (!update || update.version !== updates.length + 1) return false;
    updates.push(update);
    return true;
  });
  return { updates, validBytes };
}

function parseUpdate(body: Uint8Array): MetadataUpdate | null {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as MetadataUpdate;
  } catch {
    return null;
  }
}
