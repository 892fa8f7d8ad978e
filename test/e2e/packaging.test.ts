/** The systemd unit in packaging/ is valid, and the flags it starts skua with are ones skua accepts. */
import { expect, test } from "bun:test";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "../../src/cli/args.ts";
import { REPO_ROOT, SKUA_BIN } from "../helpers/broker.ts";

const unitText = readFileSync(join(REPO_ROOT, "packaging/skua.service"), "utf8");
const execStart = /^ExecStart=(\S+)\s+(.*)$/m.exec(unitText)!;

test("ExecStart runs `skua start` with flags skua accepts", () => {
  expect(execStart[1]).toEndWith("/skua");
  const command = parseArgs(execStart[2].split(/\s+/));
  expect(command.kind).toBe("start");
  if (command.kind === "start") expect(command.options.dataDir).toBe("/var/lib/skua");
});

test.if(Bun.which("systemd-analyze") !== null)("systemd-analyze verify accepts the unit", () => {
  const dir = mkdtempSync(join(tmpdir(), "skua-unit-"));
  try {
    const unit = join(dir, "skua.service");
    writeFileSync(unit, unitText.replaceAll(execStart[1], SKUA_BIN));
    const verify = Bun.spawnSync(["systemd-analyze", "verify", unit]);
    expect(verify.stderr.toString()).toBe("");
    expect(verify.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
