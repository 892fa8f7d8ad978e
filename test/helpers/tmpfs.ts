/** A tmpfs of a given size on a fresh temp dir, for full-disk tests; needs root for mount(8). */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The mounted dir and how to unmount it, or why mounting was not possible. */
export function mountTmpfs(sizeBytes: number): { dir: string; unmount(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), "skua-tmpfs-"));
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir], { encoding: "utf8" });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs failed (${(mount.stderr || mount.error?.message || "").trim()})`;
  }
  return {
    dir,
    unmount() {
      spawnSync("umount", [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
