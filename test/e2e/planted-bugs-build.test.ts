/**
 * The planted Raft bugs (src/raft/planted-bugs.ts) exist only when running from source: the
 * production build defines globalThis.SKUA_TEST_BUILD as false, which removes their branches and
 * switches. Checked on the raft code bundled with the build's flags (and, as a control, without
 * the define, where the names must appear) and on the shipped dist/skua.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { plantedBugs } from "../../src/raft/planted-bugs.ts";
import { REPO_ROOT, SKUA_BIN } from "../helpers/broker.ts";

const DEFINE = "globalThis.SKUA_TEST_BUILD";
const names = Object.keys(plantedBugs);

async function bundleRaft(define: Record<string, string>): Promise<string> {
  const result = await Bun.build({ entrypoints: [join(REPO_ROOT, "src/raft/group.ts")], target: "bun", minify: { syntax: true }, define });
  expect(result.success).toBe(true);
  return result.outputs[0]!.text();
}

test("scripts/build.sh builds with the define that removes the planted bugs", () => {
  expect(readFileSync(join(REPO_ROOT, "scripts/build.sh"), "utf8")).toContain(`--minify-syntax --define ${DEFINE}=false`);
});

test("with the build's define, no planted bug is left in the bundled raft code; without it they are there", async () => {
  expect(names.length).toBeGreaterThanOrEqual(5);
  const production = await bundleRaft({ [DEFINE]: "false" });
  const source = await bundleRaft({});
  expect(production).toContain("class RaftGroup");
  for (const name of names) {
    expect(source).toContain(name);
    expect(production).not.toContain(name);
  }
});

test("dist/skua holds none of the planted bug names", () => {
  const binary = readFileSync(SKUA_BIN).toString("latin1");
  for (const name of names) expect(binary.includes(name)).toBe(false);
});
