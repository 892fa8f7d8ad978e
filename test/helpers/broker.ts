/**
 * Starts the compiled broker (`dist/skua`) as a child process for end-to-end tests:
 * a fresh temp data dir, free ports, readiness polled on `/v1/status/ready`, stderr
 * kept for failure messages. `await using broker = await startBroker(...)` kills it
 * and removes the data dir when the scope ends.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";

export const REPO_ROOT = resolve(import.meta.dir, "../..");
/** The executable under test. SKUA_BIN overrides it (only for debugging the tests themselves). */
export const SKUA_BIN = process.env.SKUA_BIN ?? join(REPO_ROOT, "dist/skua");

const READY_TIMEOUT_MS = 20_000;
const READY_POLL_MS = 25;
const STOP_TIMEOUT_MS = 15_000;
const STDERR_KEEP_BYTES = 64 * 1024;
const START_ATTEMPTS_MAX = 3;

export interface BrokerOptions {
  smp?: number;
  /** Cluster properties passed as `--set NAME=VALUE`. */
  sets?: Record<string, string | number | boolean>;
  extraArgs?: string[];
  /** Extra environment variables for the broker process. */
  env?: Record<string, string>;
  /** Where the temp data dir is made (default: the OS temp dir), e.g. a small tmpfs. */
  dataParent?: string;
  /** Started under `ulimit -n N` (through bash, which then execs the broker: the pid stays the broker's). */
  openFilesLimit?: number;
  /** Written to the data dir's `cluster_id` before the first start, so several nodes share one cluster id. */
  clusterId?: string;
  /** The address the Kafka and admin listeners bind to and clients use (default 127.0.0.1), e.g. a network namespace's. */
  host?: string;
  /** Fixed Kafka and admin ports (default: free ports picked at start, retried if taken). */
  ports?: { kafka: number; admin: number };
  /** Run the broker through this command (e.g. `ip netns exec NS`, which execs it: the pid stays the broker's). */
  commandPrefix?: string[];
  /** How long to wait for `/v1/status/ready` (default 20 s). */
  readyTimeoutMs?: number;
  /** Use this data dir (made if missing) and leave it on dispose: its owner (e.g. a cluster) removes it. */
  dataDir?: string;
  /**
   * A config file (redpanda.yaml layout) made from the ports the helper picked; the broker then
   * gets `--config` and no --kafka-addr/--admin-addr, so the file's listeners are used. It must
   * put a plaintext admin listener on `admin` (readiness is polled there).
   */
  config?: (ports: { kafka: number; admin: number }) => string;
}

export interface Broker extends AsyncDisposable {
  readonly kafkaPort: number;
  readonly adminPort: number;
  readonly brokers: string[];
  readonly adminUrl: string;
  readonly dataDir: string;
  /** Everything the current process wrote to stderr (the tail, bounded). */
  stderr(): string;
  /** Sends `signal`, waits for exit, returns the exit code (128+n when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number>;
  /** SIGKILL, then waits for exit. */
  kill9(): Promise<void>;
  /** Sends `signal` without waiting (SIGSTOP / SIGCONT to pause and resume it). */
  signal(signal: NodeJS.Signals): void;
  /** Starts again on the same data dir and ports (stops first with SIGTERM if still running), waits for ready; `changes` alter the options (e.g. another --smp). */
  restart(changes?: Partial<BrokerOptions>): Promise<void>;
  readonly running: boolean;
  /** The broker process's id (for reading its CPU time from /proc). */
  readonly pid: number;
}

export function assertBinaryBuilt(): void {
  if (!existsSync(SKUA_BIN)) throw new Error(`${SKUA_BIN} is missing: run 'bash scripts/build.sh' first`);
}

/**
 * Test listeners' ports lie below Linux's ephemeral range (32768–60999): a port the kernel hands
 * out for port 0 may next be the local port of some client's outgoing connection before the
 * broker binds it.
 */
const TEST_PORTS = { first: 20_000, count: 12_000 };

