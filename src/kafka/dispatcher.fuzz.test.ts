/**
 * Fuzzes the request path (header, body decoder, handler) with random and mutated frames.
 * Each frame must either be answered or be rejected with a ProtocolError (which closes only
 * its connection); any other exception is a bug. The seed is printed; rerun with SEED=<n>.
 */
import { ProducerIdPool } from "./producer-id-pool.ts";
import { expect, test } from "bun:test";
import { MetadataTable } from "../cluster/metadata.ts";
import { defaultProperties, setProperty } from "../cluster/properties.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { encodeRequestFrame } from "../protocol/frame.ts";
import { kafkajsRequests } from "../protocol/fixtures/kafkajs.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import { createDispatcher } from "./dispatcher.ts";
import { FetchSessionCache } from "./fetch-sessions.ts";
import type { ShardContext } from "./handler.ts";
import { configureLog, logger } from "../base/log.ts";
import { mulberry32 } from "../base/random.ts";
import { deriveCredential } from "../cluster/users.ts";
import { SaslSession } from "./sasl/session.ts";

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
const ITERATIONS = 20_000;

class NoBackend extends Error {}

const TOPIC_ID = "6c1b4bde-5d0c-4c39-8b7e-2f0e1f7c9a11";

/** Owners that hold no data; a fetch's wait passes at once on a clock that jumps ahead. */
function stubContext(sets: Record<string, string> = {}): ShardContext {
  let nowMs = 0;
  const users = [{ name: "u", credentials: [deriveCredential("SCRAM-SHA-256", "correct horse battery"), deriveCredential("SCRAM-SHA-512", "correct horse battery")] }];
  const acls = [
    { resourceType: 2, resourceName: "t", patternType: 3, principal: "User:u", host: "*", operation: 4, permission: 3 },
    { resourceType: 2, resourceName: "", patternType: 4, principal: "User:ANONYMOUS", host: "*", operation: 8, permission: 3 },
    { resourceType: 3, resourceName: "g", patternType: 4, principal: "User:*", host: "*", operation: 2, permission: 2 },
  ];
  const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [{ name: "t", id: TOPIC_ID, shards: [0, 0], configs: {} }], users, acls });
  const props = defaultProperties();
  for (const [name, value] of Object.entries(sets)) setProperty(props, name, value);
  const answer = { errorCode: 0, errorMessage: null, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0, highWatermark: 0, records: new Uint8Array(0), offset: 0, timestampMs: -1 };
  const clock = { nowMs: () => nowMs };
  return {
    shardId: 0, shardCount: 1, nodeId: 0, clusterId: "fuzz", advertised: { host: "127.0.0.1", port: 9092 },
    props, clock,
    metadata: () => table,
    invoke: async (_shard, op, request: any) => {
      if (op !== "watch" && !Array.isArray(request?.items)) throw new NoBackend(op); // group ops: past decoding, out of this test's reach
      if (op !== "watch") return request.items.map(() => answer);
      nowMs += request.waitMs;
      return { woken: false };
    },
    callController: async (name, request: any) =>
      name === "allocateProducerIds" ? { firstId: 0, count: 1000 }
      : name === "createAcls" ? request.acls.map(() => ({ errorCode: 0, errorMessage: null }))
      : name === "deleteAcls" ? request.filters.map(() => ({ errorCode: 0, errorMessage: null, deleted: [...table.acls.all()] }))
      : request.topics.map((t: any) => ({ name: t.name ?? "", topicId: t.topicId ?? "", errorCode: 0, errorMessage: null })),
    producerIds: new ProducerIdPool(async () => ({ firstId: 0, count: 1000 })),
    dataDir: "/nonexistent-skua-fuzz",
    fetchSessions: new FetchSessionCache({ shardId: 0, shardCount: 1, slots: 4, clock, random: mulberry32(SEED) }),
  };
}

function seedFrames(): Uint8Array[] {
  const withoutSize = (frame: Uint8Array) => frame.subarray(4);
  const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  const records = buildBatch({ records: [{ key: new Uint8Array([1]), value: new Uint8Array([2, 3]) }] });
  const frames = Object.values(kafkajsRequests).map((f) => withoutSize(fromHex(f.hex)));
  for (const version of [3, 9]) {
    frames.push(withoutSize(encodeRequestFrame(0, version, 1, "fuzz", { acks: 1, timeoutMs: 100, topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] })));
  }
  for (const version of [4, 12]) {
    frames.push(withoutSize(encodeRequestFrame(1, version, 2, "fuzz", { maxWaitMs: 0, minBytes: 1, maxBytes: 1000, topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }] }] })));
  }
  for (const version of [13, 17]) {
    const topicId = version === 13 ? TOPIC_ID : "0f0e0d0c-0b0a-4908-8706-050403020100"; // known and unknown ids
    frames.push(withoutSize(encodeRequestFrame(1, version, 2, "fuzz", { maxWaitMs: 0, minBytes: 1, maxBytes: 1000, sessionEpoch: 0, topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 100 }] }] })));
  }
  frames.push(withoutSize(encodeRequestFrame(3, 12, 3, "fuzz", { topics: [{ name: "t" }] })));
  frames.push(withoutSize(encodeRequestFrame(18, 3, 4, "fuzz", { clientSoftwareName: "f", clientSoftwareVersion: "1" })));
  frames.push(withoutSize(encodeRequestFrame(2, 7, 5, "fuzz", { topics: [{ name: "t", partitions: [{ partitionIndex: 0, timestamp: -1 }] }] })));
  frames.push(withoutSize(encodeRequestFrame(19, 7, 6, "fuzz", { topics: [{ name: "x", numPartitions: 1, replicationFactor: 1 }] })));
  const aclFilter = { resourceTypeFilter: 1, resourceNameFilter: "t", patternTypeFilter: 2, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 };
  const acl = { resourceType: 2, resourceName: "t", resourcePatternType: 4, principal: "User:u", host: "*", operation: 3, permissionType: 3 };
  for (const version of [0, 3]) {
    frames.push(withoutSize(encodeRequestFrame(29, version, 7, "fuzz", aclFilter)));
    frames.push(withoutSize(encodeRequestFrame(30, version, 8, "fuzz", { creations: [acl, { ...acl, resourceType: 9 }] })));
    frames.push(withoutSize(encodeRequestFrame(31, version, 9, "fuzz", { filters: [aclFilter] })));
  }
  return frames;
}

