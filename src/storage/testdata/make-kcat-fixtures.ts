/**
 * Regenerates kcat-<codec>.batch: one record batch per codec as librdkafka (kcat) compresses it,
 * read back raw from a broker. Run from the repo root with dist/skua built and kcat installed:
 *   node_modules/.bin/bun src/storage/testdata/make-kcat-fixtures.ts
 * librdkafka 2.0 compresses with gzip, snappy or lz4 only when the broker's ApiVersions lists
 * Metadata v0 (its feature check for those codecs); while skua advertises no v0, build a binary
 * whose ApiVersions answers minVersion 0 and pass it as SKUA_BIN, or the batches come out uncompressed.
 * Each batch holds the values `fixtureValue(i)` for i < FIXTURE_RECORDS, in order.
 */
import { startBroker } from "../../../test/helpers/broker.ts";
import { createTopic, kafkaClient } from "../../../test/helpers/kafka.ts";
import { kcat } from "../../../test/helpers/kcat.ts";
import { ApiKey, WireClient } from "../../../test/helpers/wire.ts";
import { FIXTURE_RECORDS, fixtureValue } from "./kcat-fixtures.ts";

await using broker = await startBroker({ smp: 1 });
for (const codec of ["gzip", "snappy", "lz4", "zstd"]) {
  const topic = `fixture-${codec}`;
  await createTopic(kafkaClient(broker), topic, 1);
  const lines = Array.from({ length: FIXTURE_RECORDS }, (_, i) => `${fixtureValue(i)}\n`).join("");
  await kcat(["-b", broker.brokers[0]!, "-P", "-t", topic, "-z", codec, "-X", "linger.ms=1000", "-X", "batch.num.messages=100000"], { stdin: lines });
  const wire = await WireClient.connect(broker.kafkaPort);
  const fetched: any = await wire.request(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 24 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  wire.close();
  const records: Uint8Array = fetched.responses[0].partitions[0].records;
  await Bun.write(`${import.meta.dir}/kcat-${codec}.batch`, records);
  console.log(codec, records.length, "bytes");
}
