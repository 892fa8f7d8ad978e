import { expect, test } from "bun:test";
import { ProtocolError } from "../protocol/errors.ts";
import { f, message } from "../protocol/schema.ts";
import { decodeBody, encodeBody, encodeFrame, FrameCutter, readHeader } from "./frame.ts";
import { HelloRequest, PingRequest, RPC_MAGIC, RpcKind } from "./messages/index.ts";

const header = { kind: RpcKind.request, method: PingRequest.apiKey, correlationId: 7, group: 42, shard: -1 };

test("a frame round-trips: size prefix, header with magic and version, body", () => {
  const frame = encodeFrame(header, PingRequest, { sentAtMs: 123, payload: new Uint8Array([1, 2, 3]) });
  const size = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
  expect(size).toBe(frame.length - 4);
  const [cut] = new FrameCutter(1024).push(frame);
  const { header: read, body } = readHeader(cut);
  expect(read).toMatchObject({ ...header, magic: RPC_MAGIC, version: 0 });
  expect(decodeBody(PingRequest, body)).toMatchObject({ sentAtMs: 123, payload: new Uint8Array([1, 2, 3]) });
});

test("frames split at every byte and glued together come out whole and in order", () => {
  const frames = [1, 2, 3].map((i) => encodeFrame({ ...header, correlationId: i }, PingRequest, { sentAtMs: i, payload: new Uint8Array(i * 100) }));
  const stream = new Uint8Array(frames.reduce((n, fr) => n + fr.length, 0));
  let at = 0;
  for (const fr of frames) (stream.set(fr, at), (at += fr.length));
  const cutter = new FrameCutter(1024);
  const out = [];
  for (let i = 0; i < stream.length; i++) out.push(...cutter.push(stream.subarray(i, i + 1)));
  expect(out.map((fr) => readHeader(fr).header.correlationId)).toEqual([1, 2, 3]);
});

test("an oversize frame is refused from its size prefix alone", () => {
  const cutter = new FrameCutter(1000);
  expect(() => cutter.push(new Uint8Array([0, 0, 0x10, 0]))).toThrow(ProtocolError);
  expect(() => new FrameCutter(1000).push(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(/outside/);
});

test("wrong magic, wrong version, short and truncated frames are ProtocolErrors", () => {
  const [good] = new FrameCutter(1024).push(encodeFrame(header, PingRequest, { sentAtMs: 1, payload: new Uint8Array(0) }));
  const badMagic = good.slice();
  badMagic[0] = 0x4b; // a Kafka request's first bytes are an API key, never "SKRP"
  expect(() => readHeader(badMagic)).toThrow(/bad magic/);
  const badVersion = good.slice();
  badVersion[4] = 9;
  expect(() => readHeader(badVersion)).toThrow(/version 9/);
  expect(() => readHeader(good.subarray(0, 10))).toThrow(ProtocolError);
  const { body } = readHeader(good);
  expect(() => decodeBody(PingRequest, body.subarray(0, body.length - 1))).toThrow(ProtocolError);
  expect(() => decodeBody(PingRequest, new Uint8Array([...body, 0]))).toThrow(/after the body/);
});

test("a hello carries node id and cluster id", () => {
  const hello = { nodeId: 3, clusterId: "skua-abc", rpcHost: "127.0.0.1", rpcPort: 33145, shardId: 1, shardCount: 2, softwareVersion: "0.1.0" };
  expect(decodeBody(HelloRequest, encodeBody(HelloRequest, hello))).toMatchObject(hello);
});

// What the Raft owner's batched heartbeats will look like: one message, many group entries.
const Beat = [f("Group", "int64", "0+"), f("Term", "int64", "0+"), f("CommitIndex", "int64", "0+")];
const Heartbeats = message<{ beats: Array<{ group: number; term: number; commitIndex: number }> }>("request", "Heartbeats", 99, "0", "0+", [
  f("Beats", "[]Beat", "0+", { fields: Beat }),
]);

test("a message with 10,000 group entries encodes in 25 bytes each and round-trips", () => {
  const beats = Array.from({ length: 10_000 }, (_, i) => ({ group: i, term: 5, commitIndex: 1_000_000 + i }));
  const body = encodeBody(Heartbeats, { beats });
  expect(body.length).toBeLessThanOrEqual(10_000 * 25 + 8);
  expect(decodeBody(Heartbeats, body).beats).toEqual(beats.map((b) => expect.objectContaining(b)));
});

test("a frame larger than the preallocated bound, arriving in pieces, comes out whole; a stalled one holds at most the bound", () => {
  const payload = Uint8Array.from({ length: 3 << 20 }, (_, i) => i & 0xff);
  const stream = encodeFrame(header, PingRequest, { sentAtMs: 1, payload });
  const cutter = new FrameCutter(8 << 20);
  const out: Uint8Array[] = [];
  for (let at = 0; at < stream.length; at += 65_536) out.push(...cutter.push(stream.subarray(at, at + 65_536)));
  expect(out.length).toBe(1);
  expect(decodeBody(PingRequest, readHeader(out[0]!).body).payload).toEqual(payload);
  const stalled = new FrameCutter(8 << 20);
  expect(stalled.push(new Uint8Array([0, 0x70, 0, 0, 1, 2, 3]))).toEqual([]); // declares 7 MiB, sends 3 bytes
  expect(stalled.bufferedBytesCapacity).toBeLessThanOrEqual(2 << 20);
});

test("after a large frame the cutter lets its grown buffer go", () => {
  const cutter = new FrameCutter(8 << 20);
  const [frame] = cutter.push(encodeFrame(header, PingRequest, { sentAtMs: 1, payload: new Uint8Array(4 << 20) }));
  expect(frame.length).toBeGreaterThan(4 << 20);
  expect(cutter.bufferedBytesCapacity).toBe(0);
});