function mutate(frame: Uint8Array, random: () => number): Uint8Array {
  const out = new Uint8Array(frame);
  const kind = Math.floor(random() * 4);
  if (kind === 0) return out.subarray(0, Math.floor(random() * out.length)); // truncate
  if (kind === 1) {
    for (let i = 0, n = 1 + Math.floor(random() * 4); i < n && out.length > 0; i++) out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    return out;
  }
  if (kind === 2 && out.length >= 4) {
    const at = Math.floor(random() * (out.length - 3)); // a length or count field turned huge or negative
    new DataView(out.buffer).setInt32(at, random() < 0.5 ? -2 : 0x7ffffff0);
    return out;
  }
  return Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)); // noise
}

for (const [what, sets] of [["", {}], [", authorization on", { kafka_enable_authorization: "true" }]] as const) test(`random and mutated frames are answered or rejected cleanly${what} (SEED=${SEED})`, async () => {
  configureLog({ format: "text", minLevel: "error" }); // bad input is logged as a warning; thousands of them here
  const random = mulberry32(SEED);
  const dispatch = createDispatcher(stubContext(sets), { connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, recordRequest() {} }, logger("fuzz"));
  const seeds = seedFrames();
  for (const frame of seeds) expect(await dispatch(frame)).not.toBeNull(); // the unmutated seeds are valid
  let rejected = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const frame = mutate(seeds[Math.floor(random() * seeds.length)], random);
    try {
      await dispatch(frame);
    } catch (error) {
      if (error instanceof NoBackend) continue;
      if (!(error instanceof ProtocolError)) throw new Error(`SEED=${SEED} iteration ${i}: ${String(error)}`);
      rejected++;
    }
  }
  expect(rejected).toBeGreaterThan(ITERATIONS / 10);
});

/** SASL frames: handshakes for each mechanism, then SaslAuthenticate (or v0 raw tokens) with garbage, on a SASL-enabled connection. */
test(`SaslHandshake and SaslAuthenticate with garbage tokens are answered or rejected cleanly (SEED=${SEED})`, async () => {
  configureLog({ format: "text", minLevel: "error" });
  const random = mulberry32(SEED + 1);
  const context = stubContext();
  const dispatch = createDispatcher(context, { connections: 0, saslFailures: 0, throttledRequests: 0, connectionsRefused: 0, connectionsMovedAway: 0, connectionsAdopted: 0, recordRequest() {} }, logger("fuzz"));
  const session = () => new SaslSession({ enabled: true, mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"], reauthMs: -1, clock: context.clock, metadata: context.metadata, onFailure() {}, failureDelayFirstMs: 0 });
  const withoutSize = (frame: Uint8Array) => frame.subarray(4);
  const handshakes = ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "GSSAPI"].flatMap((mechanism) => [0, 1].map((v) => withoutSize(encodeRequestFrame(17, v, 1, "fuzz", { mechanism }))));
  const tokens = ["n,,n=u,r=abc", "\u0000u\u0000p", "c=biws,r=abc,p=AAAA", ""].map((t) => new TextEncoder().encode(t));
  const authenticates = tokens.flatMap((authBytes) => [0, 1, 2].map((v) => withoutSize(encodeRequestFrame(36, v, 2, "fuzz", { authBytes }))));
  let rejected = 0;
  for (let i = 0; i < ITERATIONS / 4; i++) {
    const sasl = session();
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
    const frames = [pick(handshakes), ...Array.from({ length: 1 + Math.floor(random() * 3) }, () => (random() < 0.5 ? mutate(pick(authenticates), random) : mutate(pick(tokens), random)))];
    try {
      for (const frame of frames) await dispatch(frame, sasl);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw new Error(`SEED=${SEED} iteration ${i}: ${String(error)}`);
      rejected++;
    }
    expect(sasl.authenticatedUser).toBeNull(); // garbage never logs in
  }
  expect(rejected).toBeGreaterThan(0);
});
