/**
 * The transactional chaos load (`cluster.ts --transactions`), recording into a TxnHistory:
 *   - producers: kafkajs transactional producers (or librdkafka's, `--txn-client librdkafka`:
 *     test/python/rdkafka_txn_chaos.py), one transactional id each. A transaction sends
 *     one record to each of 1–3 random partitions (acks=-1), commits the producer's group offset
 *     in it (`sendOffsets`: txn + 1 on partition 0), then commits, or aborts one in four. A failed
 *     step aborts it if it can; the kafkajs producer is then replaced by a new one with the same
 *     transactional id, whose InitProducerId fences the old one and ends what it left open;
 *   - a read_committed consumer group recording what it is delivered, and its committed offsets sampled;
 * and the end: every transaction resolved (the last stable offset at the high watermark), the
 * read_uncommitted read (skua's client), the read_committed read (kcat, librdkafka), each
 * producer's committed offset (require_stable), and the replicas' disks.
 */
import type { Subprocess } from "bun";
import type { Producer, Transaction } from "kafkajs";
import { join } from "node:path";
import { KafkaClient } from "../../src/client/client.ts";
import { committedOffsets } from "../../src/client/groups.ts";
import { LATEST, listOffsets } from "../../src/client/offsets.ts";
import { groupPartitionOf } from "../../src/group/partitioning.ts";
import { txnPartitionOf } from "../../src/txn/partitioning.ts";
import { pollUntil, REPO_ROOT } from "../helpers/broker.ts";
import type { Cluster } from "../helpers/cluster.ts";
import { kcatConsumeAll } from "../helpers/kcat.ts";
import { linesOf } from "../helpers/lines.ts";
import { settleAndRead, stopAndReadReplicas } from "./final-check.ts";
import { random } from "./nemesis.ts";
import { GROUP, log, TOPIC, type Load, type LoadOptions } from "./run.ts";
import { checkTxns, txnFailures } from "./txn-checker.ts";
import { offsetsGroup, transactionalIdOf, type TxnAttempt, type TxnHistory } from "./txn-history.ts";
import { isTxnPlantKind, plantTxn } from "./txn-plant.ts";
import { bounded, chaosKafka, hostPort, pollCommits, ProducerLoop, startGroup } from "./workload.ts";

const ABORT_SHARE = 0.25;
const PARTITIONS_PER_TXN_MAX = 3;
/** The coordinator aborts a transaction its producer left open after this long. */
const TRANSACTION_TIMEOUT_MS = 20_000;
const RESOLVE_POLL_MS = 250;

export class TxnProducer extends ProducerLoop implements TxnClient {
  private txn = 0;
  private readonly rng: () => number;
  protected override readonly connectBeforeStop = true;
  readonly transactionalId = transactionalIdOf(this.index);

  constructor(bootstrap: string[], private readonly partitions: number, index: number, private readonly history: TxnHistory, seed: number) {
    super(bootstrap, index);
    this.rng = random(seed);
  }

  /** A producer with the logical producer's transactional id: its connect runs InitProducerId. */
  protected newProducer(): Producer {
    return chaosKafka(this.bootstrap, `chaos-txn-producer-${this.index}`).producer({
      transactionalId: this.transactionalId, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false,
      transactionTimeout: TRANSACTION_TIMEOUT_MS,
    });
  }

