/** The broker refuses partitions beyond topic_partitions_per_shard with a clear error, not by running out of memory. */
import { expect, setDefaultTimeout, test } from "bun:test";
import { ErrorCode } from "../../src/protocol/errors.ts";
import { startBroker } from "../helpers/broker.ts";
import { ApiKey, WireClient } from "../helpers/wire.ts";

setDefaultTimeout(60_000);

test("partitions past the per-shard limit get INVALID_PARTITIONS with a message", async () => {
  await using broker = await startBroker({ smp: 2, sets: { topic_partitions_per_shard: 4 } });
  const client = await WireClient.connect(broker.kafkaPort);
  const create = (name: string, numPartitions: number) =>
    client.request<any>(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect((await create("fits", 8)).topics[0].errorCode).toBe(ErrorCode.NONE);
  const refused = (await create("one-too-many", 1)).topics[0];
  expect(refused.errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  expect(refused.errorMessage).toContain("topic_partitions_per_shard (4)");
  expect((await create("fits-again", 0)).topics[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  client.close();
});
