import { describe, expect, test } from "bun:test";
import { limits } from "../base/limits.ts";
import { decode, defaultMaker, encode } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import * as messages from "./messages/index.ts";
import { apis } from "./messages/index.ts";
import { Reader } from "./reader.ts";
import { inRange, type FieldDef, type FieldType, type MessageDef } from "./schema.ts";
import { Writer } from "./writer.ts";
import { mulberry32 } from "../base/random.ts";

const SEED = Number(process.env.SEED ?? 0x5eed);
console.log(`codec round-trip seed: ${SEED} (set SEED to reproduce)`);

const INT_MAX: Record<string, number> = {
  int8: 0x7f, int16: 0x7fff, uint16: 0xffff, int32: 0x7fffffff, uint32: 0xffffffff, int64: 2 ** 53 - 1,
};
const SIGNED = new Set(["int8", "int16", "int32", "int64"]);

/** A value for every field present in `version`, none equal to its default (so tagged fields are written). */
function sample(fields: readonly FieldDef[], version: number, flexible: boolean, random: () => number): any {
  const out: any = {};
  for (const field of fields) {
    out[field.key] = inRange(version, field.versions)
      ? sampleType(field.type, field, version, flexible, random)
      : defaultMaker(field)();
  }
  if (flexible) out._unknownTagged = [[1000 + Math.floor(random() * 100), new Uint8Array([7, 8, 9])]];
  return out;
}

function sampleType(type: FieldType, field: FieldDef, version: number, flexible: boolean, random: () => number): any {
  if (typeof type === "string") return samplePrimitive(type, field, random);
  if ("arrayOf" in type) {
    const element = type.arrayOf;
    const one = () =>
      typeof element === "string"
        ? samplePrimitive(element, undefined, random)
        : sample(element.fields, version, flexible, random);
    return [one(), one()];
  }
  return sample(type.fields, version, flexible, random);
}

function samplePrimitive(type: string, field: FieldDef | undefined, random: () => number): any {
  const fallback = field === undefined ? undefined : defaultMaker(field)();
  switch (type) {
    case "bool": return fallback !== true;
    case "float64": return random() * 1e6 - 5e5;
    case "string": return `s${Math.floor(random() * 1e6)}-é✓`;
    case "uuid": return [8, 4, 4, 4, 12].map((n) => hex(n, random)).join("-");
    case "bytes":
    case "records": return Uint8Array.from({ length: 1 + Math.floor(random() * 20) }, () => Math.floor(random() * 256));
  }
  const max = INT_MAX[type]!;
  let v = 1 + Math.floor(random() * max);
  if (SIGNED.has(type) && random() < 0.3) v = -v;
  return v === fallback ? v + 1 : v;
}

function hex(digits: number, random: () => number): string {
  let s = "";
  for (let i = 0; i < digits; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

function encodeBytes(def: MessageDef<any>, version: number, value: any): Uint8Array {
  const w = new Writer(16);
  encode(def, version, value, w);
  return w.finish().slice();
}

const allDefs: MessageDef<any>[] = [
  ...Object.values(apis).flatMap((api) => [api.request, api.response]),
  messages.RequestHeader,
  messages.ResponseHeader,
  messages.ConsumerProtocolSubscription,
  messages.ConsumerProtocolAssignment,
];

for (const def of allDefs) {
  describe(`${def.name} round trip`, () => {
    const random = mulberry32(SEED ^ (def.apiKey * 7919) ^ def.name.length);
    for (let version = def.valid[0]; version <= def.valid[1]; version++) {
      test(`v${version}`, () => {
        const value = sample(def.fields, version, version >= def.flexible, random);
        const bytes = encodeBytes(def, version, value);
        const reader = new Reader(bytes);
        const decoded = decode(def, version, reader);
        expect(reader.remainingBytes).toBe(0);
        expect(decoded).toEqual(value);
        expect(encodeBytes(def, version, decoded)).toEqual(bytes);
      });
    }
  });
}

describe("defaults", () => {
  test("fields a version lacks decode to the spec default; the encoder fills omitted fields", () => {
    const bytes = encodeBytes(messages.ProduceResponse, 0, { responses: [{ name: "t", partitionResponses: [{}] }] });
    const decoded = decode(messages.ProduceResponse, 0, new Reader(bytes));
    expect(decoded.throttleTimeMs).toBe(0);
    const partition = decoded.responses[0]!.partitionResponses[0]!;
    expect(partition.logAppendTimeMs).toBe(-1);
    expect(partition.errorMessage).toBeNull();
    expect(partition.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 });
    expect(partition.recordErrors).toEqual([]);
  });

  test("a missing nullable string writes null; a missing transactional id stays null", () => {
    const bytes = encodeBytes(messages.ProduceRequest, 3, { acks: -1, timeoutMs: 100, topicData: [] });
    expect(decode(messages.ProduceRequest, 3, new Reader(bytes)).transactionalId).toBeNull();
  });

  test("records decode to a view of the frame, not a copy", () => {
    const records = new Uint8Array([1, 2, 3, 4]);
    const value = { acks: 1, timeoutMs: 5, topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] };
    const bytes = encodeBytes(messages.ProduceRequest, 9, value);
    const decoded = decode(messages.ProduceRequest, 9, new Reader(bytes));
    const view = decoded.topicData[0]!.partitionData[0]!.records!;
    expect(view.buffer).toBe(bytes.buffer);
    expect(view).toEqual(records);
  });

  test("an unknown version throws ProtocolError", () => {
    expect(() => decode(messages.ProduceRequest, 99, new Reader(new Uint8Array(8)))).toThrow(ProtocolError);
  });
});