  /** One transaction, recorded before it starts; false when a step failed (the producer is then replaced). */
  protected async step(producer: Producer): Promise<boolean> {
    const txn = this.txn++;
    const picked = new Set<number>();
    const count = 1 + Math.floor(this.rng() * Math.min(PARTITIONS_PER_TXN_MAX, this.partitions));
    while (picked.size < count) picked.add(Math.floor(this.rng() * this.partitions));
    const attempt: TxnAttempt = {
      producer: this.index, txn, offset: txn + 1, outcome: "aborted",
      records: [...picked].map((partition, n) => ({ value: `t${this.index}.${txn}.${n}`, partition })),
    };
    const abort = this.rng() < ABORT_SHARE;
    this.history.txns.push(attempt);
    let transaction: Transaction | null = null;
    try {
      transaction = await bounded("begin", producer.transaction());
      for (const r of attempt.records) {
        const [meta] = await bounded("send", transaction.send({ topic: TOPIC, acks: -1, timeout: 5000, messages: [{ value: r.value, partition: r.partition }] }));
        if (meta !== undefined && meta.errorCode === 0) r.ackedOffset = Number(meta.baseOffset);
      }
      await bounded("sendOffsets", transaction.sendOffsets({
        consumerGroupId: offsetsGroup(this.index), topics: [{ topic: TOPIC, partitions: [{ partition: 0, offset: String(attempt.offset) }] }],
      }));
      if (abort) {
        await bounded("abort", transaction.abort());
        return true;
      }
      attempt.outcome = "unknown"; // from here on it may commit even if the client hears nothing
      await bounded("commit", transaction.commit());
      attempt.outcome = "committed";
      return true;
    } catch (error) {
      this.lastError = String(error);
      log(`kafkajs producer ${this.index}: transaction ${attempt.txn}: ${this.lastError}`);
      if (attempt.outcome === "aborted" && transaction?.isActive()) await bounded("abort", transaction.abort()).catch(() => {});
      return false;
    }
  }
}

/** What the run needs of a transactional producer, whichever client runs it. */
interface TxnClient {
  readonly transactionalId: string;
  failures: number;
  lastError: string;
  start(): void;
  /** Ends the producer after its current transaction; pushes a problem if it did not end cleanly. */
  stop(problems: string[]): Promise<void>;
}

const PYTHON = "/usr/bin/python3";
const RDKAFKA_SCRIPT = join(REPO_ROOT, "test/python/rdkafka_txn_chaos.py");
const RDKAFKA_STOP_TIMEOUT_MS = 90_000;

type RdkafkaEvent = { begin: number; records: Array<[string, number]> } | { delivered: [string, number, number] } | { commit: number } | { committed: number } | { error: string };

/**
 * librdkafka's transactional producer: one `test/python/rdkafka_txn_chaos.py` process per logical
 * producer (same transactions, ids and offsets as TxnProducer's), its steps read from its stdout.
 */
class RdkafkaTxnProducer implements TxnClient {
  failures = 0;
  lastError = "";
  readonly transactionalId: string;
  private proc: Subprocess<"pipe", "pipe", "pipe"> | null = null;
  private reading: Promise<void> = Promise.resolve();
  private readonly byTxn = new Map<number, TxnAttempt>();
  private readonly byValue = new Map<string, TxnAttempt["records"][number]>();

  constructor(private readonly bootstrap: string[], private readonly partitions: number, readonly index: number, private readonly history: TxnHistory, private readonly seed: number) {
    this.transactionalId = transactionalIdOf(index);
  }

  start(): void {
    const args = [this.bootstrap.join(","), TOPIC, String(this.partitions), String(this.index), String(this.seed), this.transactionalId, offsetsGroup(this.index)];
    this.proc = Bun.spawn([PYTHON, RDKAFKA_SCRIPT, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.reading = this.read(this.proc.stdout);
  }

  async stop(problems: string[]): Promise<void> {
    const proc = this.proc!;
    proc.stdin.end(); // the script stops after its current transaction
    const timer = setTimeout(() => {
      proc.kill("SIGUSR1"); // its Python stacks to stderr, for the problem below
      setTimeout(() => proc.kill("SIGKILL"), 1000);
    }, RDKAFKA_STOP_TIMEOUT_MS);
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text(), this.reading]);
    clearTimeout(timer);
    if (code !== 0) problems.push(`librdkafka producer ${this.index} exited ${code} (last error: ${this.lastError || "none"}): ${stderrTail(stderr)}`);
  }

  private async read(stdout: ReadableStream<Uint8Array>): Promise<void> {
    for await (const line of linesOf(stdout)) this.onEvent(JSON.parse(line) as RdkafkaEvent);
  }

