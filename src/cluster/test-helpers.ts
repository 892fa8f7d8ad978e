/** For the controller's tests: a posix disk, temp data dirs, and controllers closed after each test. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PosixDisk } from "../io/posix-disk.ts";
import type { Controller } from "./controller.ts";
import type { MetadataChange, MetadataTable } from "./metadata.ts";
import { planFinish } from "./replica-moves.ts";

export const disk = new PosixDisk();
const dirs: string[] = [];
const opened: Controller[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A controller to close after the test (its metadata log holds a file handle). */
export async function track(opening: Promise<Controller>): Promise<Controller> {
  const controller = await opening;
  opened.push(controller);
  return controller;
}

/** Call from afterEach: closes the test's controllers, then removes its dirs. */
export async function cleanUp(): Promise<void> {
  await Promise.all(opened.splice(0).map((c) => c.close()));
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
}

/** As the partitions' leaders would: every move of topic `topic` finishes (its target becomes its replicas). */
export function finishAllMoves(t: MetadataTable, topic = "t"): void {
  const changes: MetadataChange[] = [];
  t.topic(topic)!.assignments!.forEach((a, partition) => {
    const done = a.target && planFinish(a, a.group, a.target);
    if (done) changes.push({ kind: "set_assignment", topic, partition, assignment: done });
  });
  if (changes.length > 0) t.apply({ version: t.version + 1, changes });
}
