/** `skua`: the command line, and the main thread of a running broker. */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
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
import { Controller } from "./cluster/controller.ts";
import { ControllerService } from "./cluster/controller-calls.ts";
import { defaultProperties, listValue, parseConfigFile, setProperty, type ClusterProperties } from "./cluster/properties.ts";
import { bootstrapUser } from "./cluster/bootstrap-user.ts";
import { passwordMatches } from "./cluster/users.ts";
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
    connections: () => supervisor.connections(),
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
  const webConsole = mountConsole(adminApp, backend, consoleListener(listening.kafka).address, packageJson.version);
  const admin = listening.admin.map((spec) => serveAdmin(spec, adminApp.fetch, log));
  const adminAddress = admin[0].address;
  log.info("starting", { version: packageJson.version, dataDir, shards: shardCount, cores: coreCount, io: io.backend, admin: admin.map((a) => describeListener(a.spec, a.address)).join(",") });

  await supervisor.start(
    {
      kafkaListeners: listening.kafka, advertised: listening.kafka[0].advertised, clusterId: clusterId(dataDir), dataDir, props, logFormat: options.logFormat, io: io.backend,
      nodeId: options.nodeId ?? 0, rpc, softwareVersion: packageJson.version,
    },
    controller,
    controllerService,
    coreCount,
    // Relative to this entry point both in the sources and inside the compiled executable.
    new URL("./shard/worker.ts", import.meta.url),
  );
  log.info("ready", { kafka: listening.kafka.map((l) => describeListener(l, l.address)).join(","), shards: shardCount, ...(rpc && { rpc: `${rpc.listen.host}:${rpc.listen.port}`, nodeId: options.nodeId ?? 0 }) });
  if (options.dev) process.stderr.write(devBanner(listening.kafka[0].address, adminAddress));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("stopping", { signal });
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