/** A port nobody listens on right now, outside the ephemeral range (bound once to check, then closed). */
export function freePort(): number {
  for (;;) {
    const port = TEST_PORTS.first + Math.floor(Math.random() * TEST_PORTS.count);
    try {
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
      return port;
    } catch {
      // taken: try another
    }
  }
}

/** Runs `skua` with `args` to completion (for CLI tests). */
export async function runSkua(args: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  assertBinaryBuilt();
  const proc = Bun.spawn([SKUA_BIN, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  try {
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

class BrokerProcess implements Broker {
  kafkaPort = 0;
  adminPort = 0;
  private proc: Subprocess<"ignore", "ignore", "pipe"> | null = null;
  private stderrText = "";
  private stderrDone: Promise<void> = Promise.resolve();

  constructor(
    readonly dataDir: string,
    private options: BrokerOptions,
  ) {}

  get host(): string {
    return this.options.host ?? "127.0.0.1";
  }

  get brokers(): string[] {
    return [`${this.host}:${this.kafkaPort}`];
  }

  get adminUrl(): string {
    return `http://${this.host}:${this.adminPort}`;
  }

  get pid(): number {
    if (this.proc === null) throw new Error("broker was never started");
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  stderr(): string {
    return this.stderrText;
  }

  /** First start: picks ports, retrying with new ones if they were taken in between. */
  async startFresh(): Promise<void> {
    if (this.options.ports !== undefined) {
      this.kafkaPort = this.options.ports.kafka;
      this.adminPort = this.options.ports.admin;
      return this.spawnAndWait();
    }
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS_MAX; attempt++) {
      this.kafkaPort = freePort();
      this.adminPort = freePort();
      try {
        await this.spawnAndWait();
        return;
      } catch (error) {
        lastError = error;
        if (!/in use|EADDRINUSE|failed to listen/i.test(this.stderrText)) throw error;
      }
    }
    throw lastError;
  }

  private async args(): Promise<string[]> {
    const { config } = this.options;
    const configPath = join(this.dataDir, "skua-test-config.yaml");
    if (config) await writeFile(configPath, config({ kafka: this.kafkaPort, admin: this.adminPort }));
    const listeners = config
      ? ["--config", configPath]
      : ["--kafka-addr", `${this.host}:${this.kafkaPort}`, "--admin-addr", `${this.host}:${this.adminPort}`];
    const args = ["start", "--data-dir", this.dataDir, ...listeners, "--smp", String(this.options.smp ?? 1)];
    for (const [name, value] of Object.entries(this.options.sets ?? {})) args.push("--set", `${name}=${value}`);
    return [...args, ...(this.options.extraArgs ?? [])];
  }

  private async spawnAndWait(): Promise<void> {
    this.stderrText = "";
    const argv = [SKUA_BIN, ...(await this.args())];
    const limited = this.options.openFilesLimit === undefined ? argv : ["bash", "-c", `ulimit -n ${this.options.openFilesLimit} && exec "$0" "$@"`, ...argv];
    const command = [...(this.options.commandPrefix ?? []), ...limited];
    const proc = Bun.spawn(command, { stdin: "ignore", stdout: "ignore", stderr: "pipe", env: { ...process.env, ...this.options.env } });
    this.proc = proc;
    this.stderrDone = this.collectStderr(proc.stderr);
    await this.waitReady(proc);
  }

  private async collectStderr(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.stderrText += decoder.decode(chunk, { stream: true });
      if (this.stderrText.length > STDERR_KEEP_BYTES) this.stderrText = this.stderrText.slice(-STDERR_KEEP_BYTES);
    }
  }

  private async waitReady(proc: Subprocess): Promise<void> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? READY_TIMEOUT_MS);
    let last = "no answer";
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        await this.stderrDone;
        throw new Error(`skua exited (code ${proc.exitCode}, signal ${proc.signalCode}) before ready:\n${this.stderrText}`);
      }
      try {
        const response = await fetch(`${this.adminUrl}/v1/status/ready`, { signal: AbortSignal.timeout(1000) });
        if (response.status === 200) return;
        last = `HTTP ${response.status}`;
        await response.arrayBuffer();
      } catch (error) {
        last = String(error);
      }
      await Bun.sleep(READY_POLL_MS); // poll interval, not a wait for an event
    }
    proc.kill("SIGKILL");
    await proc.exited;
    throw new Error(`skua not ready within ${this.options.readyTimeoutMs ?? READY_TIMEOUT_MS} ms (last: ${last}):\n${this.stderrText}`);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
    const proc = this.proc;
    if (proc === null) throw new Error("broker was never started");
    if (this.running) {
      proc.kill(signal);
      if (signal !== "SIGKILL") proc.kill("SIGCONT"); // a paused broker handles the signal only once resumed
    }
    const timer = setTimeout(() => proc.kill("SIGKILL"), STOP_TIMEOUT_MS);
    try {
      const code = await proc.exited;
      await this.stderrDone;
      return code;
    } finally {
      clearTimeout(timer);
    }
  }

  async kill9(): Promise<void> {
    await this.stop("SIGKILL");
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.proc!.kill(signal);
  }

  async restart(changes: Partial<BrokerOptions> = {}): Promise<void> {
    if (this.running) await this.stop("SIGTERM");
    this.options = { ...this.options, ...changes };
    await this.spawnAndWait();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (this.proc !== null && this.running) await this.stop("SIGKILL");
    } finally {
      if (this.options.dataDir === undefined) await rm(this.dataDir, { recursive: true, force: true });
    }
  }
}

