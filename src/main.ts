/** `skua`: the command line, and the main thread of a running broker. */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { join, resolve } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { configureLog, logger } from "./base/log.ts";
import { onUncaughtError } from "./base/uncaught.ts";
import { parseArgs, rpcSettings, usage, UsageError, type HostPort, type StartOptions } from "./cli/args.ts";
import { applyConfigFile } from "./cli/config-file.ts";
import { resolveListeners, type AdminListenerSpec, type KafkaListenerSpec } from "./cli/listeners.ts";
import { serveAdmin } from "./admin/serve.ts";
import { loadTlsFiles } from "./base/tls-files.ts";
import { devBanner } from "./cli/dev-banner.ts";
import { cliCommandNames, runCli } from "./cli/run.ts";
import { createAdminApp, type AdminBackend } from "./admin/app.ts";
import { mountConsole } from "./admin/console/console.ts";
import { planReplicaCoreBalance } from "./cluster/balance.ts";
import { Controller, NotControllerError, type MoveOutcome } from "./cluster/controller.ts";
import type { NodeRecord, Replica } from "./cluster/metadata.ts";
import type { ReplicaMoveOutcome } from "./cluster/replica-moves.ts";
import { ControllerRouter, singleNodeServers } from "./shard/controller-router.ts";
import { describeReplicatedPartition, partitionHealth, reconfigurations, replicationMetrics } from "./admin/cluster-view.ts";
import { sameAddress } from "./rpc/node.ts";
import { joinThroughSeeds } from "./shard/join.ts";
import { ControllerService } from "./cluster/controller-calls.ts";
import { decommissionProgress, DRAIN_INTERVAL_MS, drainedNodes } from "./cluster/decommission.ts";
import { leadershipView } from "./cluster/leader-balancer.ts";
import { maintenanceStatus } from "./cluster/maintenance.ts";
import { defaultProperties, listValue, parseConfigFile, setProperty, type ClusterProperties } from "./cluster/properties.ts";
import { bootstrapUser } from "./cluster/bootstrap-user.ts";
import { passwordMatches } from "./cluster/users.ts";
import { perAddressCounting } from "./cluster/connection-limits.ts";
import { limits } from "./base/limits.ts";
import { ErrorCode } from "./protocol/errors.ts";
import { SharedCounts } from "./base/shared-counts.ts";
import { chooseBackend, openDisk } from "./io/backend.ts";
import { Supervisor } from "./shard/supervisor.ts";
import { summarizePeers } from "./rpc/peers.ts";

const EXIT_USAGE = 2;
const DEFAULT_DATA_DIR = "./skua-data";

function main(argv: string[]): void {
  if (argv[0] !== undefined && cliCommandNames.has(argv[0])) {
    // Exit code set, not forced: stdout written to a pipe is flushed before the process ends.
    runCli(argv).then((code) => (process.exitCode = code));
    return;
  }
  let command;
  try {
    command = parseArgs(argv);
    if (command.kind === "start") {
      const loaded = loadProperties(command.options);
      startBroker(command.options, loaded.props, loaded.ignored, listeners(command.options, loaded.props)).catch((error: unknown) => {
        logger("main").error("could not start", { error: error instanceof Error ? error.message : String(error) });
        process.exit(1);
      });
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`skua: ${error.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (command.kind === "help") process.stdout.write(usage);
  if (command.kind === "version") process.stdout.write(`skua ${packageJson.version}\n`);
}

/** Cluster properties from the defaults, the config file and --set; the file's node settings and listeners go into `options`. */
function loadProperties(options: StartOptions): { props: ClusterProperties; ignored: string[] } {
  const props = defaultProperties();
  // Dev mode changes defaults only: the config file and --set still win.
  if (options.dev) setProperty(props, "auto_create_topics_enabled", "true");
  let ignored: string[] = [];
  let where = "--set";
  try {
    if (options.configFile) {
      const file = applyConfigFile(options, readFileSync(options.configFile, "utf8"));
      ignored = file.ignored;
      where = "config file";
      for (const [name, value] of file.properties) setProperty(props, name, value);
      if (file.flatText !== null) parseConfigFile(file.flatText, props);
      where = "--set";
    }
    for (const [name, value] of options.sets) setProperty(props, name, value);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${where === "config file" ? "config file: " : ""}${error instanceof Error ? error.message : String(error)}`);
  }
  return { props, ignored };
}

