/**
 * The controller's durable log of metadata updates: `<data-dir>/controller/metadata.log`.
 * Each record is a framed (length, CRC-32C) JSON MetadataUpdate; replay stops at the first
 * torn or corrupt record and cuts it off, like a partition log's recovery. All I/O goes
 * through the `Disk` interface, so a simulated disk can crash it.
 */
import { join } from "node:path";
import { assert } from "../base/assert.ts";
import { frameRecords, replayFramedRecords } from "../base/framed-records.ts";
import type { Disk, DiskFile } from "../io/disk.ts";
import type { MetadataUpdate } from "./metadata.ts";

export class MetadataLog {
  private appending = false;
  private closed = false;
  /** A failed append may have left bytes past `sizeBytes`; the next one cuts them first. */
  private tailUnknown = false;

  private constructor(
    private readonly file: DiskFile,
    private sizeBytes: number,
  ) {}

  /** Opens (creating) the log and returns the updates that survived, in order. */
  static async open(disk: Disk, dataDir: string, warn: (message: string) => void): Promise<{ log: MetadataLog; updates: MetadataUpdate[] }> {
    const dir = join(dataDir, "controller");
    await disk.mkdirp(dir);
    const path = join(dir, "metadata.log");
    const existed = await disk.exists(path);
    const file = await disk.open(path, { create: true });
    if (!existed) await disk.syncDir(dir);
    const bytes = await file.read(0, await file.size());
    const { updates, validBytes } = replay(bytes);
    if (validBytes < bytes.length) {
      warn(`metadata log ${path}: cut ${bytes.length - validBytes} bytes of torn or corrupt tail`);
      await file.truncate(validBytes);
      await file.datasync();
    }
    return { log: new MetadataLog(file, validBytes), updates };
  }

  /** Appends one update and makes it durable before resolving; the controller appends one at a time. */
  async append(update: MetadataUpdate): Promise<void> {
    assert(!this.appending, "metadata log appends overlap");
    this.appending = true;
    try {
      if (this.tailUnknown) await this.file.truncate(this.sizeBytes);
      this.tailUnknown = true;
      const record = frameRecords([new TextEncoder().encode(JSON.stringify(update))]);
      await this.file.write(this.sizeBytes, record);
      await this.file.datasync();
      this.sizeBytes += record.length;
      this.tailUnknown = false;
    } finally {
      this.appending = false;
    }
  }

  /** Closes the file; a second call does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close();
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
