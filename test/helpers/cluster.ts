/**
 * A cluster of `dist/skua` nodes on this machine for failure tests: each node its own data dir
 * and addresses, all founders started together with the same `--seeds` list and explicit
 * `--node-id`s, readiness polled on each node's `/v1/status/ready` (through helpers/broker.ts).
 *
 * Networks:
 *   - "netns": every node in its own network namespace (helpers/netns.ts), on its own address with
 *     the default ports; `isolate` / `cut` are real network faults. Needs root.
 *   - "loopback": every node on 127.0.0.1 with free ports; kill, pause, stop and restart only
 *     (`isolate` and `cut` throw).
 * Faults per node: `kill9`, `pause` (SIGSTOP) / `resume` (SIGCONT), `stop` (SIGTERM, clean),
 * `start` (same data dir and addresses, waits until ready). Disposing kills every node, removes
 * the data dirs and the namespaces; an exit hook does the same if the process is interrupted.
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startBroker, type Broker, type BrokerOptions } from "./broker.ts";
import { onExit } from "./exit-hooks.ts";
import { NetnsNetwork, netnsAvailable } from "./netns.ts";

export type ClusterNetwork = "netns" | "loopback";
export type NodeState = "running" | "paused" | "stopped";

const KAFKA_PORT = 9092;
const ADMIN_PORT = 9644;
const RPC_PORT = 33145;
const CLUSTER_READY_TIMEOUT_MS = 60_000;
const CORE_COUNT = availableParallelism();

export interface ClusterOptions {
  nodes: number;
  /** Shards per node (default 1: three to five nodes share two cores). */
  smp?: number;
  sets?: BrokerOptions["sets"];
  extraArgs?: string[];
  /** Flags for one node only (after extraArgs), e.g. its `--rack`. */
  nodeArgs?: (id: number) => string[];
  /** Default: "netns" when available (root), else "loopback". */
  network?: ClusterNetwork;
  /** Id of the first node; the others follow (default 0). */
  firstNodeId?: number;
  /** Keep the data dirs on dispose (their parent is printed), for looking at the logs after a failure. */
  keepData?: boolean;
  readyTimeoutMs?: number;
  /** Nodes made (addresses, data dirs, namespaces) but not started: `join(id)` starts one through the founders' seeds. */
  spares?: number;
}

export interface ClusterNode {
  readonly index: number;
  readonly id: number;
  readonly host: string;
  readonly kafkaAddress: string;
  readonly adminUrl: string;
  readonly rpcAddress: string;
  readonly dataDir: string;
  readonly state: NodeState;
  readonly isolated: boolean;
  /** The process id of the running (or paused) node. */
  readonly pid: number;
  stderr(): string;
}

interface NodeAddresses {
  host: string;
  kafkaPort: number;
  adminPort: number;
  rpcPort: number;
}

class Node implements ClusterNode {
  state: NodeState = "stopped";
  isolated = false;
  broker: Broker | null = null;

  constructor(
    readonly index: number,
    readonly id: number,
    private readonly addresses: NodeAddresses,
    readonly dataDir: string,
  ) {}

  get host(): string {
    return this.addresses.host;
  }
  get kafkaAddress(): string {
    return `${this.host}:${this.addresses.kafkaPort}`;
  }
  get adminUrl(): string {
    return `http://${this.host}:${this.addresses.adminPort}`;
  }
  get rpcAddress(): string {
    return `${this.host}:${this.addresses.rpcPort}`;
  }
  get ports(): { kafka: number; admin: number } {
    return { kafka: this.addresses.kafkaPort, admin: this.addresses.adminPort };
  }
  get pid(): number {
    if (this.broker === null) throw new Error(`node ${this.id} was never started`);
    return this.broker.pid;
  }
  stderr(): string {
    return this.broker?.stderr() ?? "";
  }
}

export class Cluster implements AsyncDisposable {
  private readonly forgetExitHook: () => void;

  private constructor(
    private readonly nodeList: Node[],
    /** Not started yet (`join`), or gone after leaving the cluster (`retire`). */
    private readonly spareList: Node[],
    private readonly retiredList: Node[],
    /** The founders' RPC addresses: every node's `--seeds`. */
    readonly seeds: string,
    readonly network: ClusterNetwork,
    private readonly netns: NetnsNetwork | null,
    readonly dataParent: string,
    private readonly options: ClusterOptions,
  ) {
    this.forgetExitHook = onExit(() => this.killAllSync());
  }

