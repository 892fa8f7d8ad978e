import { assert } from "../base/assert.ts";
import { decode, encode } from "./codec.ts";
import { ProtocolError } from "./errors.ts";
import { apis } from "./messages/index.ts";
import { Reader } from "./reader.ts";
import type { TaggedFields } from "./schema.ts";
import { Writer } from "./writer.ts";

const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** Where the request body starts in the frame. */
  headerBytes: number;
}

/** Whether this API version uses compact encoding and tagged fields (KIP-482). False for unknown ones. */
export function isFlexible(apiKey: number, apiVersion: number): boolean {
  const api = apis[apiKey];
  return api !== undefined && apiVersion >= api.request.flexible;
}

/**
 * Reads the request header (v1, plus tagged fields when the version is flexible:
 * v2) from a frame, the bytes after the int32 size. The client id is never compact
 * so that any broker can read it. An unknown API or version is parsed as v1: the
 * caller decides how to answer it.
 */
export function decodeRequestHeader(frame: Uint8Array): RequestHeader {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  if (isFlexible(apiKey, apiVersion)) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId, headerBytes: r.offset };
}

/** The API key of a request frame (the bytes after the size), or -1 when it is too short to have one. */
export function requestApiKey(frame: Uint8Array): number {
  if (frame.length < 2) return -1;
  return (frame[0] << 24) >> 16 | frame[1]; // int16, big-endian, sign kept
}

function skipTaggedFields(r: Reader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint(); // tag: the request header defines none
    r.skip(r.uvarint());
  }
}

/** Decodes the body of a request whose header `decodeRequestHeader` returned. */
export function decodeRequestBody(frame: Uint8Array, header: RequestHeader): unknown {
  const api = apis[header.apiKey];
  if (api === undefined) throw new ProtocolError(`unknown api key ${header.apiKey}`);
  return decode(api.request, header.apiVersion, new Reader(frame, header.headerBytes));
}

/**
 * int32 size + response header + body. The header is v1 (with a tagged-field
 * section) for flexible versions, except ApiVersions, which always answers with
 * header v0 so a client that does not yet know our versions can read it.
 */
export function encodeResponseFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: object,
  writer: Writer = new Writer(),
): Uint8Array {
  writeResponseFrame(apiKey, apiVersion, correlationId, body, writer);
  return writer.finish();
}

/** The response frame into `writer` (a referring writer's `finishParts()` then gives it without copying record batches). */
export function writeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: object, writer: Writer): void {
  const api = apiOrThrow(apiKey);
  const sizeAt = writer.reserveSize();
  writer.int32(correlationId);
  if (apiKey !== API_VERSIONS_KEY && apiVersion >= api.response.flexible) writer.uvarint(0);
  encode(api.response, apiVersion, body as TaggedFields, writer);
  writer.patchSize(sizeAt);
}

/** int32 size + request header (v1, or v2 when flexible) + body: what a client sends. */
export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: object,
  writer: Writer = new Writer(),
): Uint8Array {
  const api = apiOrThrow(apiKey);
  const sizeAt = writer.reserveSize();
  writer.int16(apiKey);
  writer.int16(apiVersion);
  writer.int32(correlationId);
  writer.nullableString(clientId);
  if (isFlexible(apiKey, apiVersion)) writer.uvarint(0);
  encode(api.request, apiVersion, body as TaggedFields, writer);
  writer.patchSize(sizeAt);
  return writer.finish();
}

/** Encoding an API skua has no definition for is a bug in the caller, not bad input. */
function apiOrThrow(apiKey: number) {
  const api = apis[apiKey];
  assert(api !== undefined, `unknown api key ${apiKey}`);
  return api;
}
