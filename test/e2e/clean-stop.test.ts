/**
 * A clean stop while a consumer's long-poll waits on both shards: the broker exits 0 and logs
 * no error (a fetch still waiting on the other shard is abandoned, which is expected at a stop).
 */
import { expect, setDefaultTimeout, test } from "bun:test";
import { startBroker } from "../helpers/broker.ts";
import { createTopic, kafkaClient } from "../helpers/kafka.ts";
import { spawnKcat } from "../helpers/kcat.ts";

setDefaultTimeout(60_000);

test("SIGTERM with a fetch waiting on both shards: exit 0, no ERROR in the log", async () => {
  await using broker = await startBroker({ smp: 2 });
  await createTopic(kafkaClient(broker), "waiting", 4);
  await using consumer = spawnKcat([
    "-b", broker.brokers[0], "-C", "-t", "waiting", "-o", "beginning", "-q", "-u", "-d", "fetch",
    "-X", "fetch.min.bytes=1000000", "-X", "fetch.wait.max.ms=3000",
  ]);
  // Once every partition is fetchable, one fetch asks for all four: it waits on both shards.
  await consumer.stderrLine(/Fetch 4\/4\/4 toppar/);
  await Bun.sleep(200); // the fetch reaches the broker and starts waiting

  expect(await broker.stop("SIGTERM")).toBe(0);
  const errors = broker.stderr().split("\n").filter((line) => / ERROR /.test(line));
  expect(errors).toEqual([]);
  expect(broker.stderr()).toContain("request abandoned: the broker is stopping");
});
