/**
 * Jepsen-style chaos run against a real skua cluster on this machine:
 *   bun run test/chaos/cluster.ts --seed N --nodes 3|5 --cycles C
 * Starts the nodes (network namespaces when root, see test/helpers/cluster.ts), creates a topic
 * (6 partitions, RF = min(3, nodes)), runs idempotent acks=-1 producers and a consumer group while
 * the nemesis (nemesis.ts) applies one seeded fault per cycle; then heals everything, waits until
 * every partition has a leader and a full in-sync set, reads every partition, stops the nodes
 * cleanly and compares each partition's batches on every replica's disk. `--moves` also moves
 * random partitions' replicas between nodes meanwhile (mover.ts). checker.ts gives the
 * verdict; the last line is
 *   chaos: seed=N nodes=3 cycles=C acked=A lost=L duplicated=D diverged=V
 * and the exit code is 1 if anything failed. `--plant KIND` corrupts the history before the check
 * (plant.ts) to show the checker reports it. `--transactions` runs transactional producers and a
 * read_committed group instead (txn-workload.ts, judged by txn-checker.ts, planted by txn-plant.ts):
 *   chaos: seed=N nodes=3 cycles=C transactions=T committed=K lost=L aborted-reads=A partial=P duplicated=D diverged=V
 */
import { parseArgs } from "node:util";
import { startCluster, type Cluster, type ClusterNetwork } from "../helpers/cluster.ts";
import { describeFault, heal, inject, schedule, type Fault, type FaultKind } from "./nemesis.ts";
import { isPlantKind, PLANTS } from "./plant.ts";
import { startMover } from "./mover.ts";
import { createTopic, dumpNodes, dumpWarnings, helpExit, intOption, log, networkOption, startLoad, TOPIC } from "./run.ts";
import { isTxnPlantKind, TXN_PLANTS } from "./txn-plant.ts";
import { startTxnLoad } from "./txn-workload.ts";

const usage = `Usage: bun run test/chaos/cluster.ts [options]
  --seed N                 the nemesis schedule and the producers' keys (default: random, printed)
  --nodes N                nodes, at least 3 (default 3)
  --cycles N               fault cycles (default 10)
  --partitions N           partitions of the topic (default 6)
  --replication-factor N   default min(3, nodes)
  --producers N            concurrent idempotent (or transactional) producers (default 3)
  --transactions           transactional producers (commit and abort over 1-3 partitions, with group offsets) and a read_committed group
  --txn-client kafkajs|librdkafka   the transactional producers' client (default kafkajs; librdkafka: Debian's python3-confluent-kafka)
  --keys N                 distinct keys (default 8)
  --smp N                  shards per node (default 1)
  --network netns|loopback default netns when root (loopback: no isolate/cut faults)
  --faults K,...           kinds to draw from: kill,pause,isolate,restart,cut (default: all the network allows)
  --election-timeout-ms N  the brokers' election timeout, sizes the faults (default 1500)
  --settle-timeout-ms N    after healing, how long partitions may take to get leaders and full ISRs (default 60000)
  --plant KIND             corrupt the history before checking: ${Object.keys(PLANTS).join(", ")}
                           (with --transactions: ${Object.keys(TXN_PLANTS).join(", ")})
  --no-group               no consumer group (and no group checks): to look at the partitions alone
  --group-members N        members of the consumer group (default 1; more rebalance under the faults)
  --moves                  also move random partitions' replicas between nodes while the faults run (mover.ts; use --nodes 4+)
  --keep-data              keep the nodes' data dirs (the path is printed)`;