describe("hostile input", () => {
  const cases: Array<[MessageDef<any>, number]> = [
    [messages.ProduceRequest, 3], [messages.ProduceRequest, 9], [messages.FetchRequest, 12],
    [messages.FetchResponse, 4], [messages.FetchResponse, 16], [messages.MetadataResponse, 12],
    [messages.JoinGroupRequest, 7], [messages.ApiVersionsResponse, 3],
    [messages.ProduceRequest, 0], [messages.FetchRequest, 0], [messages.FetchResponse, 2], [messages.ListOffsetsResponse, 0],
    [messages.OffsetCommitRequest, 1], [messages.JoinGroupRequest, 0],
  ];
  for (const [def, version] of cases) {
    test(`every truncation of ${def.name} v${version} throws ProtocolError`, () => {
      const value = sample(def.fields, version, version >= def.flexible, mulberry32(SEED));
      const bytes = encodeBytes(def, version, value);
      for (let n = 0; n < bytes.length; n++) {
        expect(() => decode(def, version, new Reader(bytes.subarray(0, n)))).toThrow(ProtocolError);
      }
    });
  }

  test("a huge array count throws before allocating", () => {
    const w = new Writer();
    w.int16(-1); // transactional id: null
    w.int16(1);
    w.int32(1000);
    w.int32(0x7fffffff); // topic count
    expect(() => decode(messages.ProduceRequest, 3, new Reader(w.finish()))).toThrow(ProtocolError);
  });

  test("a compact count above limits.arrayCountMax throws even with the bytes present", () => {
    const w = new Writer();
    w.uvarint(limits.arrayCountMax + 2); // compact: count + 1
    w.raw(new Uint8Array(limits.arrayCountMax + 8));
    expect(() => new Reader(w.finish()).compactArrayCount(false)).toThrow(ProtocolError);
  });

  test("a negative string length throws", () => {
    const w = new Writer();
    w.int16(-2);
    expect(() => new Reader(w.finish()).nullableString()).toThrow(ProtocolError);
  });
});

