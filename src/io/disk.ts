/**
 * The one disk interface every I/O backend implements (posix now; io_uring and a
 * fault-injecting simulated disk later). Small and async so any backend fits.
 */
export interface Disk {
  /** Backend name for logs, e.g. "posix". */
  readonly name: string;
  /** Bytes of appends held in memory until written (io_uring's write-behind); absent: none. */
  readonly writeBehindBytes?: number;
  open(path: string, opts: { create: boolean }): Promise<DiskFile>;
  mkdirp(dir: string): Promise<void>;
  /** Entry names in `dir`; [] if the directory is missing. */
  list(dir: string): Promise<string[]>;
  /** Removes a file or directory recursively; fine if missing. */
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** fsync a directory so file creations and renames in it survive a crash. */
  syncDir(dir: string): Promise<void>;
  /** Size and free bytes (those an unprivileged writer may use) of the file system holding `dir` (statfs). */
  space(dir: string): Promise<DiskSpace>;
}

export interface DiskSpace {
  totalBytes: number;
  freeBytes: number;
}

export interface DiskFile {
  readonly path: string;
  size(): Promise<number>;
  /**
   * Writes all of `data` at `position` or throws. A backend may return before the bytes reach
   * the kernel (io_uring's write-behind); `writtenThrough` says when they did.
   */
  write(position: number, data: Uint8Array): Promise<void>;
  /**
   * Resolves once every byte below `endBytes` that `write` took has reached the kernel, so it
   * survives a crash of this process (not of the machine: that takes `datasync`); rejects if one
   * of those writes failed.
   */
  writtenThrough(endBytes: number): Promise<void>;
  /**
   * Reads up to `length` bytes at `position`; fewer only at end of file. With `reuse`, the bytes
   * may be in a pooled buffer on loan (base/lent-buffers.ts): the caller ends its hold once done
   * and lends every view it hands on.
   */
  read(position: number, length: number, reuse?: boolean): Promise<Uint8Array>;
  datasync(): Promise<void>;
  /**
   * Cuts (or zero-extends) the file to `size`. After a failed write, a truncate to at most the
   * bytes known written makes the file whole again: it takes writes from there.
   */
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}
