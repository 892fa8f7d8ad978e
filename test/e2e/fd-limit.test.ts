/**
 * At the open-file limit (the broker started under `ulimit -n 256`) new connections are refused
 * instead of the accept loop spinning the cores: each shard logs it once, a client connected
 * before keeps being served, and once connections close new ones are accepted again.
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import type { Socket } from "bun";
import { readFileSync } from "node:fs";
import { pollUntil, startBroker } from "../helpers/broker.ts";
import { metadata, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

const OPEN_FILES_LIMIT = 256;
const CONNECTIONS = 400; // past the limit
const CPU_SAMPLE_MS = 2000;
const CLOCK_TICKS_PER_S = 100;

/** CPU seconds the process used so far (utime + stime from /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

test("at the open-file limit the broker refuses new connections, idles, serves the open ones, and accepts again later", async () => {
  await using broker = await startBroker({ smp: 2, openFilesLimit: OPEN_FILES_LIMIT });
  const early = await WireClient.connect(broker.kafkaPort);
  const flood: Array<Socket<undefined>> = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    try {
      flood.push(await Bun.connect<undefined>({ hostname: "127.0.0.1", port: broker.kafkaPort, socket: { data() {}, error() {} } }));
    } catch {
      // refused: what the test is about
    }
  }
  await pollUntil("the shards to stop accepting", async () => ((broker.stderr().match(/not accepting Kafka connections/g) ?? []).length === 2 ? true : undefined));
  const before = cpuSeconds(broker.pid);
  await Bun.sleep(CPU_SAMPLE_MS); // CPU is measured over a fixed time
  const used = cpuSeconds(broker.pid) - before;
  console.log(`at the fd limit: ${used.toFixed(2)} CPU s in ${CPU_SAMPLE_MS / 1000} s`);
  expect(used).toBeLessThan(0.3 * (CPU_SAMPLE_MS / 1000));
  expect((await metadata(early, null)).brokers).toHaveLength(1); // the connection from before is served
  expect((broker.stderr().match(/not accepting Kafka connections/g) ?? []).length).toBe(2); // once per shard

  for (const socket of flood) socket.end();
  await pollUntil("the shards to accept again", async () => ((broker.stderr().match(/accepting Kafka connections again/g) ?? []).length === 2 ? true : undefined));
  const late = await WireClient.connect(broker.kafkaPort);
  expect((await metadata(late, null)).brokers).toHaveLength(1);
  late.close();
  early.close();
});
