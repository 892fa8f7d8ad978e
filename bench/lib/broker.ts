/**
 * Starts dist/skua for the load generator: a temp data dir, free ports, readiness by
 * polling the admin API, CPU time read from /proc, and a bounded shutdown.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "../../test/helpers/broker.ts";

const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 50;
const STOP_TIMEOUT_MS = 10_000;

export interface BrokerProcess extends AsyncDisposable {
  host: string;
  kafkaPort: number;
  adminUrl: string;
  pid: number;
  dataDir: string;
  logPath: string;
}


/** `reuseDataDir`: start on that data dir and leave it on disposal (a restart with other settings). */
export async function startBroker(repoDir: string, smp: number, dataParent = tmpdir(), extraArgs: string[] = [], reuseDataDir: string | null = null): Promise<BrokerProcess> {
  const build = Bun.spawnSync(["bash", "scripts/build.sh"], { cwd: repoDir, stdout: "inherit", stderr: "inherit" });
  if (build.exitCode !== 0) throw new Error("scripts/build.sh failed");
  const dataDir = reuseDataDir ?? mkdtempSync(join(dataParent, "skua-loadgen-"));
  const logPath = `${dataDir}.log`;
  const kafkaPort = freePort();
  const adminPort = freePort();
  const logFd = openSync(logPath, "a");
  const child = Bun.spawn(
    [join(repoDir, "dist/skua"), "start", "--data-dir", dataDir, "--kafka-addr", `127.0.0.1:${kafkaPort}`,
      "--admin-addr", `127.0.0.1:${adminPort}`, "--smp", String(smp), ...extraArgs],
    { stdout: logFd, stderr: logFd },
  );
  closeSync(logFd);
  const dispose = async () => {
    await stopChild(child);
    if (reuseDataDir === null) rmSync(dataDir, { recursive: true, force: true });
    rmSync(logPath, { force: true });
  };
  try {
    await waitReady(child, adminPort, logPath);
  } catch (err) {
    await dispose();
    throw err;
  }
  return { host: "127.0.0.1", kafkaPort, adminUrl: `http://127.0.0.1:${adminPort}`, pid: child.pid, dataDir, logPath, [Symbol.asyncDispose]: dispose };
}

async function waitReady(child: Subprocess, adminPort: number, logPath: string): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`broker exited (${child.exitCode ?? child.signalCode}) before ready:\n${logTail(logPath)}`);
    }
    const status = await fetch(`http://127.0.0.1:${adminPort}/v1/status/ready`).then((r) => r.status, () => 0);
    if (status === 200) return;
    await Bun.sleep(READY_POLL_MS);
  }
  throw new Error(`broker not ready after ${READY_TIMEOUT_MS} ms:\n${logTail(logPath)}`);
}

async function stopChild(child: Subprocess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const stopped = await Promise.race([child.exited.then(() => true), Bun.sleep(STOP_TIMEOUT_MS).then(() => false)]);
  if (!stopped) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

export function logTail(logPath: string, lines = 20): string {
  try {
    return readFileSync(logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no broker log)";
  }
}

let clockTicksPerSecond: number | null = null;

/** utime + stime of a process (all its threads), in seconds; null if /proc cannot tell. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    clockTicksPerSecond ??= Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return null;
  }
}
