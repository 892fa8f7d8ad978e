import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { kafkajsRequests, type WireFixture } from "./fixtures/kafkajs.ts";
import { decodeRequestBody, decodeRequestHeader, encodeRequestFrame, encodeResponseFrame } from "./frame.ts";
import type * as m from "./messages/index.ts";
import { Reader } from "./reader.ts";

// kafkajs is CommonJS; its per-version response decoders are what a real client runs on our bytes.
const require = createRequire(import.meta.url);
const kafkajsDecoder = (path: string): { decode: (payload: Buffer) => Promise<any> } =>
  require(`kafkajs/src/protocol/requests/${path}/response.js`);

const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));

/** Decodes a captured frame, checks the header, and proves re-encoding gives the same bytes. */
function decodeFixture<T>(fixture: WireFixture): T {
  const wire = fromHex(fixture.hex);
  const frame = wire.subarray(4);
  expect(new Reader(wire).int32()).toBe(frame.length);
  const header = decodeRequestHeader(frame);
  expect(header.apiKey).toBe(fixture.apiKey);
  expect(header.apiVersion).toBe(fixture.apiVersion);
  expect(header.clientId).toBe("skua-fixture");
  const body = decodeRequestBody(frame, header) as T;
  const again = encodeRequestFrame(header.apiKey, header.apiVersion, header.correlationId, header.clientId, body as object);
  expect(Buffer.from(again).toString("hex")).toBe(fixture.hex);
  return body;
}

/** Our response frame minus int32 size and correlation id: the payload kafkajs hands its decoder. */
function responsePayload(apiKey: number, apiVersion: number, body: object): Buffer {
  const frame = encodeResponseFrame(apiKey, apiVersion, 77, body);
  const r = new Reader(frame);
  expect(r.int32()).toBe(frame.length - 4);
  expect(r.int32()).toBe(77);
  return Buffer.from(frame.subarray(8));
}

describe("kafkajs request bytes decode and re-encode byte for byte", () => {
  test("ApiVersions v2", () => {
    const body = decodeFixture<m.ApiVersionsRequest>(kafkajsRequests.apiVersions);
    expect(body.clientSoftwareName).toBe(""); // not in v2: default
  });

  test("Metadata v6", () => {
    const body = decodeFixture<m.MetadataRequest>(kafkajsRequests.metadata);
    expect(body.topics!.map((t) => t.name)).toEqual(["orders", "payments"]);
    expect(body.allowAutoTopicCreation).toBe(false);
  });

  test("Produce v7 with a record batch, kept as a view", () => {
    const body = decodeFixture<m.ProduceRequest>(kafkajsRequests.produce);
    expect(body.transactionalId).toBeNull();
    expect(body.acks).toBe(-1);
    expect(body.timeoutMs).toBe(30000);
    expect(body.topicData[0]!.name).toBe("orders");
    const partition = body.topicData[0]!.partitionData[0]!;
    expect(partition.index).toBe(1);
    const batch = new Reader(partition.records!);
    expect(batch.int64()).toBe(0); // base offset
    expect(batch.int32()).toBe(partition.records!.length - 12); // batch length
    batch.int32(); // partition leader epoch
    expect(batch.int8()).toBe(2); // magic
  });

  test("Fetch v11", () => {
    const body = decodeFixture<m.FetchRequest>(kafkajsRequests.fetch);
    expect(body.replicaId).toBe(-1);
    expect(body.maxWaitMs).toBe(5000);
    expect(body.maxBytes).toBe(10485760);
    expect(body.isolationLevel).toBe(1);
    expect(body.sessionEpoch).toBe(-1);
    const partitions = body.topics[0]!.partitions;
    expect(body.topics[0]!.topic).toBe("orders");
    expect(partitions.map((p) => [p.partition, p.fetchOffset, p.partitionMaxBytes])).toEqual([[0, 42, 1048576], [1, 7, 1048576]]);
  });

  test("ListOffsets v3", () => {
    const body = decodeFixture<m.ListOffsetsRequest>(kafkajsRequests.listOffsets);
    expect(body.isolationLevel).toBe(1);
    expect(body.topics[0]!.partitions.map((p) => [p.partitionIndex, p.timestamp])).toEqual([[0, -1], [1, -2]]);
  });

  test("CreateTopics v3", () => {
    const body = decodeFixture<m.CreateTopicsRequest>(kafkajsRequests.createTopics);
    const topic = body.topics[0]!;
    expect([topic.name, topic.numPartitions, topic.replicationFactor]).toEqual(["orders", 3, 1]);
    expect(topic.configs).toEqual([{ name: "cleanup.policy", value: "compact" }]);
    expect(body.timeoutMs).toBe(5000);
    expect(body.validateOnly).toBe(false);
  });
});