export async function startBroker(options: BrokerOptions = {}): Promise<Broker> {
  assertBinaryBuilt();
  const dataDir = options.dataDir ?? (await mkdtemp(join(options.dataParent ?? tmpdir(), "skua-e2e-")));
  await mkdir(dataDir, { recursive: true });
  if (options.clusterId !== undefined) await writeFile(join(dataDir, "cluster_id"), `${options.clusterId}\n`);
  const broker = new BrokerProcess(dataDir, options);
  try {
    await broker.startFresh();
  } catch (error) {
    await broker[Symbol.asyncDispose]();
    throw error;
  }
  return broker;
}

/** A loopback cluster node's flags: its RPC port and the seeds' (all on 127.0.0.1). */
export function rpcNodeArgs(rpcPort: number, seedPorts: number[]): string[] {
  return ["--rpc-addr", `127.0.0.1:${rpcPort}`, "--seeds", seedPorts.map((p) => `127.0.0.1:${p}`).join(",")];
}

/** GET on the admin API, which must answer 200 with JSON. */
export async function adminJson<T>(broker: Broker, path: string): Promise<T> {
  const { status, text } = await adminGet(broker, path);
  if (status !== 200) throw new Error(`GET ${path}: HTTP ${status}: ${text}`);
  return JSON.parse(text) as T;
}

/** GET on the admin API; returns status and body text. */
export async function adminGet(broker: Broker, path: string): Promise<{ status: number; text: string; contentType: string }> {
  const response = await fetch(`${broker.adminUrl}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, text: await response.text(), contentType: response.headers.get("content-type") ?? "" };
}

export interface ShardInfo {
  shard_id: number;
  core_requested: number;
  core_actual: number;
  pinned: boolean;
  partitions: Array<{ topic: string; partition: number }>;
  partition_count: number;
  requests: number;
  connections: number;
  bytes_in: number;
  bytes_out: number;
  cross_shard_sent: number;
  cross_shard_received: number;
}

export async function shards(broker: Broker): Promise<ShardInfo[]> {
  const { status, text } = await adminGet(broker, "/v1/shards");
  if (status !== 200) throw new Error(`/v1/shards answered ${status}: ${text}`);
  return JSON.parse(text) as ShardInfo[];
}

/** Polls `check` until it returns a non-undefined value; bounded by time. */
export async function pollUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}