interface Options {
  seed: number; nodes: number; cycles: number; partitions: number; replicationFactor: number;
  producers: number; keys: number; smp: number; network: ClusterNetwork | undefined; faults: FaultKind[] | null;
  electionTimeoutMs: number; settleTimeoutMs: number; plant: string | null; keepData: boolean; group: boolean; groupMembers: number; moves: boolean;
  transactions: boolean;
  txnClient: "kafkajs" | "librdkafka";
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: "string" }, nodes: { type: "string" }, cycles: { type: "string" }, partitions: { type: "string" },
      "replication-factor": { type: "string" }, producers: { type: "string" }, keys: { type: "string" }, smp: { type: "string" },
      network: { type: "string" }, faults: { type: "string" }, "election-timeout-ms": { type: "string" },
      "settle-timeout-ms": { type: "string" }, plant: { type: "string" }, "keep-data": { type: "boolean" }, "no-group": { type: "boolean" }, "group-members": { type: "string" }, moves: { type: "boolean" }, transactions: { type: "boolean" }, "txn-client": { type: "string" }, help: { type: "boolean" },
    },
  });
  helpExit(values.help, usage);
  const int = intOption;
  const nodes = int("nodes", values.nodes, 3, 3);
  const network = networkOption(values.network);
  const kinds = ["kill", "pause", "isolate", "restart", "cut"];
  const faults = values.faults === undefined ? null : values.faults.split(",").map((k) => {
    if (!kinds.includes(k)) throw new Error(`--faults: unknown kind '${k}' (kinds: ${kinds.join(", ")})`);
    return k as FaultKind;
  });
  const transactions = values.transactions ?? false;
  const txnClient = values["txn-client"] ?? "kafkajs";
  if (txnClient !== "kafkajs" && txnClient !== "librdkafka") throw new Error(`--txn-client must be kafkajs or librdkafka, got '${txnClient}'`);
  const plants = Object.keys(transactions ? TXN_PLANTS : PLANTS);
  if (values.plant !== undefined && !(transactions ? isTxnPlantKind(values.plant) : isPlantKind(values.plant))) throw new Error(`--plant must be one of ${plants.join(", ")}`);
  return {
    seed: int("seed", values.seed, Math.floor(Math.random() * 1_000_000), 0), nodes, cycles: int("cycles", values.cycles, 10, 0),
    partitions: int("partitions", values.partitions, 6), replicationFactor: int("replication-factor", values["replication-factor"], Math.min(3, nodes)),
    producers: int("producers", values.producers, 3), keys: int("keys", values.keys, 8), smp: int("smp", values.smp, 1),
    network: network, faults, electionTimeoutMs: int("election-timeout-ms", values["election-timeout-ms"], 1500),
    settleTimeoutMs: int("settle-timeout-ms", values["settle-timeout-ms"], 60_000), plant: values.plant ?? null,
    keepData: values["keep-data"] ?? false, group: !(values["no-group"] ?? false),
    groupMembers: int("group-members", values["group-members"], 1), moves: values.moves ?? false, transactions, txnClient,
  };
}

/** Runs the faults one after another, healing each before the next. */
async function runNemesis(cluster: Cluster, faults: Fault[]): Promise<void> {
  for (const fault of faults) {
    log(`nemesis: ${describeFault(fault)}`);
    await inject(cluster, fault);
    await Bun.sleep(fault.durationMs);
    await heal(cluster, fault);
    log(`nemesis: healed cycle ${fault.cycle}`);
    await Bun.sleep(fault.quietMs);
  }
}

async function main(): Promise<number> {
  const options = parseOptions(Bun.argv.slice(2));
  const problems: string[] = [];
  const startedMs = Date.now();
  const clock = () => Date.now() - startedMs;
  await using cluster = await startCluster({ nodes: options.nodes, smp: options.smp, network: options.network, keepData: options.keepData });
  try {
    const code = await run(cluster, options, problems, clock);
    if (code !== 0) dumpWarnings(cluster); // what the brokers warned of, for the failed check
    return code;
  } catch (error) {
    dumpNodes(cluster);
    throw error;
  }
}

async function run(cluster: Cluster, options: Options, problems: string[], clock: () => number): Promise<number> {
  const kinds = options.faults ?? (cluster.network === "netns" ? ["kill", "pause", "isolate", "restart", "cut"] : ["kill", "pause", "restart"]);
  const faults = schedule({ seed: options.seed, cycles: options.cycles, nodeIds: cluster.nodes.map((n) => n.id), kinds, electionTimeoutMs: options.electionTimeoutMs });
  log(`seed ${options.seed}: ${options.nodes} nodes on ${cluster.network} (${cluster.nodes.map((n) => `${n.id}=${n.kafkaAddress}`).join(" ")}), schedule:`);
  for (const fault of faults) console.log(`  ${describeFault(fault)}`);

  await createTopic(cluster, options.partitions, options.replicationFactor);
  log(`topic ${TOPIC}: ${options.partitions} partitions, RF ${options.replicationFactor}`);
  const load = options.transactions ? await startTxnLoad(cluster, options, options.partitions, clock) : await startLoad(cluster, options, clock);
  await Bun.sleep(2000); // some traffic before the first fault

  const mover = options.moves
    ? startMover(cluster, { seed: options.seed * 7 + 1, targets: [{ topic: TOPIC, partitions: Array.from({ length: options.partitions }, (_, i) => i), replicationFactor: options.replicationFactor }, ...load.movableInternals], smp: options.smp, intervalMs: 2 * options.electionTimeoutMs, log })
    : null;
  await runNemesis(cluster, faults);
  if (mover) {
    const { asked, accepted } = await mover.stop();
    log(`mover: ${accepted} of ${asked} moves accepted`);
    if (asked > 0 && accepted === 0) problems.push("--moves: no move was accepted");
  }
  log("healing everything");
  await cluster.healAll();
  await Bun.sleep(2000); // traffic on the healed cluster
  await load.stopProducers(problems);
  await load.finish(options.partitions, options.replicationFactor, options.settleTimeoutMs, problems);

  if (options.plant !== null) {
    const what = load.plant(options.plant);
    log(`planted ${options.plant}: ${what ?? "nothing to corrupt"}`);
    if (what === null) problems.push(`--plant ${options.plant} found nothing to corrupt`);
  }
  return load.judge(problems, `chaos: seed=${options.seed} nodes=${options.nodes} cycles=${options.cycles}`);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`chaos: FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  },
);