describe("kafkajs decodes our response bytes", () => {
  test("ApiVersions v2", async () => {
    const payload = responsePayload(18, 2, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 9 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }], throttleTimeMs: 0 });
    const decoded = await kafkajsDecoder("apiVersions/v2").decode(payload);
    expect(decoded.apiVersions).toEqual([{ apiKey: 0, minVersion: 3, maxVersion: 9 }, { apiKey: 18, minVersion: 0, maxVersion: 3 }]);
  });

  test("Metadata v6", async () => {
    const payload = responsePayload(3, 6, {
      brokers: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }],
      clusterId: "skua",
      controllerId: 1,
      topics: [{ errorCode: 0, name: "orders", isInternal: false, partitions: [{ partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1] }] }],
    });
    const decoded = await kafkajsDecoder("metadata/v6").decode(payload);
    expect(decoded.brokers).toEqual([{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }]);
    expect(decoded.clusterId).toBe("skua");
    expect(decoded.topicMetadata[0].topic).toBe("orders");
    expect(decoded.topicMetadata[0].partitionMetadata[0]).toMatchObject({ partitionId: 0, leader: 1, replicas: [1], isr: [1] });
  });

  test("Produce v7", async () => {
    const payload = responsePayload(0, 7, {
      responses: [{ name: "orders", partitionResponses: [{ index: 1, errorCode: 0, baseOffset: 1234567890123, logStartOffset: 0 }] }],
    });
    const decoded = await kafkajsDecoder("produce/v7").decode(payload);
    expect(decoded.topics[0].topicName).toBe("orders");
    expect(decoded.topics[0].partitions[0]).toMatchObject({ partition: 1, errorCode: 0, baseOffset: "1234567890123", logAppendTime: "-1" });
  });

  test("Fetch v11 carrying kafkajs's own record batch", async () => {
    const produce = decodeFixture<m.ProduceRequest>(kafkajsRequests.produce);
    const records = produce.topicData[0]!.partitionData[0]!.records;
    const payload = responsePayload(1, 11, {
      responses: [{ topic: "orders", partitions: [{ partitionIndex: 1, highWatermark: 2, lastStableOffset: 2, logStartOffset: 0, abortedTransactions: null, records }] }],
    });
    const decoded = await kafkajsDecoder("fetch/v11").decode(payload);
    const partition = decoded.responses[0].partitions[0];
    expect(partition.highWatermark).toBe("2");
    expect(partition.messages.map((msg: any) => [msg.key?.toString() ?? null, msg.value.toString(), msg.offset])).toEqual([
      ["k1", "hello", "0"],
      [null, "world", "1"],
    ]);
  });

  test("ListOffsets v3", async () => {
    const payload = responsePayload(2, 3, { topics: [{ name: "orders", partitions: [{ partitionIndex: 0, timestamp: -1, offset: 42 }] }] });
    const decoded = await kafkajsDecoder("listOffsets/v3").decode(payload);
    expect(decoded.responses[0].partitions[0]).toMatchObject({ partition: 0, errorCode: 0, offset: "42" });
  });

  test("CreateTopics v3", async () => {
    const payload = responsePayload(19, 3, { topics: [{ name: "orders", errorCode: 36, errorMessage: "exists" }] });
    const decoded = await kafkajsDecoder("createTopics/v3").decode(payload);
    expect(decoded.topicErrors).toEqual([{ topic: "orders", errorCode: 36, errorMessage: "exists" }]);
  });
});
