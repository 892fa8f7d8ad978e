/** `skua`: the command line, and the main thread of a running broker. */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { availableParallelism, hostname } from "node:os";
import { join, resolve } from "node:path";
import packageJson from "../package.json" with { type: "json" };
import { configureLog, logger } from "./base/log.ts";
import { onUncaughtError } from "./base/uncaught.ts";
import { applyNodeConfig, parseArgs, rpcSettings, usage, UsageError, type HostPort, type StartOptions } from "./cli/args.ts";
import { devBanner } from "./cli/dev-banner.ts";
import { cliCommandNames, runCli } from "./cli/run.ts";
import { createAdminApp, type AdminBackend } from "./admin/app.ts";
import { mountConsole } from "./admin/console/console.ts";
import { Controller, NotControllerError } from "./cluster/controller.ts";
import type { NodeRecord } from "./cluster/metadata.ts";
import { ControllerRouter, singleNodeServers } from "./shard/controller-router.ts";
import { sameAddress } from "./rpc/node.ts";
import { ControllerService } from "./cluster/controller-calls.ts";
import { defaultProperties, listValue, parseConfigFile, setProperty, type ClusterProperties } from "./cluster/properties.ts";
import { bootstrapUser } from "./cluster/bootstrap-user.ts";
import { passwordMatches } from "./cluster/users.ts";
import { chooseBackend, openDisk } from "./io/backend.ts";
import { Supervisor } from "./shard/supervisor.ts";
import { summarizePeers } from "./rpc/peers.ts";

