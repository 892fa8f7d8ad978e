/**
 * What authorization costs, in one run: bench/loadgen.ts (produce acks=-1, acks=1, fetch) against
 * dist/skua on one data dir holding --acls ACLs, restarted with kafka_enable_authorization=false
 * and =true in turn (alternating which goes first each round, so drift of this shared machine hits
 * both alike). The loadgen connects without SASL, so it is User:ANONYMOUS: its ACLs are an ALLOW
 * ALL on the prefix "loadgen-" (its topics) and CREATE on the cluster, among decoys for other
 * users on other topics (literal and prefixed) that every check must look past.
 *   bun run bench/authz.ts [--seconds 5] [--rounds 2] [--acls 100] [--smp 2]
 * Prints every run and the medians with on ÷ off.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { ACL_OPERATIONS, ACL_PATTERN_TYPES, ACL_PERMISSIONS, ACL_RESOURCE_TYPES, CLUSTER_NAME, createAcls, type Acl } from "../src/client/acls.ts";
import { KafkaClient } from "../src/client/client.ts";
import { startBroker } from "./lib/broker.ts";

const REPO_DIR = join(dirname(import.meta.path), "..");
const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, rounds: { type: "string", default: "2" }, acls: { type: "string", default: "100" }, smp: { type: "string", default: "2" } } });
const [seconds, rounds, aclCount, smp] = [values.seconds, Number(values.rounds), Number(values.acls), Number(values.smp)];
const PHASES = ["produce acks=-1", "produce acks=1", "fetch from offset 0"] as const;

function benchAcls(count: number): Acl[] {
  const allow = { host: "*", permission: ACL_PERMISSIONS.allow, principal: "User:ANONYMOUS" };
  const own: Acl[] = [
    { ...allow, resourceType: ACL_RESOURCE_TYPES.topic, resourceName: "loadgen-", patternType: ACL_PATTERN_TYPES.prefixed, operation: ACL_OPERATIONS.all },
    { ...allow, resourceType: ACL_RESOURCE_TYPES.cluster, resourceName: CLUSTER_NAME, patternType: ACL_PATTERN_TYPES.literal, operation: ACL_OPERATIONS.create },
  ];
  const decoys = Array.from({ length: Math.max(0, count - own.length) }, (_, i): Acl => ({
    ...allow, principal: `User:decoy-${i}`, resourceType: ACL_RESOURCE_TYPES.topic, resourceName: i % 2 === 0 ? `decoy-topic-${i}` : `decoy-${i}-`,
    patternType: i % 2 === 0 ? ACL_PATTERN_TYPES.literal : ACL_PATTERN_TYPES.prefixed, operation: i % 3 === 0 ? ACL_OPERATIONS.read : ACL_OPERATIONS.write,
  }));
  return [...own, ...decoys];
}

const dataDir = mkdtempSync(join(tmpdir(), "skua-authz-"));
{
  // ACLs are created with authorization off (nobody could create the first one otherwise without SASL).
  await using broker = await startBroker(REPO_DIR, smp, tmpdir(), [], dataDir);
  const client = new KafkaClient([{ host: broker.host, port: broker.kafkaPort }], "bench-authz");
  const outcomes = await createAcls(client, benchAcls(aclCount));
  client.close();
  const failed = outcomes.filter((o) => o.status !== "OK");
  if (failed.length > 0) throw new Error(`CreateAcls failed: ${failed[0]!.status} ${failed[0]!.message}`);
}

interface Run { round: number; authorization: boolean; mbps: number[]; cpu: string[]; errors: string[] }
const runs: Run[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const authorization of round % 2 === 1 ? [false, true] : [true, false]) {
    await using broker = await startBroker(REPO_DIR, smp, tmpdir(), ["--set", `kafka_enable_authorization=${authorization}`], dataDir);
    const out = Bun.spawnSync([process.execPath, "run", join(REPO_DIR, "bench/loadgen.ts"), "--brokers", `${broker.host}:${broker.kafkaPort}`, "--broker-pid", String(broker.pid), "--seconds", seconds], { stderr: "inherit" }).stdout.toString();
    const sections = PHASES.map((phase) => out.slice(out.indexOf(`${phase}:`)));
    const run: Run = {
      round, authorization,
      mbps: sections.map((s) => Number(s.match(/throughput +([0-9.]+) MB\/s/)?.[1])),
      cpu: sections.map((s) => s.match(/broker ([0-9]+%)/)?.[1] ?? "?"),
      errors: sections.map((s) => s.match(/errors +(.*)/)?.[1] ?? "?"),
    };
    runs.push(run);
    console.log(`round ${round}, authorization ${authorization ? "on" : "off"}: ${run.mbps.map((m, i) => `${PHASES[i]} ${m} MB/s`).join(", ")}`);
  }
}
rmSync(dataDir, { recursive: true, force: true });

console.log(`\n${aclCount} ACLs, --smp ${smp}, ${seconds} s per phase, loadgen defaults otherwise\n`);
console.log(`| round | authorization | ${PHASES.map((p) => `${p} MB/s (broker CPU)`).join(" | ")} | errors |`);
console.log(`| --- | --- | ${PHASES.map(() => "---").join(" | ")} | --- |`);
for (const r of runs) {
  console.log(`| ${r.round} | ${r.authorization ? "on" : "off"} | ${r.mbps.map((m, i) => `${m.toFixed(1)} (${r.cpu[i]})`).join(" | ")} | ${[...new Set(r.errors)].join(", ")} |`);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(`\nMedians over ${rounds} rounds:\n`);
console.log("| phase | off MB/s | on MB/s | on ÷ off |");
console.log("| --- | --- | --- | --- |");
PHASES.forEach((phase, i) => {
  const [off, on] = [false, true].map((a) => median(runs.filter((r) => r.authorization === a).map((r) => r.mbps[i]!)));
  console.log(`| ${phase} | ${off!.toFixed(1)} | ${on!.toFixed(1)} | ${(on! / off!).toFixed(2)} |`);
});