  /** Makes the network and data dirs and starts every founder at once (each waits for its own ready). */
  static async start(options: ClusterOptions): Promise<Cluster> {
    if (options.nodes < 1) throw new Error("a cluster needs at least one node");
    const network = options.network ?? (netnsAvailable().ok ? "netns" : "loopback");
    const spares = options.spares ?? 0;
    const netns = network === "netns" ? NetnsNetwork.create(options.nodes + spares) : null;
    const dataParent = await mkdtemp(join(tmpdir(), "skua-cluster-"));
    const firstId = options.firstNodeId ?? 0;
    const nodes: Node[] = [];
    for (let i = 0; i < options.nodes + spares; i++) {
      const addresses: NodeAddresses = netns !== null
        ? { host: netns.nodes[i]!.address, kafkaPort: KAFKA_PORT, adminPort: ADMIN_PORT, rpcPort: RPC_PORT }
        : { host: "127.0.0.1", kafkaPort: freePort(), adminPort: freePort(), rpcPort: freePort() };
      nodes.push(new Node(i, firstId + i, addresses, join(dataParent, `node-${firstId + i}`)));
    }
    const founders = nodes.slice(0, options.nodes);
    const seeds = founders.map((node) => node.rpcAddress).join(",");
    const cluster = new Cluster(founders, nodes.slice(options.nodes), [], seeds, network, netns, dataParent, options);
    try {
      await Promise.all(founders.map((node) => cluster.firstStart(node)));
    } catch (error) {
      await cluster[Symbol.asyncDispose]();
      throw error;
    }
    return cluster;
  }

  get nodes(): readonly ClusterNode[] {
    return this.nodeList;
  }

  node(id: number): ClusterNode {
    return this.byId(id);
  }

  /** Every node's Kafka address (clients bootstrap from all of them). */
  get bootstrap(): string[] {
    return this.nodeList.map((node) => node.kafkaAddress);
  }

  /** Ids of the spares not joined yet. */
  get spareIds(): number[] {
    return this.spareList.map((node) => node.id);
  }

  /** Starts spare `id` (asking for that node id) through the founders' seeds; waits until the controller recorded it (ready). */
  async join(id: number): Promise<void> {
    const at = this.spareList.findIndex((n) => n.id === id);
    if (at < 0) throw new Error(`node ${id} is not a spare of this cluster`);
    const [node] = this.spareList.splice(at, 1);
    this.nodeList.push(node!);
    await this.firstStart(node!);
  }

  /** A node that left the cluster (decommissioned): stops it (SIGTERM) and drops it from `nodes` and `bootstrap`; returns the exit code. */
  async retire(id: number): Promise<number> {
    const node = this.byId(id);
    const code = node.state === "stopped" ? 0 : await this.stop(id);
    this.nodeList.splice(this.nodeList.indexOf(node), 1);
    this.retiredList.push(node);
    return code;
  }

  /**
   * `taskset` onto this node's share of the machine's cores (an equal share each, at least one,
   * the nodes in turn), as separate machines would be: a broker pins shard i to the i-th core it
   * may use, so without this every node's shard 0 would share core 0.
   */
  private coresOf(node: Node): string[] {
    const perNode = Math.max(1, Math.floor(CORE_COUNT / (this.options.nodes + (this.options.spares ?? 0))));
    const first = (node.index * perNode) % CORE_COUNT;
    return ["taskset", "-c", Array.from({ length: perNode }, (_, i) => first + i).join(",")];
  }

  private brokerOptions(node: Node): BrokerOptions {
    const netns = this.netns;
    return {
      smp: this.options.smp ?? 1,
      sets: this.options.sets,
      host: node.host,
      ports: node.ports,
      dataDir: node.dataDir,
      readyTimeoutMs: this.options.readyTimeoutMs ?? CLUSTER_READY_TIMEOUT_MS,
      commandPrefix: [...(netns === null ? [] : netns.exec(node.index)), ...this.coresOf(node)],
      extraArgs: ["--node-id", String(node.id), "--rpc-addr", node.rpcAddress, "--seeds", this.seeds, ...(this.options.extraArgs ?? []), ...(this.options.nodeArgs?.(node.id) ?? [])],
    };
  }

  private async firstStart(node: Node): Promise<void> {
    node.broker = await startBroker(this.brokerOptions(node));
    node.state = "running";
  }

