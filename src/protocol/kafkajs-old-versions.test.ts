/**
 * The oldest request versions against kafkajs's own per-version encoders and decoders (a second,
 * independent reading of the protocol): what kafkajs writes for Produce v0–2, Fetch v0–3,
 * ListOffsets v0, OffsetCommit v0–1 and JoinGroup v0 decodes here and re-encodes byte for byte;
 * what this codec writes for their answers decodes in kafkajs.
 */
import { describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { decode, encode } from "./codec.ts";
import { apis } from "./messages/index.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

const require = createRequire(import.meta.url);
const kafkajsRequest = (path: string) => require(`kafkajs/src/protocol/requests/${path}/request.js`);
const kafkajsResponse = (path: string): { decode: (payload: Buffer) => Promise<any> } => require(`kafkajs/src/protocol/requests/${path}/response.js`);

/** kafkajs's request body bytes decode to `expected` fields and encode back to the same bytes. */
async function roundTrip(apiKey: number, version: number, kafkajs: { encode: () => Promise<{ buffer: Buffer }> }): Promise<any> {
  const bytes = new Uint8Array((await kafkajs.encode()).buffer);
  const reader = new Reader(bytes);
  const body = decode(apis[apiKey]!.request, version, reader);
  expect(reader.remainingBytes).toBe(0);
  const w = new Writer(64);
  encode(apis[apiKey]!.request, version, body, w);
  expect(Buffer.from(w.finish()).toString("hex")).toBe(Buffer.from(bytes).toString("hex"));
  return body;
}

function responseBytes(apiKey: number, version: number, body: object): Buffer {
  const w = new Writer(64);
  encode(apis[apiKey]!.response, version, body, w);
  return Buffer.from(w.finish());
}

const messages = [{ key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 1_700_000_000_000 }];
const topicData = [{ topic: "t", partitions: [{ partition: 2, messages }] }];

describe("kafkajs's old request bytes decode and re-encode byte for byte", () => {
  for (const version of [0, 1, 2]) {
    test(`Produce v${version} with a message set of magic ${version === 2 ? 1 : 0}`, async () => {
      const body = await roundTrip(0, version, kafkajsRequest(`produce/v${version}`)({ acks: -1, timeout: 1000, topicData }));
      expect(body).toMatchObject({ transactionalId: null, acks: -1, timeoutMs: 1000 });
      const records: Uint8Array = body.topicData[0].partitionData[0].records;
      expect(body.topicData[0].partitionData[0].index).toBe(2);
      expect(records[16]).toBe(version === 2 ? 1 : 0); // the magic byte
    });
  }

  for (const version of [0, 1, 2, 3]) {
    test(`Fetch v${version}`, async () => {
      const body = await roundTrip(1, version, kafkajsRequest(`fetch/v${version}`)({ replicaId: -1, maxWaitTime: 100, minBytes: 1, maxBytes: 5000, topics: [{ topic: "t", partitions: [{ partition: 1, fetchOffset: "42", maxBytes: 777 }] }] }));
      expect(body).toMatchObject({ replicaId: -1, maxWaitMs: 100, minBytes: 1, maxBytes: version >= 3 ? 5000 : 0x7fffffff });
      expect(body.topics[0]).toMatchObject({ topic: "t", partitions: [{ partition: 1, fetchOffset: 42, partitionMaxBytes: 777 }] });
    });
  }

  test("ListOffsets v0 with max_num_offsets", async () => {
    const body = await roundTrip(2, 0, kafkajsRequest("listOffsets/v0")({ replicaId: -1, topics: [{ topic: "t", partitions: [{ partition: 0, timestamp: -2, maxNumOffsets: 3 }] }] }));
    expect(body.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, timestamp: -2, maxNumOffsets: 3 });
  });

  test("OffsetCommit v0 (no generation) and v1 (per-partition commit time)", async () => {
    const v0 = await roundTrip(8, 0, kafkajsRequest("offsetCommit/v0")({ groupId: "g", topics: [{ topic: "t", partitions: [{ partition: 0, offset: "5" }] }] }));
    expect(v0).toMatchObject({ groupId: "g", generationIdOrMemberEpoch: -1, memberId: "" });
    expect(v0.topics[0].partitions[0]).toMatchObject({ committedOffset: 5, committedMetadata: null, commitTimestamp: -1 });
    const v1 = await roundTrip(8, 1, kafkajsRequest("offsetCommit/v1")({ groupId: "g", groupGenerationId: 3, memberId: "m", topics: [{ topic: "t", partitions: [{ partition: 0, offset: "5", timestamp: 1234 }] }] }));
    expect(v1).toMatchObject({ generationIdOrMemberEpoch: 3, memberId: "m" });
    expect(v1.topics[0].partitions[0]).toMatchObject({ committedOffset: 5, commitTimestamp: 1234 });
  });

  test("JoinGroup v0 (no rebalance timeout)", async () => {
    const body = await roundTrip(11, 0, kafkajsRequest("joinGroup/v0")({ groupId: "g", sessionTimeout: 6000, memberId: "", protocolType: "consumer", groupProtocols: [{ name: "range", metadata: Buffer.from([1]) }] }));
    expect(body).toMatchObject({ groupId: "g", sessionTimeoutMs: 6000, rebalanceTimeoutMs: -1, protocolType: "consumer" });
  });
});

