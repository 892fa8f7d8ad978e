/**
 * InitProducerId through the compiled broker with raw frames: ids are unique, and each shard's
 * pool lives as long as the shard, so the controller hands out one block per 1000 ids a shard
 * gives, not one per request. The controller's durable counter (`controller/producer_ids`, the
 * next id never handed out) shows how many blocks were taken.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { InitProducerIdResponse } from "../../src/protocol/messages/index.ts";
import { startBroker } from "../helpers/broker.ts";
import { WireClient } from "../helpers/wire.ts";

const INIT_PRODUCER_ID = 22;
const BLOCK_SIZE = 1000;
const CALLS = 2500;

function nextIdOnDisk(dataDir: string): number {
  const bytes = readFileSync(join(dataDir, "controller", "producer_ids"));
  return bytes.readUInt32BE(4) * 2 ** 32 + bytes.readUInt32BE(8);
}

test("many InitProducerId calls get unique ids and take one controller block per 1000 ids per shard", async () => {
  await using broker = await startBroker({ smp: 2 });
  const clients = await Promise.all(Array.from({ length: 4 }, () => WireClient.connect(broker.kafkaPort)));
  const ids: number[] = [];
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = c; i < CALLS; i += clients.length) {
        const r = await client.request<InitProducerIdResponse>(INIT_PRODUCER_ID, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
        expect(r.errorCode).toBe(0);
        expect(r.producerEpoch).toBe(0);
        ids.push(Number(r.producerId));
      }
    }),
  );
  for (const client of clients) client.close();
  expect(new Set(ids).size).toBe(CALLS);
  // Each shard refills only when its block runs out: at most one partly used block per shard.
  const blocks = nextIdOnDisk(broker.dataDir) / BLOCK_SIZE;
  expect(blocks).toBeGreaterThanOrEqual(Math.ceil(CALLS / BLOCK_SIZE));
  expect(blocks).toBeLessThanOrEqual(Math.ceil(CALLS / BLOCK_SIZE) + 2);
  expect(Math.max(...ids)).toBeLessThan(blocks * BLOCK_SIZE);
});
