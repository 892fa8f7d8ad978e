/** Disk usage the e2e tests check (what `du` would count as file sizes). */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Bytes of every file under `dir`, recursively. */
export function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    total += st.isDirectory() ? bytesUnder(path) : st.size;
  }
  return total;
}
