/**
 * Network namespaces for fault tests: one namespace per node, each joined by a veth pair to a
 * bridge in the root namespace (where the test process and its clients live), so every node has
 * its own address on a private /24 that exists only on this machine. Faults are plain `ip`
 * commands (no tc netem, no iptables on these machines):
 *   - isolate(i): the root side of node i's veth goes down — peers AND clients lose it (as in
 *     Jepsen); its open TCP connections hang, nothing is reset.
 *   - cut(i, j): blackhole routes in both namespaces — i and j cannot talk, both still reach
 *     everyone else (a partial partition).
 * Needs root. Everything made is named `skc<pid>…`, removed on dispose, on SIGINT/SIGTERM and on
 * process exit; `sweepStaleNamespaces()` removes what a killed run (`kill -9` of the test) left.
 */
import { spawnSync } from "bun";
import { onExit } from "./exit-hooks.ts";

export const NETNS_PREFIX = "skc";
const RECONNECT_WAIT_MS = 3000;

export interface NetnsNode {
  /** Namespace name (for `ip netns exec`). */
  readonly name: string;
  /** The node's address inside its namespace. */
  readonly address: string;
  /** The root-namespace end of its veth pair (taken down to isolate it). */
  readonly hostLink: string;
}

/** Runs `ip ARGS`; throws with its stderr unless it exits 0 (or `allowFail`). */
function ip(args: string[], allowFail = false): string {
  const result = spawnSync(["ip", ...args], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0 && !allowFail) throw new Error(`ip ${args.join(" ")} failed (${result.exitCode}): ${result.stderr.toString().trim()}`);
  return result.stdout.toString();
}

export function netnsAvailable(): { ok: true } | { ok: false; reason: string } {
  if (process.getuid?.() !== 0) return { ok: false, reason: "network namespaces need root" };
  const result = spawnSync(["ip", "netns", "list"], { stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) return { ok: false, reason: `'ip netns list' failed: ${result.stderr.toString().trim()}` };
  return { ok: true };
}

/** A /24 under 10.0.0.0/8 no interface on this machine uses yet. */
function freeSubnet(): string {
  const used = ip(["-4", "-o", "addr", "show"]);
  for (let attempt = 0; attempt < 200; attempt++) {
    const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 256)}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new Error("no free 10.x.y.0/24 subnet for the test namespaces");
}

/** Removes namespaces and links whose creating process (the pid in their name) is gone. */
export function sweepStaleNamespaces(): string[] {
  const removed: string[] = [];
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const pattern = new RegExp(`^${NETNS_PREFIX}(\\d+)`);
  for (const line of ip(["netns", "list"], true).split("\n")) {
    const name = line.split(" ")[0] ?? "";
    const match = pattern.exec(name);
    if (match !== null && !alive(Number(match[1]))) {
      ip(["netns", "del", name], true);
      removed.push(name);
    }
  }
  for (const line of ip(["-o", "link", "show"], true).split("\n")) {
    const name = (line.split(": ")[1] ?? "").split("@")[0] ?? "";
    const match = pattern.exec(name);
    if (match !== null && !alive(Number(match[1]))) {
      ip(["link", "del", name], true);
      removed.push(name);
    }
  }
  return removed;
}

let networksMade = 0;

export class NetnsNetwork implements AsyncDisposable {
  readonly nodes: NetnsNode[] = [];
  /** The bridge's address in the root namespace: where the test's clients connect from. */
  readonly hostAddress: string;
  private readonly bridge: string;
  private readonly cuts = new Set<string>();
  private removed = false;
  private forgetExitHook = () => {};

  private constructor(count: number) {
    const tag = `${NETNS_PREFIX}${process.pid}${String.fromCharCode(97 + (networksMade++ % 26))}`;
    const subnet = freeSubnet();
    this.bridge = `${tag}br`;
    this.hostAddress = `${subnet}.1`;
    for (let i = 0; i < count; i++) this.nodes.push({ name: `${tag}n${i}`, address: `${subnet}.${11 + i}`, hostLink: `${tag}h${i}` });
    if (this.bridge.length > 15) throw new Error(`link name ${this.bridge} is longer than 15 characters`);
  }

  /** Makes the bridge and `count` namespaces, each with its veth up and its own loopback. */
  static create(count: number): NetnsNetwork {
    const available = netnsAvailable();
    if (!available.ok) throw new Error(available.reason);
    sweepStaleNamespaces();
    const network = new NetnsNetwork(count);
    network.forgetExitHook = onExit(() => network.removeSync());
    try {
      network.build();
    } catch (error) {
      network.removeSync();
      throw error;
    }
    return network;
  }

