/**
 * The controller's durable log of metadata updates: `<data-dir>/controller/metadata.log`.
 * Each record is [u32 length][u32 crc32c][JSON of a MetadataUpdate]. Replay stops at the
 * first torn or corrupt record and cuts it off, like a partition log's recovery.
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { crc32c } from "../base/crc32c.ts";
import type { MetadataUpdate } from "./metadata.ts";

const RECORD_HEADER_BYTES = 8;

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
    const body = new TextEncoder().encode(JSON.stringify(update));
    const record = new Uint8Array(RECORD_HEADER_BYTES + body.length);
    const view = new DataView(record.buffer);
    view.setUint32(0, body.length);
    view.setUint32(4, crc32c(body));
    record.set(body, RECORD_HEADER_BYTES);
    writeSync(this.fd, record, 0, record.length, this.sizeBytes);
    fdatasyncSync(this.fd);
    this.sizeBytes += record.length;
  }

  close(): void {
    closeSync(this.fd);
  }

  get size(): number {
    return fstatSync(this.fd).size;
  }
}

function replay(bytes: Uint8Array): { updates: MetadataUpdate[]; validBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const updates: MetadataUpdate[] = [];
  let position = 0;
  while (position + RECORD_HEADER_BYTES <= bytes.length) {
    const length = view.getUint32(position);
    const end = position + RECORD_HEADER_BYTES + length;
    if (end > bytes.length) break;
    const body = bytes.subarray(position + RECORD_HEADER_BYTES, end);
    if (crc32c(body) !== view.getUint32(position + 4)) break;
    const update = parseUpdate(body);
    if (!update || update.version !== updates.length + 1) break;
    updates.push(update);
    position = end;
  }
  return { updates, validBytes: position };
}

function parseUpdate(body: Uint8Array): MetadataUpdate | null {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as MetadataUpdate;
  } catch {
    return null;
  }
}
