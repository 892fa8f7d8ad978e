/**
 * InitProducerId per second, with ApiVersions per second on the same broker as the baseline
 * (a request that touches nothing but the codec), for this checkout and optionally another one
 * (`--baseline-repo DIR`, e.g. an export of main), all in one run. Each phase keeps `--depth`
 * requests in flight on each of `--connections` connections for `--seconds`.
 *
 *     bun run bench/producer-ids.ts [--seconds 3] [--smp 1] [--connections 4] [--depth 8] [--baseline-repo DIR]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { encodeRequestFrame } from "../src/protocol/frame.ts";
import { startBroker } from "./lib/broker.ts";
import { KafkaConnection } from "./lib/client.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    smp: { type: "string", default: "1" },
    connections: { type: "string", default: "4" },
    depth: { type: "string", default: "8" },
    "baseline-repo": { type: "string" },
  },
});
const seconds = Number(values.seconds);
const smp = Number(values.smp);
const connectionCount = Number(values.connections);
const depth = Number(values.depth);

const initProducerId = () => encodeRequestFrame(22, 4, 0, "bench", { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
const apiVersions = () => encodeRequestFrame(18, 3, 0, "bench", { clientSoftwareName: "bench", clientSoftwareVersion: "1" });

/** Requests answered per second with `depth` in flight per connection; a failure ends the run. */
async function rate(port: number, frame: () => Uint8Array): Promise<number> {
  const connections = await Promise.all(Array.from({ length: connectionCount }, () => KafkaConnection.open("127.0.0.1", port)));
  let answered = 0;
  let failure: string | null = null;
  const endMs = performance.now() + seconds * 1000;
  await Promise.all(
    connections.map(
      (connection) =>
        new Promise<void>((done) => {
          let inFlight = 0;
          const sendOne = () => {
            inFlight++;
            connection.send(
              frame(),
              () => {
                inFlight--;
                answered++;
                if (performance.now() < endMs && failure === null) sendOne();
                else if (inFlight === 0) done();
              },
              (reason) => {
                failure = reason;
                done();
              },
            );
          };
          for (let i = 0; i < depth; i++) sendOne();
        }),
    ),
  );
  for (const connection of connections) connection.close();
  if (failure !== null) throw new Error(failure);
  return answered / seconds;
}

async function measure(label: string, repoDir: string): Promise<void> {
  await using broker = await startBroker(repoDir, smp);
  const apiVersionsPerSecond = await rate(broker.kafkaPort, apiVersions);
  const initPerSecond = await rate(broker.kafkaPort, initProducerId);
  const ratio = initPerSecond / apiVersionsPerSecond;
  console.log(`${label.padEnd(10)} ApiVersions/s ${apiVersionsPerSecond.toFixed(0).padStart(8)}  InitProducerId/s ${initPerSecond.toFixed(0).padStart(8)}  (${ratio.toFixed(3)}× ApiVersions)`);
}

console.log(`smp ${smp}, ${connectionCount} connections × ${depth} in flight, ${seconds} s per phase`);
if (values["baseline-repo"]) await measure("baseline", resolve(values["baseline-repo"]));
await measure("this", resolve(import.meta.dir, ".."));
