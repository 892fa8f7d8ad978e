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
import { Controller } from "./cluster/controller.ts";
import { ControllerService } from "./cluster/controller-calls.ts";
import { defaultProperties, listValue, parseConfigFile, setProperty, type ClusterProperties } from "./cluster/properties.ts";
import { bootstrapUser } from "./cluster/bootstrap-user.ts";
import { passwordMatches } from "./cluster/users.ts";
import { perAddressCounting } from "./cluster/connection-limits.ts";
import { limits } from "./base/limits.ts";
import { SharedCounts } from "./base/shared-counts.ts";
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
  // Before the shards start (they load the users then) and before the admin API asks for logins.
  await bootstrapUser(process.env.SKUA_BOOTSTRAP_USER, controller.table, controllerService, log);

  const rpc = nodeRpc(options, log);
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
    alterUsers: (changes) => controllerService.alterUsers(changes),
    brokers: async () => ({
      self: { nodeId: options.nodeId ?? 0, shardCount, version: packageJson.version, rpcAddress: rpc?.advertised ?? null },
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
      kafkaAddr: options.kafkaAddr, advertised: advertisedAddress(options), clusterId: clusterId(dataDir), dataDir, props, logFormat: options.logFormat, io: io.backend,
      nodeId: options.nodeId ?? 0, rpc, softwareVersion: packageJson.version,
      connectionCounts: SharedCounts.create(perAddressCounting(props) ? limits.connectionAddressesMax : 0),
    },
    controller,
    controllerService,
    coreCount,
    // Relative to this entry point both in the sources and inside the compiled executable.
    new URL("./shard/worker.ts", import.meta.url),
  );
  log.info("ready", { kafka: `${options.kafkaAddr.host}:${options.kafkaAddr.port}`, shards: shardCount, ...(rpc && { rpc: `${rpc.listen.host}:${rpc.listen.port}`, nodeId: options.nodeId ?? 0 }) });
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

/** The internal RPC settings, or null (no listener) for a node started without --rpc-addr and --seeds. */
function nodeRpc(options: StartOptions, log: ReturnType<typeof logger>) {
  const rpc = rpcSettings(options);
  if (rpc === null) return null;
  if (rpc.seeds.length > 0) {
    log.warn("joining a cluster through seeds is not supported yet: this node connects to its seeds and exchanges hellos (node id, cluster id) but shares no metadata and replicates no partitions", {
      seeds: rpc.seeds.map((s) => `${s.host}:${s.port}`).join(","),
    });
  }
  return { listen: rpc.listen, advertised: rpc.advertised ?? unwildcard(rpc.listen), seeds: rpc.seeds };
}

/** A cluster id made once per data dir and kept. */
function clusterId(dataDir: string): string {
  const path = join(dataDir, "cluster_id");
  if (!existsSync(path)) writeFileSync(path, `skua-${crypto.randomUUID()}\n`);
  return readFileSync(path, "utf8").trim();
}

main(process.argv.slice(2));