describe("Fetch by topic id (v13–17), against layouts written field by field from FetchRequest.json / FetchResponse.json", () => {
  const TOPIC_ID = "5f0c1e2d-3b4a-4c5d-9e8f-7a6b5c4d3e2f";
  const DIR_ID = "a1b2c3d4-e5f6-4789-8abc-def012345678";
  const tagged = (w: Writer, entries: Array<[number, (t: Writer) => void]>) => {
    w.uvarint(entries.length);
    for (const [tag, body] of entries) {
      const t = new Writer(32);
      body(t);
      const bytes = t.finish();
      w.uvarint(tag);
      w.uvarint(bytes.length);
      w.raw(bytes);
    }
  };
  /** One topic entry by id, with one partition to follow (requests and responses alike). */
  const oneTopicById = (w: Writer) => {
    w.compactArrayCount(1);
    w.uuid(TOPIC_ID);
    w.compactArrayCount(1);
  };
  /** A consumer's request: no ReplicaId from v15 (ReplicaState, tag 1, instead), ReplicaDirectoryId (partition tag 0) from v17. */
  function requestBytes(version: number): Uint8Array {
    const w = new Writer(64);
    if (version <= 14) w.int32(-1); // ReplicaId
    w.int32(500); // MaxWaitMs
    w.int32(1); // MinBytes
    w.int32(1 << 20); // MaxBytes
    w.int8(0); // IsolationLevel
    w.int32(77); // SessionId
    w.int32(3); // SessionEpoch
    oneTopicById(w);
    w.int32(2); // Partition
    w.int32(-1); // CurrentLeaderEpoch
    w.int64(42); // FetchOffset
    w.int32(-1); // LastFetchedEpoch
    w.int64(-1); // LogStartOffset
    w.int32(4096); // PartitionMaxBytes
    tagged(w, version >= 17 ? [[0, (t) => t.uuid(DIR_ID)]] : []);
    tagged(w, []); // topic
    w.compactArrayCount(1); // ForgottenTopicsData
    w.uuid(TOPIC_ID);
    w.compactArrayCount(1);
    w.int32(5);
    tagged(w, []);
    w.compactString("rack-a");
    tagged(w, version >= 15 ? [[1, (t) => { t.int32(-1); t.int64(-1); tagged(t, []); }]] : []);
    return w.finish().slice();
  }

  for (const version of [13, 14, 15, 16, 17]) {
    test(`request v${version} decodes topics and forgotten topics by id and encodes back to the same bytes`, () => {
      const bytes = requestBytes(version);
      const reader = new Reader(bytes);
      const decoded = decode(messages.FetchRequest, version, reader);
      expect(reader.remainingBytes).toBe(0);
      expect(decoded).toMatchObject({ replicaId: -1, maxWaitMs: 500, sessionId: 77, sessionEpoch: 3, rackId: "rack-a" });
      expect(decoded.replicaState).toEqual({ replicaId: -1, replicaEpoch: -1 });
      expect(decoded.topics[0]).toMatchObject({ topic: "", topicId: TOPIC_ID });
      expect(decoded.topics[0]!.partitions[0]).toMatchObject({ partition: 2, fetchOffset: 42, partitionMaxBytes: 4096 });
      expect(decoded.topics[0]!.partitions[0]!.replicaDirectoryId).toBe(version >= 17 ? DIR_ID : "00000000-0000-0000-0000-000000000000");
      expect(decoded.forgottenTopicsData).toEqual([{ topic: "", topicId: TOPIC_ID, partitions: [5] }]);
      // A v15+ ReplicaState of -1/-1 is the default: Kafka leaves it off the wire, so re-encoding drops it.
      const again = encodeBytes(messages.FetchRequest, version, decoded);
      if (version < 15) expect(again).toEqual(bytes);
      else expect(decode(messages.FetchRequest, version, new Reader(again))).toEqual(decoded);
    });
  }

  test("response v16 carries the topic id in place of the name and NodeEndpoints as tag 0; v13 has no NodeEndpoints", () => {
    const records = new Uint8Array([9, 9, 9]);
    const body = {
      throttleTimeMs: 0, errorCode: 0, sessionId: 77,
      responses: [{ topic: "ignored-from-v13", topicId: TOPIC_ID, partitions: [{ partitionIndex: 2, errorCode: 6, highWatermark: 10, lastStableOffset: 10, logStartOffset: 0, currentLeader: { leaderId: 1, leaderEpoch: 0 }, abortedTransactions: null, preferredReadReplica: -1, records }] }],
      nodeEndpoints: [{ nodeId: 1, host: "127.0.0.1", port: 9092, rack: null }],
    };
    const expected = (version: number) => {
      const w = new Writer(64);
      w.int32(0); // ThrottleTimeMs
      w.int16(0); // ErrorCode
      w.int32(77); // SessionId
      oneTopicById(w);
      w.int32(2);
      w.int16(6);
      w.int64(10);
      w.int64(10);
      w.int64(0);
      w.compactArrayCount(null); // AbortedTransactions
      w.int32(-1);
      w.compactNullableBytes(records);
      tagged(w, [[1, (t) => { t.int32(1); t.int32(0); tagged(t, []); }]]); // CurrentLeader
      tagged(w, []); // topic
      tagged(w, version >= 16 ? [[0, (t) => { t.compactArrayCount(1); t.int32(1); t.compactString("127.0.0.1"); t.int32(9092); t.compactNullableString(null); tagged(t, []); }]] : []);
      return w.finish().slice();
    };
    for (const version of [13, 16, 17]) expect(encodeBytes(messages.FetchResponse, version, body), `v${version}`).toEqual(expected(version));
  });
});
