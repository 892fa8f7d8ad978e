/**
 * The one disk interface every I/O backend implements (posix now; io_uring and a
 * fault-injecting simulated disk later). Small and async so any backend fits.
 */
export interface Disk {
  /** Backend name for logs, e.g. "posix". */
  readonly name: string;
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
}

export interface DiskFile {
  readonly path: string;
  size(): Promise<number>;
  /** Writes all of `data` at `position` or throws. */
  write(position: number, data: Uint8Array): Promise<void>;
  /** Reads up to `length` bytes at `position`; fewer only at end of file. */
  read(position: number, length: number): Promise<Uint8Array>;
  datasync(): Promise<void>;
  truncate(size: number): Promise<void>;
  close(): Promise<void>;
}