  private build(): void {
    ip(["link", "add", this.bridge, "type", "bridge"]);
    ip(["addr", "add", `${this.hostAddress}/24`, "dev", this.bridge]);
    ip(["link", "set", this.bridge, "up"]);
    this.nodes.forEach((node, i) => {
      const inner = this.innerLink(i);
      ip(["netns", "add", node.name]);
      ip(["link", "add", node.hostLink, "type", "veth", "peer", "name", inner]);
      ip(["link", "set", inner, "netns", node.name]);
      ip(["link", "set", node.hostLink, "master", this.bridge]);
      ip(["link", "set", node.hostLink, "up"]);
      ip(["-n", node.name, "addr", "add", `${node.address}/24`, "dev", inner]);
      ip(["-n", node.name, "link", "set", inner, "up"]);
      ip(["-n", node.name, "link", "set", "lo", "up"]);
    });
  }

  /** The command prefix that runs a program inside node `i`'s namespace (`ip netns exec` execs it: same pid). */
  exec(i: number): string[] {
    return ["ip", "netns", "exec", this.nodes[i]!.name];
  }

  /** Node `i` loses every link: to its peers and to the clients in the root namespace. */
  isolate(i: number): void {
    ip(["link", "set", this.nodes[i]!.hostLink, "down"]);
  }

  /** Undoes isolate(i); returns once both ends of the veth report carrier (bounded). */
  reconnect(i: number): void {
    const node = this.nodes[i]!;
    ip(["link", "set", node.hostLink, "up"]);
    ip(["link", "set", node.hostLink, "master", this.bridge]);
    const deadline = Date.now() + RECONNECT_WAIT_MS;
    while (Date.now() < deadline) {
      const outer = ip(["link", "show", node.hostLink], true);
      const inner = ip(["-n", node.name, "link", "show", this.innerLink(i)], true);
      if (/LOWER_UP/.test(outer) && /LOWER_UP/.test(inner) && /state UP/.test(outer)) return;
      Bun.sleepSync(10); // carrier comes up asynchronously
    }
  }

  private innerLink(i: number): string {
    return `${this.bridge.slice(0, -2)}i${i}`;
  }

  /** Nodes `i` and `j` cannot reach each other (blackhole routes both ways); both still reach the rest. */
  cut(i: number, j: number): void {
    const key = `${Math.min(i, j)}-${Math.max(i, j)}`;
    if (this.cuts.has(key)) return;
    ip(["-n", this.nodes[i]!.name, "route", "add", "blackhole", `${this.nodes[j]!.address}/32`]);
    ip(["-n", this.nodes[j]!.name, "route", "add", "blackhole", `${this.nodes[i]!.address}/32`]);
    this.cuts.add(key);
  }

  /** Undoes cut(i, j). */
  uncut(i: number, j: number): void {
    const key = `${Math.min(i, j)}-${Math.max(i, j)}`;
    if (!this.cuts.delete(key)) return;
    ip(["-n", this.nodes[i]!.name, "route", "del", "blackhole", `${this.nodes[j]!.address}/32`], true);
    ip(["-n", this.nodes[j]!.name, "route", "del", "blackhole", `${this.nodes[i]!.address}/32`], true);
  }

  /** Every link up, every cut removed. */
  healAll(): void {
    for (const key of [...this.cuts]) {
      const [i, j] = key.split("-").map(Number);
      this.uncut(i!, j!);
    }
    this.nodes.forEach((_node, i) => this.reconnect(i));
  }

  /** Which links are down and which pairs are cut, for logs. */
  describe(): string {
    const down = this.nodes.filter((node) => /state DOWN/.test(ip(["link", "show", node.hostLink], true))).map((node) => node.name);
    return `down: [${down.join(", ")}] cuts: [${[...this.cuts].join(", ")}]`;
  }

  /** Removes the namespaces and the bridge (synchronous: also runs from exit hooks). */
  removeSync(): void {
    if (this.removed) return;
    this.removed = true;
    this.forgetExitHook();
    for (const node of this.nodes) {
      ip(["netns", "del", node.name], true);
      ip(["link", "del", node.hostLink], true);
    }
    ip(["link", "del", this.bridge], true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.removeSync();
  }
}