  private onEvent(event: RdkafkaEvent): void {
    if ("begin" in event) {
      const attempt: TxnAttempt = { producer: this.index, txn: event.begin, offset: event.begin + 1, outcome: "aborted", records: event.records.map(([value, partition]) => ({ value, partition })) };
      this.history.txns.push(attempt);
      this.byTxn.set(event.begin, attempt);
      for (const r of attempt.records) this.byValue.set(r.value, r);
    } else if ("delivered" in event) {
      const [value, , offset] = event.delivered;
      this.byValue.get(value)!.ackedOffset = offset;
    } else if ("commit" in event) {
      this.byTxn.get(event.commit)!.outcome = "unknown";
    } else if ("committed" in event) {
      this.byTxn.get(event.committed)!.outcome = "committed";
    } else {
      this.failures++;
      this.lastError = event.error;
      log(`librdkafka producer ${this.index}: ${event.error}`);
    }
  }
}

/** Librdkafka's log lines before the script's Python stacks (all of them with RDKAFKA_DEBUG set, so the last 80), then the stacks. */
function stderrTail(stderr: string): string {
  const stacksAt = stderr.search(/(Current thread|Thread) 0x[0-9a-f]+ \(most recent call first\)/);
  const logs = (stacksAt < 0 ? stderr : stderr.slice(0, stacksAt)).trimEnd().split("\n").slice(-80).join("\n");
  return stacksAt < 0 ? logs : `${logs}\n${stderr.slice(stacksAt)}`;
}

/** Polls until every partition's last stable offset is its high watermark: no transaction is open. */
async function waitResolved(bootstrap: string[], partitions: number, timeoutMs: number): Promise<void> {
  const ids = Array.from({ length: partitions }, (_, i) => i);
  await pollUntil("every transaction resolved", () => withClient(bootstrap, async (client) => {
    const [ends, stable] = await Promise.all([listOffsets(client, TOPIC, ids, LATEST, 0), listOffsets(client, TOPIC, ids, LATEST, 1)]);
    const open = ids.filter((p) => stable.get(p) !== ends.get(p));
    if (open.length > 0) throw new Error(`still open: ${open.map((p) => `p${p} stable ${stable.get(p)} of ${ends.get(p)}`).join(", ")}`);
    return true;
  }), timeoutMs, RESOLVE_POLL_MS);
}

/** Each producer's committed group offset on partition 0 (-1: none), asked with require_stable until every one answers. */
async function readFinalOffsets(bootstrap: string[], producers: number, timeoutMs: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  return pollUntil("every producer's committed offset", () => withClient(bootstrap, async (client) => {
    for (let p = 0; p < producers; p++) {
      if (!out.has(p)) out.set(p, (await committedOffsets(client, offsetsGroup(p), [TOPIC], true)).find((o) => o.partition === 0)?.offset ?? -1);
    }
    return out;
  }), timeoutMs, RESOLVE_POLL_MS);
}

/** `body` with a fresh skua client on `bootstrap`, always closed. */
async function withClient<T>(bootstrap: string[], body: (client: KafkaClient) => Promise<T>): Promise<T> {
  const client = new KafkaClient(bootstrap.map(hostPort), "chaos-txn-offsets");
  try {
    return await body(client);
  } finally {
    client.close();
  }
}