/** The listeners to run; their TLS files are read now, so a missing or wrong one stops the start with its name. */
function listeners(options: StartOptions, props: ClusterProperties): { kafka: KafkaListenerSpec[]; admin: AdminListenerSpec[] } {
  const resolved = resolveListeners(options, options.listenerSections, props.enable_sasl, unwildcard);
  for (const listener of [...resolved.kafka, ...resolved.admin]) {
    if (listener.tls === null) continue;
    try {
      loadTlsFiles(listener.tls);
    } catch (error) {
      throw new UsageError(`listener '${listener.name}': ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return resolved;
}

async function startBroker(options: StartOptions, props: ClusterProperties, ignored: string[], listening: { kafka: KafkaListenerSpec[]; admin: AdminListenerSpec[] }): Promise<void> {
  configureLog({ format: options.logFormat });
  const log = logger("main");
  if (ignored.length > 0) log.warn("config file settings skua does not use were ignored", { settings: ignored.join(",") });
  onUncaughtError((error) => {
    log.error("uncaught error; stopping the broker", { error });
    process.exit(1);
  });
  // Forced "uring" where it cannot work throws here: one "could not start" line, exit 1.
  const io = chooseBackend(options.io);
  if (io.fallbackReason !== null) log.warn("io_uring unavailable; using the posix backend", { reason: io.fallbackReason });
  const dataDir = resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  const coreCount = availableParallelism();
  const shardCount = options.smp ?? coreCount;
  const supervisor = new Supervisor(shardCount);
  // The controller's writes are few and small: portable file I/O on the main thread; each shard opens its own backend.
  const controllerDisk = openDisk("posix");
  const clustered = rpcSettings(options) !== null;
  const controller = await Controller.open({ disk: controllerDisk, dataDir, props, shardCount, shards: supervisor, warn: (m) => log.warn(m), clustered });
  const controllerService = new ControllerService(controller, controllerDisk, dataDir, props);
  await controllerService.removeOrphanedTopicDirs((message) => log.warn(message));
  const rpc = nodeRpc(options);
  let registered = rpc === null;
  const identity = rpc ? await clusterIdentity(dataDir, options, rpc, listening.kafka[0].advertised, shardCount, log) : { nodeId: options.nodeId ?? 0, clusterId: clusterId(dataDir) };
  // Replicas a finished move took off this node while it was down (its metadata log says so).
  if (rpc) await controllerService.removeMovedReplicaDirs(identity.nodeId, (message) => log.warn(message));
  const router = rpc ? new ControllerRouter(identity.nodeId, controller, controllerService.servers) : null;
  if (router) {
    controllerService.attachGroup({ self: identity.nodeId, addLearner: (node) => supervisor.controllerAddLearner(node) });
    controller.joinCluster(identity.nodeId, { propose: (update) => supervisor.controllerPropose(update) }, async (update) => {
      for (const change of update.changes) {
        if (change.kind === "delete_topic") await controllerService.removeTopicData(change.name);
        if (change.kind === "remove_node" && change.node === identity.nodeId) log.error("this node was decommissioned and has left the cluster: it holds no replicas and is no controller member; stop it (it cannot rejoin under this id)");
      }
    });
    router.attach({ forward: (node, name, request) => supervisor.controllerForward(node, name, request) });
  }
  /** Replica moves through the controller (its leader, in a cluster), all in one call: one outcome each. */
  const moveReplicas = async (moves: Array<{ topic: string; partition: number; replicas: Replica[] }>): Promise<ReplicaMoveOutcome[]> => {
    try {
      return await (router ? router.call("moveReplicas", { moves }) : controllerService.servers.moveReplicas({ moves }));
    } catch (error) {
      if (!(error instanceof NotControllerError)) throw error;
      return moves.map(() => ({ errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: error.message }));
    }
  };
  /** The partition's replicas (this node holds one) with this node's on core `to`: the same nodes, so no membership change. */
  const withLocalCore = (topic: string, partition: number, to: number): Replica[] =>
    controller.table.assignment(topic, partition)!.replicas.map((r) => (r.node === identity.nodeId ? { node: r.node, shard: to } : r));
  /** In a cluster: this node's replica of the partition to another of its cores. */
  const moveLocalReplica = async (topic: string, partition: number, to: number): Promise<MoveOutcome> => {
    const from = controller.table.assignment(topic, partition)?.replicas.find((r) => r.node === identity.nodeId)?.shard;
    if (from === undefined) return { ok: false, error: `no replica of ${topic}/${partition} on node ${identity.nodeId}` };
    if (!Number.isInteger(to) || to < 0 || to >= shardCount) return { ok: false, error: `shard must be 0..${shardCount - 1}, got ${to}` };
    if (from === to) return { ok: true, move: null };
    const [outcome] = await moveReplicas([{ topic, partition, replicas: withLocalCore(topic, partition, to) }]);
    if (outcome!.errorCode !== ErrorCode.NONE) return { ok: false, error: outcome!.errorMessage ?? `error ${outcome!.errorCode}` };
    return { ok: true, move: { topic, partition, from, to } };
  };
  /** Controller calls of the admin API and start-up: routed to the controller leader in a cluster. */
  const controllerCalls = {
    alterUsers: (changes: Parameters<typeof controllerService.alterUsers>[0]) => (router ? router.call("alterUsers", { changes }) : controllerService.alterUsers(changes)),
  };
  // A node of one: before the shards start (they load the users then) and before the admin API asks for logins.
  if (!router) await bootstrapUser(process.env.SKUA_BOOTSTRAP_USER, controller.table, controllerService, log);

  /** This node and the nodes its RPC links reach now. */
  const nodesUp = async (): Promise<Set<number>> => {
    const links = [...(await supervisor.rpcPeers()).flat(), ...(await supervisor.rpcNodes()).flat()];
    return new Set([identity.nodeId, ...links.filter((l) => l.state === "connected" && l.nodeId !== null).map((l) => l.nodeId!)]);
  };
  /** What shard 0 knows of every Raft group's leader (each shard hears every report). */
  const leaderMap = async () => new Map(await supervisor.leaders());
  /** Redpanda's `maintenance_status` of each node, from what shard 0 knows of the leaders. */
  const maintenanceStatuses = async (nodes: number[]) => {
    const leaders = await leaderMap();
    const up = await nodesUp();
    const view = leadershipView(controller.table, (group) => leaders.get(group), (node) => up.has(node));
    return new Map(nodes.map((node) => [node, maintenanceStatus(view, node, controller.table.inMaintenance(node))]));
  };
  const backend: AdminBackend = {
    // In a cluster, ready once registered: the node has then applied the controller's log up to its own record.
    isReady: () => supervisor.readyShards === shardCount && registered,
    shardStats: () => supervisor.stats(),
    partitions: () => supervisor.partitionDetails(),
    partition: async (topic, partition) => {
      const owner = controller.table.ownerOf(topic, partition);
      if (owner === undefined) return null;
      return (await supervisor.partitionDetails([owner])).find((p) => p.topic === topic && p.partition === partition) ?? null;
    },
    movePartition: (topic, partition, shard) => (router ? moveLocalReplica(topic, partition, shard) : controller.movePartition(topic, partition, shard)),
    rebalanceCores: async () => {
      if (!router) return controller.rebalanceCores();
      const planned = planReplicaCoreBalance(controller.table, identity.nodeId, shardCount);
      if (planned.length === 0) return [];
      const outcomes = await moveReplicas(planned.map((m) => ({ topic: m.topic, partition: m.partition, replicas: withLocalCore(m.topic, m.partition, m.to) })));
      return planned.filter((_, i) => outcomes[i]!.errorCode === ErrorCode.NONE);
    },
    userNames: () => [...controller.table.users()].map((u) => u.name),
    alterUsers: (changes) => controllerCalls.alterUsers(changes),
    connections: () => supervisor.connections(),
    cpuProfiles: (waitMs, intervalUs) => supervisor.cpuProfiles(waitMs, intervalUs),
    brokers: async () => {
      const seedPeers = summarizePeers(await supervisor.rpcPeers());
      // In a cluster, nodes that are not seeds (they joined) are listed through the links to them.
      const nodePeers = router ? summarizePeers(await supervisor.rpcNodes()).filter((p) => !seedPeers.some((s) => s.nodeId !== null && s.nodeId === p.nodeId)) : [];
      return {
        self: { nodeId: identity.nodeId, shardCount, version: packageJson.version, rpcAddress: rpc?.advertised ?? null },
        // A node that left the cluster is not listed, though a seed link to it may remain.
        peers: [...seedPeers, ...nodePeers].filter((p) => p.nodeId === null || !controller.table.wasRemoved(p.nodeId)),
        nodes: controller.table.nodes(),
        drainingNodes: controller.table.nodes().filter((n) => controller.table.isDraining(n.id)).map((n) => n.id),
        maintenance: router ? await maintenanceStatuses(controller.table.nodes().map((n) => n.id)) : undefined,
      };
    },
    clusterHealth: async () => {
      if (!router) return { controllerId: identity.nodeId, nodes: [identity.nodeId], nodesDown: [], leaderlessPartitions: [], underReplicatedPartitions: [] };
      const up = await nodesUp();
      const alive = (node: number) => up.has(node);
      const nodes = controller.table.nodes().map((n) => n.id);
      const health = partitionHealth(controller.table, await leaderMap());
      return { controllerId: router.leader, nodes, nodesDown: nodes.filter((n) => !alive(n)), leaderlessPartitions: health.leaderless, underReplicatedPartitions: health.underReplicated };
    },
    replicatedPartition: async (topic, partition) => {
      if (!router || !controller.table.assignment(topic, partition)) return null;
      const local = (await supervisor.replicas()).replicas.find((r) => r.topic === topic && r.partition === partition);
      return describeReplicatedPartition(controller.table, { topic, partition }, await leaderMap(), local);
    },
    moveReplicas: async (topic, partition, replicas) => (await moveReplicas([{ topic, partition, replicas }]))[0]!,
    reconfigurations: async () => reconfigurations(controller.table),
    decommission: (node, active) => {
      const name = active ? "recommissionNode" : "decommissionNode";
      return router ? router.call(name, { node }) : controllerService.servers[name]({ node });
    },
    decommissionProgress: async (node) => (controller.table.node(node) || controller.table.wasRemoved(node) ? decommissionProgress(controller.table, node) : null),
    maintenance: (node, enabled) => (router ? router.call("setMaintenance", { node, enabled }) : controllerService.servers.setMaintenance({ node, enabled })),
    maintenanceStatus: async (node) => (controller.table.node(node) ? (await maintenanceStatuses([node])).get(node)! : null),
    transferLeadership: (group, target) => (router ? supervisor.transferLeadership(group, target) : Promise.resolve("this node is not in a cluster")),
    clusterMetrics: async () => {
      if (!router) return "";
      const { replicas, leadershipChanges, readCounts } = await supervisor.replicas();
      return replicationMetrics(partitionHealth(controller.table, await leaderMap()), replicas, leadershipChanges, readCounts);
    },
  };
  const adminApp = createAdminApp(backend, {
    required: props.admin_api_require_auth,
    superusers: listValue(props.superusers),
    // One credential checked, as PLAIN does: the cost does not grow with how many the user has.
    passwordMatches: (user, password) => {
      const credential = controller.table.user(user)?.credentials[0];
      return credential !== undefined && passwordMatches(credential, password);
    },
  });
  const webConsole = mountConsole(adminApp, backend, consoleListener(listening.kafka).address, packageJson.version);
  const admin = listening.admin.map((spec) => serveAdmin(spec, adminApp.fetch, log));
  const adminAddress = admin[0].address;
  log.info("starting", { version: packageJson.version, dataDir, shards: shardCount, cores: coreCount, io: io.backend, admin: admin.map((a) => describeListener(a.spec, a.address)).join(",") });

  await supervisor.start(
    {
      kafkaListeners: listening.kafka, advertised: listening.kafka[0].advertised, clusterId: identity.clusterId, dataDir, props, logFormat: options.logFormat, io: io.backend,
      nodeId: identity.nodeId, rack: options.rack, rpc, softwareVersion: packageJson.version, joinNodes: joinNodes(dataDir),
      connectionCounts: SharedCounts.create(perAddressCounting(props) ? limits.connectionAddressesMax : 0),
    },
    controller,
    router ? router.servers() : singleNodeServers(controllerService.servers),
    // Relative to this entry point both in the sources and inside the compiled executable.
    new URL("./shard/worker.ts", import.meta.url),
  );
  if (router && rpc) {
    const self: NodeRecord = { id: identity.nodeId, rpc: rpc.advertised, kafka: listening.kafka[0].advertised, shardCount, rack: options.rack };
    // A node that left the cluster (decommissioned) is refused by the others' RPC hello: it stops, saying so.
    let registering = true;
    await Promise.race([registerNode(router, controller, self, identity.clusterId, log).finally(() => (registering = false)), refusedAsRemoved(supervisor, () => !registering)]);
    registered = true;
    await bootstrapUser(process.env.SKUA_BOOTSTRAP_USER, controller.table, controllerCalls, log);
  }
  // The controller leader moves replicas off decommissioned nodes, then onto nodes with too few
  // (partition_autobalancing_mode=node_add), a bounded number at a time.
  let balancing = false;
  const drain = router ? setInterval(() => {
    if (!router.leadsReady || balancing) return;
    balancing = true;
    (async () => {
      await controllerService.drainStep();
      const up = await nodesUp();
      // A drained node leaves the controller group, one change a tick: a voter is replaced by an active
      // learner first (if one is up), the leader hands its leadership on; then it leaves the node list
      // (still a member, it applies that too and says so), and last the group.
      const replacements = controller.table.nodes().filter((n) => up.has(n.id) && !controller.table.isDraining(n.id)).map((n) => n.id);
      // Removed in an earlier tick: the node has had a few heartbeats to learn that its leaving committed.
      const removedEarlier = controller.table.removedNodes();
      for (const node of drainedNodes(controller.table)) {
        if ((await supervisor.controllerLeave(node, replacements, false)) === "ready" && (await controllerService.removeDrainedNode(node))) log.info("a decommissioned node left the cluster", { node });
      }
      for (const node of removedEarlier) await supervisor.controllerLeave(node, replacements, true);
      if (props.partition_autobalancing_mode === "node_add") await controllerService.balanceStep(up);
    })().catch((error: unknown) => {
      if (!(error instanceof NotControllerError)) throw error;
    }).finally(() => (balancing = false));
  }, DRAIN_INTERVAL_MS) : null;
  log.info("ready", { kafka: listening.kafka.map((l) => describeListener(l, l.address)).join(","), shards: shardCount, ...(rpc && { rpc: `${rpc.listen.host}:${rpc.listen.port}`, nodeId: identity.nodeId }) });
  if (options.dev) process.stderr.write(devBanner(listening.kafka[0].address, adminAddress));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    if (drain) clearInterval(drain);
    webConsole.close();
    for (const server of admin) server.stop();
    await supervisor.stop();
    await controller.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** The console's own Kafka client speaks plaintext without a login: the first listener that takes it, else the first. */
function consoleListener(kafka: KafkaListenerSpec[]): KafkaListenerSpec {
  return kafka.find((l) => l.tls === null && l.authentication === "none") ?? kafka[0];
}

function describeListener(spec: { name: string; tls: unknown }, address: HostPort): string {
  return `${spec.name === "" ? "" : `${spec.name}://`}${address.host}:${address.port}${spec.tls ? " (TLS)" : ""}`;
}

function unwildcard(address: HostPort): HostPort {
  const wildcard = address.host === "0.0.0.0" || address.host === "::";
  return { host: wildcard ? hostname() : address.host, port: address.port };
}

/** The internal RPC settings, or null (no listener, a node of one) for a node started without --rpc-addr and --seeds. */
function nodeRpc(options: StartOptions) {
  const rpc = rpcSettings(options);
  if (rpc === null) return null;
  return { listen: rpc.listen, advertised: rpc.advertised ?? unwildcard(rpc.listen), seeds: rpc.seeds };
}

/**
 * A cluster node's id and cluster id, kept in the data dir from the first start. Founders (the
 * seeds) take their position in the seed list as id unless --node-id says otherwise, and derive
 * the cluster id from the seed list, so founders agree on it before they have ever talked. Any
 * other node joins through the seeds once (joinThroughSeeds), which gives it both.
 */
async function clusterIdentity(dataDir: string, options: StartOptions, rpc: { listen: HostPort; advertised: HostPort; seeds: HostPort[] }, kafka: HostPort, shardCount: number, log: ReturnType<typeof logger>): Promise<{ nodeId: number; clusterId: string }> {
  const position = rpc.seeds.findIndex((s) => sameAddress(s, rpc.listen) || sameAddress(s, rpc.advertised));
  const idPath = join(dataDir, "node_id");
  const idFile = join(dataDir, "cluster_id");
  const stored = existsSync(idPath) ? Number(readFileSync(idPath, "utf8").trim()) : null;
  if (options.nodeId !== null && stored !== null && stored !== options.nodeId) throw new Error(`this data dir belongs to node ${stored}, not node ${options.nodeId}`);
  const foundersFile = join(dataDir, "controller", "founders.json");
  const storedClusterId = existsSync(idFile) ? readFileSync(idFile, "utf8").trim() : null;
  // With no seeds, a node founds a cluster of one.
  if (position < 0 && rpc.seeds.length > 0 && !existsSync(foundersFile)) {
    const joined = await joinThroughSeeds(rpc.seeds, { rpc: rpc.advertised, kafka, shardCount, rack: options.rack }, options.nodeId ?? stored, storedClusterId, packageJson.version, log);
    writeDurably(idPath, `${joined.nodeId}\n`);
    writeDurably(idFile, `${joined.clusterId}\n`);
    // The joiner follows the leader that let it in: it is a learner until the group says otherwise.
    mkdirSync(join(dataDir, "controller"), { recursive: true });
    writeDurably(foundersFile, JSON.stringify({ voters: [joined.leader], learners: [joined.nodeId] }));
    writeDurably(join(dataDir, "controller", JOIN_NODES_FILE), JSON.stringify(joined.nodes));
    return { nodeId: joined.nodeId, clusterId: joined.clusterId };
  }
  const nodeId = options.nodeId ?? stored ?? Math.max(position, 0);
  if (stored === null) writeDurably(idPath, `${nodeId}\n`);
  if (!existsSync(idFile)) writeDurably(idFile, `${foundingClusterId(rpc.seeds)}\n`);
  return { nodeId, clusterId: readFileSync(idFile, "utf8").trim() };
}

/** The nodes a joining node was told of when it joined: it links to them before its metadata names them. */
const JOIN_NODES_FILE = "join-nodes.json";

function joinNodes(dataDir: string): NodeRecord[] {
  const path = join(dataDir, "controller", JOIN_NODES_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as NodeRecord[]) : [];
}

/** Writes a small file whole or not at all: a temp file, fsync'ed, renamed over the name. */
function writeDurably(path: string, text: string): void {
  const temp = `${path}.tmp`;
  const fd = openSync(temp, "w");
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** The founders' shared cluster id: a digest of their seed list (the same on each, in any order). */
function foundingClusterId(seeds: HostPort[]): string {
  const hex = new Bun.CryptoHasher("sha256").update(seeds.map((s) => `${s.host}:${s.port}`).sort().join(",")).digest("hex");
  return `skua-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Records this node (addresses, shards) in the controller; retried until the controller has it. */
async function registerNode(router: ControllerRouter, controller: Controller, self: NodeRecord, clusterId: string, log: ReturnType<typeof logger>): Promise<void> {
  for (;;) {
    try {
      const { registered, refusal } = await router.call("registerNode", { node: self, clusterId });
      if (!registered) throw new Error(refusal ?? `the controller is in another cluster than ${clusterId}`);
      if (JSON.stringify(controller.table.node(self.id)) === JSON.stringify(self)) return;
    } catch (error) {
      if (!(error instanceof NotControllerError)) throw error;
      log.warn("could not register with the controller yet; retrying", { error: error.message });
    }
    await Bun.sleep(50); // the leader applied it; this node applies it when its commit arrives
  }
}

/** Rejects once a peer refused this node as one that left the cluster; resolves once `done` (registered). */
async function refusedAsRemoved(supervisor: Supervisor, done: () => boolean): Promise<void> {
  while (!done()) {
    const links = (await supervisor.rpcPeers()).flat();
    const refusal = links.find((l) => l.lastError?.includes("has left the cluster"))?.lastError;
    if (refusal) throw new Error(`${refusal}; it cannot rejoin under that id (start it with an empty data dir to join as a new node)`);
    await Bun.sleep(200); // until registered: one look at the links per interval
  }
}

/** A cluster id made once per data dir and kept. */
function clusterId(dataDir: string): string {
  const path = join(dataDir, "cluster_id");
  if (!existsSync(path)) writeFileSync(path, `skua-${crypto.randomUUID()}\n`);
  return readFileSync(path, "utf8").trim();
}

main(process.argv.slice(2));
