import { expect, test } from "bun:test";
import { KafkaError, TransportError } from "../../client/errors.ts";
import { RecordDecodeError } from "../../client/records.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { LiveFeed } from "./live.ts";
import { createConsoleApp, type KafkaReads } from "./routes.ts";

const partitions = async () => [
  { topic: "t", partition: 0, shard: 1, highWatermark: 10, logStartOffset: 2, sizeBytes: 100 },
  { topic: "t", partition: 1, shard: 0, highWatermark: 5, logStartOffset: 0, sizeBytes: 50 },
];

const notUsed = async (): Promise<never> => {
  throw new Error("not used by this test");
};

function kafka(overrides: Partial<KafkaReads> = {}): KafkaReads {
  return {
    cluster: notUsed, topic: notUsed, createTopic: notUsed, deleteTopic: notUsed, browse: notUsed,
    listGroups: async () => [], describeGroup: notUsed, committedOffsets: async () => [],
    topics: async () => [{ name: "t", partitions: 2, internal: false }],
    ...overrides,
  };
}

function app(reads = kafka()) {
  const live = new LiveFeed({ shardStats: async () => [], partitions, listGroups: reads.listGroups, committedOffsets: reads.committedOffsets });
  return { app: createConsoleApp({ partitions, kafka: reads, live, version: "0.0.0" }), live };
}

test("the page and its modules are served with their content types; unknown files are 404", async () => {
  const { app: console } = app();
  const page = await console.request("/");
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(await page.text()).toContain('<script type="module" src="/console/app.js">');
  for (const file of ["app.js", "chart.js", "dom.js", "format.js", "groups.js", "overview.js", "topics.js", "messages.js"]) {
    const response = await console.request(`/console/${file}`);
    expect(response.headers.get("content-type")).toContain("javascript");
    // Every relative import a module makes is a file the server has.
    for (const [, imported] of (await response.text()).matchAll(/from "\.\/([\w-]+\.js)"/g)) expect((await console.request(`/console/${imported}`)).status).toBe(200);
  }
  expect((await console.request("/console/console.css")).headers.get("content-type")).toContain("text/css");
  expect((await console.request("/console/missing.js")).status).toBe(404);
});

test("topics join the Kafka view with the shards' partitions", async () => {
  const response = await app().app.request("/v1/console/topics");
  expect(await response.json()).toEqual([{ name: "t", partitions: 2, internal: false, sizeBytes: 150, messages: 13, shards: [0, 1] }]);
});

test("bad create and browse requests are 400 with a message; Kafka errors map to 404, 502 and 422", async () => {
  const created: string[] = [];
  const reads = kafka({
    createTopic: async (name) => (created.push(name), { name, errorCode: 0, status: "OK", message: null }),
    browse: async (topic) => {
      if (topic === "gone") throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "topic 'gone'");
      if (topic === "zstd") throw new RecordDecodeError("batch at offset 0 is compressed with zstd, which this client does not read yet");
      throw new TransportError("connection refused");
    },
  });
  const { app: console } = app(reads);
  const post = (body: unknown) => console.request("/v1/console/topics", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  expect((await post({ name: "" })).status).toBe(400);
  expect((await post({ name: "x", partitions: 0 })).status).toBe(400);
  expect((await post({ name: "x", configs: { "retention.ms": 5 } })).status).toBe(400);
  expect((await post({ name: "ok", partitions: 3 })).status).toBe(201);
  expect(created).toEqual(["ok"]);
  const bad = await console.request("/v1/console/topics/t/messages?limit=1000");
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { message: string }).message).toContain("limit");
  expect((await console.request("/v1/console/topics/t/messages?offset=abc")).status).toBe(400);
  expect((await console.request("/v1/console/topics/gone/messages")).status).toBe(404);
  expect((await console.request("/v1/console/topics/t/messages")).status).toBe(502);
  const unreadable = await console.request("/v1/console/topics/zstd/messages");
  expect(unreadable.status).toBe(422);
  expect(((await unreadable.json()) as { message: string }).message).toContain("zstd");
});

test("the event stream opens with the history, then sends ticks", async () => {
  const { app: console, live } = app();
  const response = await console.request("/v1/console/events");
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const reader = response.body!.getReader();
  let text = "";
  while (!text.includes("event: tick")) text += new TextDecoder().decode((await reader.read()).value);
  expect(text.indexOf("event: history")).toBe(0);
  expect(live.listenerCount).toBe(1);
  await reader.cancel();
  live.close();
});