  private byId(id: number): Node {
    const node = this.nodeList.find((n) => n.id === id);
    if (node === undefined) throw new Error(`no node ${id} in this cluster`);
    return node;
  }

  private broker(node: Node): Broker {
    if (node.broker === null) throw new Error(`node ${node.id} was never started`);
    return node.broker;
  }

  /** SIGKILL; returns once the process is gone. */
  async kill9(id: number): Promise<void> {
    const node = this.byId(id);
    await this.broker(node).kill9();
    node.state = "stopped";
  }

  /** SIGTERM (a paused node is resumed so it sees it); returns the exit code. */
  async stop(id: number): Promise<number> {
    const node = this.byId(id);
    const code = await this.broker(node).stop("SIGTERM");
    node.state = "stopped";
    return code;
  }

  /** SIGSTOP: the process is frozen, its sockets stay open. */
  pause(id: number): void {
    const node = this.byId(id);
    if (node.state !== "running") throw new Error(`node ${id} is ${node.state}, cannot pause it`);
    this.broker(node).signal("SIGSTOP");
    node.state = "paused";
  }

  /** SIGCONT. */
  resume(id: number): void {
    const node = this.byId(id);
    if (node.state !== "paused") throw new Error(`node ${id} is ${node.state}, cannot resume it`);
    this.broker(node).signal("SIGCONT");
    node.state = "running";
  }

  /** Starts a stopped or killed node again on its data dir and addresses; waits for its ready. */
  async start(id: number): Promise<void> {
    const node = this.byId(id);
    if (node.state !== "stopped") throw new Error(`node ${id} is ${node.state}, cannot start it`);
    await this.broker(node).restart(this.brokerOptions(node));
    node.state = "running";
  }

  private requireNetns(what: string): NetnsNetwork {
    if (this.netns === null) throw new Error(`${what} needs the "netns" network (this cluster runs on ${this.network})`);
    return this.netns;
  }

  /** Cuts every link of the node: peers and clients (netns only). */
  isolate(id: number): void {
    const node = this.byId(id);
    this.requireNetns("isolate").isolate(node.index);
    node.isolated = true;
  }

  /** Undoes isolate(id). */
  reconnect(id: number): void {
    const node = this.byId(id);
    this.requireNetns("reconnect").reconnect(node.index);
    node.isolated = false;
  }

  /** Nodes `a` and `b` cannot reach each other; both still reach the rest (netns only). */
  cut(a: number, b: number): void {
    this.requireNetns("cut").cut(this.byId(a).index, this.byId(b).index);
  }

  /** Every link up, every cut gone. */
  healNetwork(): void {
    this.netns?.healAll();
    for (const node of this.nodeList) node.isolated = false;
  }

  /** Heals the network, resumes paused nodes and starts stopped ones. */
  async healAll(): Promise<void> {
    this.healNetwork();
    for (const node of this.nodeList) if (node.state === "paused") this.resume(node.id);
    await Promise.all(this.nodeList.filter((node) => node.state === "stopped").map((node) => this.start(node.id)));
  }

  /** Stops every node cleanly (SIGTERM); returns each exit code by node id. */
  async stopAll(): Promise<Map<number, number>> {
    this.healNetwork();
    const codes = new Map<number, number>();
    await Promise.all(this.nodeList.map(async (node) => {
      if (node.state !== "stopped") codes.set(node.id, await this.stop(node.id));
    }));
    return codes;
  }

  /** The last lines of a node's stderr, for failure messages. */
  tail(id: number, lines = 20): string {
    return this.byId(id).stderr().split("\n").slice(-lines).join("\n");
  }

  private killAllSync(): void {
    for (const node of [...this.nodeList, ...this.retiredList]) {
      if (node.state === "stopped" || node.broker === null) continue;
      try {
        process.kill(node.broker.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.netns?.removeSync();
    if (!this.options.keepData) rmSync(this.dataParent, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await Promise.all([...this.nodeList, ...this.retiredList].map(async (node) => {
        if (node.broker !== null && node.broker.running) await node.broker.kill9();
        node.state = "stopped";
      }));
    } finally {
      this.forgetExitHook();
      this.netns?.removeSync();
      if (this.options.keepData) console.error(`cluster data kept in ${this.dataParent}`);
      else await rm(this.dataParent, { recursive: true, force: true });
    }
  }
}

export function startCluster(options: ClusterOptions): Promise<Cluster> {
  return Cluster.start(options);
}
