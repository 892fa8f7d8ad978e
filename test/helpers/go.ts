/**
 * The Go client checks under test/go (sarama 1.22, kafka-go 0.2.1 from Debian's -dev packages),
 * built offline in GOPATH mode once per test run into dist/go-checks (Go's build cache beside
 * them), and run with a timeout; each prints one JSON object on stdout.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./broker.ts";

const GO_BIN = process.env.GO_BIN ?? "go";
const DEBIAN_GOPATH = "/usr/share/gocode";
const BUILD_DIR = join(REPO_ROOT, "dist/go-checks");
const BUILD_TIMEOUT_MS = 180_000;
const RUN_TIMEOUT_MS = 60_000;

export type GoCheck = "sarama-check" | "kafkago-check";

const built = new Map<GoCheck, Promise<string>>();

/** The check's executable, built on first use in this run. Fails (never skips) when Go or the clients are missing. */
export function goCheck(name: GoCheck): Promise<string> {
  let binary = built.get(name);
  if (binary === undefined) built.set(name, (binary = build(name)));
  return binary;
}

async function build(name: GoCheck): Promise<string> {
  if (Bun.which(GO_BIN) === null) {
    throw new Error(`'${GO_BIN}' is not installed: run 'bash scripts/setup.sh --test' (apt: golang-go golang-github-shopify-sarama-dev golang-github-segmentio-kafka-go-dev)`);
  }
  mkdirSync(BUILD_DIR, { recursive: true });
  const output = join(BUILD_DIR, name);
  const env = {
    ...process.env,
    GOPATH: `${join(REPO_ROOT, "test/go")}:${DEBIAN_GOPATH}`,
    GO111MODULE: "off",
    GOPROXY: "off",
    GOFLAGS: "",
    GOCACHE: join(BUILD_DIR, "cache"),
  };
  const proc = Bun.spawn([GO_BIN, "build", "-o", output, "."], { cwd: join(REPO_ROOT, "test/go", name), env, stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), BUILD_TIMEOUT_MS);
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`go build of test/go/${name} failed (${code}):\n${stderr}`);
  return output;
}

/** Runs a check with `args` and returns its JSON report; a report with `error` is returned as is, for the test to show. */
export async function runGoCheck<T>(name: GoCheck, args: string[]): Promise<T & { error?: string }> {
  const binary = await goCheck(name);
  const proc = Bun.spawn([binary, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), RUN_TIMEOUT_MS);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  const line = stdout.trim().split("\n").pop() ?? "";
  if (code !== 0 || !line.startsWith("{")) throw new Error(`${name} ${args.join(" ")} exited ${code}; stdout:\n${stdout}\nstderr:\n${stderr}`);
  return JSON.parse(line);
}
