import { describe, expect, test } from "bun:test";
import { decode } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import { decodeRequestBody, decodeRequestHeader, encodeRequestFrame, encodeResponseFrame, isFlexible } from "./frame.ts";
import { ApiVersionsResponse, MetadataResponse } from "./messages/index.ts";
import { Reader } from "./reader.ts";
import { Writer } from "./writer.ts";

describe("framing", () => {
  test("isFlexible follows each API's first flexible version", () => {
    expect(isFlexible(0, 8)).toBe(false);
    expect(isFlexible(0, 9)).toBe(true);
    expect(isFlexible(18, 3)).toBe(true);
    expect(isFlexible(9999, 5)).toBe(false);
  });

  test("a flexible request header (v2) skips its tagged fields; the body follows", () => {
    const w = new Writer();
    w.int16(3); w.int16(12); w.int32(42); w.nullableString("client");
    w.uvarint(1); w.uvarint(5); w.uvarint(2); w.raw(new Uint8Array([1, 2])); // one unknown tagged field
    const bodyStart = w.offset;
    w.uvarint(0); // topics: null (compact)
    w.bool(true); w.bool(false); w.uvarint(0);
    const frame = w.finish();
    const header = decodeRequestHeader(frame);
    expect(header).toEqual({ apiKey: 3, apiVersion: 12, correlationId: 42, clientId: "client", headerBytes: bodyStart });
    expect(decodeRequestBody(frame, header)).toMatchObject({ topics: null, allowAutoTopicCreation: true });
  });

  test("an unknown API key is parsed as header v1 and left to the caller", () => {
    const w = new Writer();
    w.int16(999); w.int16(7); w.int32(1); w.nullableString(null);
    const header = decodeRequestHeader(w.finish());
    expect(header).toEqual({ apiKey: 999, apiVersion: 7, correlationId: 1, clientId: null, headerBytes: 10 });
    expect(() => decodeRequestBody(w.finish(), header)).toThrow(ProtocolError);
  });

  test("request frames round-trip through decodeRequestHeader", () => {
    const wire = encodeRequestFrame(3, 12, 9, "c", { topics: [{ name: "t" }] });
    const frame = wire.subarray(4);
    const header = decodeRequestHeader(frame);
    expect(header.apiVersion).toBe(12);
    expect(decodeRequestBody(frame, header)).toMatchObject({ topics: [{ name: "t" }] });
  });

  test("ApiVersions responses use header v0 even when flexible", () => {
    const wire = encodeResponseFrame(18, 3, 5, { errorCode: 0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }] });
    const r = new Reader(wire);
    expect(r.int32()).toBe(wire.length - 4);
    expect(r.int32()).toBe(5);
    expect(decode(ApiVersionsResponse, 3, r).apiKeys).toEqual([{ apiKey: 18, minVersion: 0, maxVersion: 3 }]);
    expect(r.remainingBytes).toBe(0);
  });

  test("other flexible responses carry header v1 (an empty tagged section)", () => {
    const wire = encodeResponseFrame(3, 12, 6, { brokers: [], topics: [] });
    const r = new Reader(wire, 4);
    expect(r.int32()).toBe(6);
    expect(r.uvarint()).toBe(0);
    expect(decode(MetadataResponse, 12, r).controllerId).toBe(-1); // the spec default
  });
});