describe("kafkajs decodes our answers to old versions", () => {
  test("Produce v0 (no throttle time), v1 (throttle time) and v2 (log append time)", async () => {
    const partitionResponses = [{ index: 2, errorCode: 0, baseOffset: 77, logAppendTimeMs: 1_700_000_000_000 }];
    for (const version of [0, 1, 2]) {
      const decoded = await kafkajsResponse(`produce/v${version}`).decode(responseBytes(0, version, { responses: [{ name: "t", partitionResponses }], throttleTimeMs: 9 }));
      expect(decoded.topics[0].partitions[0]).toMatchObject({ partition: 2, errorCode: 0, offset: "77" });
      if (version >= 1) expect(decoded.throttleTime).toBe(9);
      if (version === 2) expect(decoded.topics[0].partitions[0].timestamp).toBe("1700000000000");
    }
  });

  test("ListOffsets v0: the offsets list", async () => {
    const decoded = await kafkajsResponse("listOffsets/v0").decode(responseBytes(2, 0, { topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [42, 7] }] }] }));
    expect(decoded.responses[0].partitions[0]).toEqual({ partition: 0, errorCode: 0, offsets: ["42", "7"] });
  });

  test("Fetch v0 carrying a magic-0 message set", async () => {
    const set = require("kafkajs/src/protocol/messageSet/index.js")({ messageVersion: 0, entries: messages }).buffer;
    const body = { responses: [{ topic: "t", partitions: [{ partitionIndex: 0, errorCode: 0, highWatermark: 1, records: new Uint8Array(set) }] }] };
    const decoded = await kafkajsResponse("fetch/v0").decode(responseBytes(1, 0, body));
    expect(decoded.responses[0].partitions[0]).toMatchObject({ partition: 0, errorCode: 0, highWatermark: "1" });
    expect(decoded.responses[0].partitions[0].messages.map((m: any) => [m.key.toString(), m.value.toString(), m.magicByte])).toEqual([["k", "v", 0]]);
  });

  test("OffsetCommit v0 and JoinGroup v0", async () => {
    const commit = await kafkajsResponse("offsetCommit/v0").decode(responseBytes(8, 0, { topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 0 }] }] }));
    expect(commit.responses[0]).toEqual({ topic: "t", partitions: [{ partition: 0, errorCode: 0 }] });
    const join = await kafkajsResponse("joinGroup/v0").decode(responseBytes(11, 0, { errorCode: 0, generationId: 1, protocolName: "range", leader: "m", memberId: "m", members: [{ memberId: "m", metadata: new Uint8Array([1]) }] }));
    expect(join).toMatchObject({ errorCode: 0, generationId: 1, groupProtocol: "range", leaderId: "m", memberId: "m" });
  });
});