/** Starts the transactional producers and the read_committed group on TOPIC. */
export async function startTxnLoad(cluster: Cluster, o: LoadOptions, partitions: number, clock: () => number): Promise<Load> {
  const history: TxnHistory = { txns: [], committedLog: [], uncommittedLog: [], groupReads: [], commits: [], finalOffsets: new Map(), replicas: [] };
  const producers: TxnClient[] = Array.from({ length: o.producers }, (_, i) => (o.txnClient === "librdkafka" ? new RdkafkaTxnProducer(cluster.bootstrap, partitions, i, history, o.seed * 31 + i) : new TxnProducer(cluster.bootstrap, partitions, i, history, o.seed * 31 + i)));
  for (const producer of producers) producer.start();
  const group = o.group ? await startGroup(cluster.bootstrap, TOPIC, GROUP, o.groupMembers ?? 1, history) : null;
  const commits = o.group ? pollCommits(cluster.bootstrap, TOPIC, GROUP, history, clock) : null;
  const internalRf = Math.min(3, cluster.nodes.length); // what the broker creates its internal topics with
  return {
    async stopProducers(problems) {
      for (const producer of producers) await producer.stop(problems);
      const count = (outcome: TxnAttempt["outcome"]) => history.txns.filter((t) => t.outcome === outcome).length;
      log(`producers stopped: ${history.txns.length} transactions, ${count("committed")} committed, ${count("aborted")} aborted, ${count("unknown")} unknown; ${producers.reduce((n, p) => n + p.failures, 0)} failed`);
      if (count("committed") === 0) problems.push(`no transaction was committed (last errors: ${producers.map((p) => p.lastError).join(" | ")})`);
    },
    async finish(partitions, replicationFactor, settleTimeoutMs, problems) {
      await waitResolved(cluster.bootstrap, partitions, settleTimeoutMs);
      const read = { finalLog: [] as TxnHistory["uncommittedLog"] };
      const state = await settleAndRead(cluster, TOPIC, partitions, replicationFactor, read, settleTimeoutMs, log);
      history.uncommittedLog = read.finalLog;
      const lines = await kcatConsumeAll(cluster.bootstrap, TOPIC, ["-X", "isolation.level=read_committed"], 60_000);
      history.committedLog = lines.map((l) => ({ partition: l.partition, offset: l.offset, key: null, value: l.value }));
      log(`read_committed (kcat): ${history.committedLog.length} records`);
      history.finalOffsets = await readFinalOffsets(cluster.bootstrap, producers.length, settleTimeoutMs);
      await Bun.sleep(1500); // let the group read the last commits and commit what it read
      await commits?.stop(problems);
      await group?.stop(problems);
      problems.push(...(await stopAndReadReplicas(cluster, TOPIC, state, history, log)));
      log(`the group was delivered ${history.groupReads.length} records`);
    },
    plant(kind) {
      if (!isTxnPlantKind(kind)) throw new Error(`--plant with --transactions: unknown kind '${kind}'`);
      return plantTxn(history, kind);
    },
    // Where the coordinators live: the transactional ids' and the groups' partitions (moved with --moves).
    movableInternals: [
      { topic: "__transaction_state", partitions: [...new Set(producers.map((p) => txnPartitionOf(p.transactionalId)))], replicationFactor: internalRf },
      { topic: "__consumer_offsets", partitions: [...new Set([GROUP, ...producers.map((_, i) => offsetsGroup(i))].map(groupPartitionOf))], replicationFactor: internalRf },
    ],
    judge(problems, prefix) {
      const v = checkTxns(history);
      console.log("checked:");
      console.log(`  ${v.transactions} transactions: ${v.committed} committed, ${v.aborted} aborted, ${v.unknown} unknown (${v.unknownVisible} of them visible)`);
      console.log(`  every committed transaction wholly visible under read_committed (${v.visibleRecords} records): lost ${v.lost}, partial ${v.partial}`);
      console.log(`  no aborted record read under read_committed (final read and group reads): aborted reads ${v.abortedReads}`);
      console.log(`  each value once, each read_committed record where read_uncommitted has it: duplicated ${v.duplicated}, dirty reads ${v.dirtyReads}, phantom ${v.phantom}`);
      console.log(`  per producer and partition, visible records in send order: violations ${v.orderViolations}`);
      console.log(`  the group's committed offsets never move backwards, and every record below them was delivered: regressions ${v.commitRegressions}, skipped ${v.skipped}`);
      console.log(`  each producer's committed offset is its last visible transaction's: violations ${v.offsetViolations}`);
      console.log(`  replicas identical on disk up to the committed offset (${v.comparedPartitions} partitions compared): diverged ${v.diverged}; uncommitted tails ${v.uncommittedTails} (allowed)`);
      for (const line of [...v.problems, ...problems]) console.log(`  PROBLEM ${line}`);
      console.log(`${prefix} transactions=${v.transactions} committed=${v.committed} lost=${v.lost} aborted-reads=${v.abortedReads} partial=${v.partial} duplicated=${v.duplicated} diverged=${v.diverged}`);
      return txnFailures(v) === 0 && problems.length === 0 ? 0 : 1;
    },
  };
}
