/** Runs the compiled `skua` CLI against a test broker: --brokers and --admin-url filled in, stdin optional. */
import { afterAll, beforeAll } from "bun:test";
import { assertBinaryBuilt, SKUA_BIN, startBroker, type Broker, type BrokerOptions } from "./broker.ts";

const CLI_TIMEOUT_MS = 20_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function skua(broker: Broker | null, args: string[], options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  assertBinaryBuilt();
  const connect = broker === null ? [] : ["--brokers", broker.brokers.join(","), "--admin-url", broker.adminUrl];
  const proc = Bun.spawn([SKUA_BIN, ...args, ...connect], {
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    // No profile from the machine running the tests: the default profile path points nowhere.
    env: { ...process.env, XDG_CONFIG_HOME: "/nonexistent/skua-e2e-config", SKUA_BROKERS: "", SKUA_ADMIN_URL: "", ...options.env },
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), options.timeoutMs ?? CLI_TIMEOUT_MS);
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs and expects exit 0; returns stdout. Failures show stderr. */
export async function skuaOk(broker: Broker | null, args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<string> {
  const result = await skua(broker, args, options);
  if (result.code !== 0) throw new Error(`skua ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** One broker for a whole test file: started before its tests, removed after. Read `.current` inside tests. */
export function brokerForFile(options: BrokerOptions): { current: Broker } {
  const holder = { current: null as unknown as Broker };
  beforeAll(async () => {
    holder.current = await startBroker(options);
  });
  afterAll(async () => {
    await holder.current?.[Symbol.asyncDispose]();
  });
  return holder;
}