const EXIT_USAGE = 2;

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
      startBroker(command.options, loadProperties(command.options)).catch((error: unknown) => {
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

function loadProperties(options: StartOptions): ClusterProperties {
  const props = defaultProperties();
  // Dev mode changes defaults only: the config file and --set still win.
  if (options.dev) setProperty(props, "auto_create_topics_enabled", "true");
  try {
    if (options.configFile) parseConfigFile(applyNodeConfig(options, readFileSync(options.configFile, "utf8")), props);
    for (const [name, value] of options.sets) setProperty(props, name, value);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  return props;
}

async function startBroker(options: StartOptions, props: ClusterProperties): Promise<void> {
  configureLog({ format: options.logFormat });
  const log = logger("main");
  onUncaughtError((error) => {
    log.error("uncaught error; stopping the broker", { error });
    process.exit(1);
  });
  // Forced "uring" where it cannot work throws here: one "could not start" line, exit 1.
  const io = chooseBackend(options.io);
  if (io.fallbackReason !== null) log.warn("io_uring unavailable; using the posix backend", { reason: io.fallbackReason });
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const coreCount = availableParallelism();
  const shardCount = options.smp ?? coreCount;
  const supervisor = new Supervisor(shardCount);
  // The controller's writes are few and small: portable file I/O on the main thread; each shard opens its own backend.
  const controllerDisk = openDisk("posix");
  const controller = await Controller.open({ disk: controllerDisk, dataDir, props, shardCount, shards: supervisor, warn: (m) => log.warn(m) });
  const controllerService = new ControllerService(controller, controllerDisk, dataDir, props);
  await controllerService.removeOrphanedTopicDirs((message) => log.warn(message));
  const rpc = nodeRpc(options);
  const identity = rpc ? clusterIdentity(dataDir, options, rpc) : { nodeId: options.nodeId ?? 0, clusterId: clusterId(dataDir) };
  const router = rpc ? new ControllerRouter(identity.nodeId, controller, controllerService.servers) : null;
  if (router) {
    controller.joinCluster({ propose: (update) => supervisor.controllerPropose(update) }, async (update) => {
      for (const change of update.changes) if (change.kind === "delete_topic") await controllerService.removeTopicData(change.name);
    });
    router.attach({ forward: (node, name, request) => supervisor.controllerForward(node, name, request) });
  }
  /** Controller calls of the admin API and start-up: routed to the controller leader in a cluster. */
  const controllerCalls = {
    alterUsers: (changes: Parameters<typeof controllerService.alterUsers>[0]) => (router ? router.call("alterUsers", { changes }) : controllerService.alterUsers(changes)),
  };
  // A node of one: before the shards start (they load the users then) and before the admin API asks for logins.
  if (!router) await bootstrapUser(process.env.SKUA_BOOTSTRAP_USER, controller.table, controllerService, log);

  const backend: AdminBackend = {
    isReady: () => supervisor.readyShards === shardCount,
    shardStats: () => supervisor.stats(),
    partitions: () => supervisor.partitionDetails(),
    partition: async (topic, partition) => {
      const owner = controller.table.ownerOf(topic, partition);
      if (owner === undefined) return null;
      return (await supervisor.partitionDetails([owner])).find((p) => p.topic === topic && p.partition === partition) ?? null;
    },
    movePartition: (topic, partition, shard) => controller.movePartition(topic, partition, shard),
    rebalanceCores: () => controller.rebalanceCores(),
    userNames: () => [...controller.table.users()].map((u) => u.name),
    alterUsers: (changes) => controllerCalls.alterUsers(changes),
    brokers: async () => ({
      self: { nodeId: identity.nodeId, shardCount, version: packageJson.version, rpcAddress: rpc?.advertised ?? null },
      peers: summarizePeers(await supervisor.rpcPeers()),
    }),
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
  const webConsole = mountConsole(adminApp, backend, options.kafkaAddr, packageJson.version);
  const admin = Bun.serve({ hostname: options.adminAddr.host, port: options.adminAddr.port, fetch: adminApp.fetch });
  log.info("starting", { version: packageJson.version, dataDir, shards: shardCount, cores: coreCount, io: io.backend, admin: `${admin.hostname}:${admin.port}` });

  await supervisor.start(
    {
      kafkaAddr: options.kafkaAddr, advertised: advertisedAddress(options), clusterId: identity.clusterId, dataDir, props, logFormat: options.logFormat, io: io.backend,
      nodeId: identity.nodeId, rpc, softwareVersion: packageJson.version,
    },
    controller,
    router ? router.servers() : singleNodeServers(controllerService.servers),
    coreCount,
    // Relative to this entry point both in the sources and inside the compiled executable.
    new URL("./shard/worker.ts", import.meta.url),
  );
  if (router && rpc) {
    const self: NodeRecord = { id: identity.nodeId, rpc: rpc.advertised, kafka: advertisedAddress(options), shardCount, rack: null };
    await registerNode(router, controller, self, identity.clusterId, log);
    await bootstrapUser(process.env.SKUA_BOOTSTRAP_USER, controller.table, controllerCalls, log);
  }
  log.info("ready", { kafka: `${options.kafkaAddr.host}:${options.kafkaAddr.port}`, shards: shardCount, ...(rpc && { rpc: `${rpc.listen.host}:${rpc.listen.port}`, nodeId: identity.nodeId }) });
  if (options.dev) process.stderr.write(devBanner(options.kafkaAddr, { host: admin.hostname ?? options.adminAddr.host, port: admin.port ?? options.adminAddr.port }));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
    webConsole.close();
    admin.stop(true);
    await supervisor.stop();
    await controller.close();
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Clients are told to connect where we listen (unless told otherwise); a wildcard listener advertises the host name. */
function advertisedAddress(options: StartOptions) {
  return options.advertiseKafkaAddr ?? unwildcard(options.kafkaAddr);
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
 * the cluster id from the seed list, so founders agree on it before they have ever talked.
 */
function clusterIdentity(dataDir: string, options: StartOptions, rpc: { listen: HostPort; advertised: HostPort; seeds: HostPort[] }): { nodeId: number; clusterId: string } {
  const position = rpc.seeds.findIndex((s) => sameAddress(s, rpc.listen) || sameAddress(s, rpc.advertised));
  const idPath = join(dataDir, "node_id");
  const stored = existsSync(idPath) ? Number(readFileSync(idPath, "utf8").trim()) : null;
  const nodeId = options.nodeId ?? stored ?? (position >= 0 ? position : null);
  if (nodeId === null) throw new Error("a node that is not one of its --seeds needs --node-id: joining a running cluster without one is not supported yet");
  if (stored !== null && stored !== nodeId) throw new Error(`this data dir belongs to node ${stored}, not node ${nodeId}`);
  if (stored === null) writeFileSync(idPath, `${nodeId}\n`);
  const idFile = join(dataDir, "cluster_id");
  if (!existsSync(idFile)) writeFileSync(idFile, `${foundingClusterId(rpc.seeds)}\n`);
  return { nodeId, clusterId: readFileSync(idFile, "utf8").trim() };
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
      const { registered } = await router.call("registerNode", { node: self, clusterId });
      if (!registered) throw new Error(`the controller is in another cluster than ${clusterId}`);
      if (JSON.stringify(controller.table.node(self.id)) === JSON.stringify(self)) return;
    } catch (error) {
      if (!(error instanceof NotControllerError)) throw error;
      log.warn("could not register with the controller yet; retrying", { error: error.message });
    }
    await Bun.sleep(50); // the leader applied it; this node applies it when its commit arrives
  }
}

/** A cluster id made once per data dir and kept. */
function clusterId(dataDir: string): string {
  const path = join(dataDir, "cluster_id");
  if (!existsSync(path)) writeFileSync(path, `skua-${crypto.randomUUID()}\n`);
  return readFileSync(path, "utf8").trim();
}

main(process.argv.slice(2));
