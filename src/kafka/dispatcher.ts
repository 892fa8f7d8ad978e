/**
 * Turns one request frame into one response frame: decode the header, find the handler, check
 * the version, decode the body, run it, encode the answer. Malformed input throws, which closes
 * only that connection; a failed assertion throws on up and stops the shard; any other error
 * a handler let through becomes UNKNOWN_SERVER_ERROR where the response can carry it.
 */
import { assert, AssertionError } from "../base/assert.ts";
import { CallAbandonedError } from "../base/calls.ts";
import type { Logger } from "../base/log.ts";
import { decode } from "../protocol/codec.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeRequestHeader, encodeResponseFrame, writeResponseFrame } from "../protocol/frame.ts";
import { apis } from "../protocol/messages/index.ts";
import { Reader } from "../protocol/reader.ts";
import { Writer } from "../protocol/writer.ts";
import { inRange } from "../protocol/schema.ts";
import type { RequestStats } from "./request-stats.ts";
import { frameBytes, type Frame, type FrameResult } from "./connection.ts";
import { NO_RESPONSE, RESPONSE_REFER_BYTES_MIN, type BrokerContext, type RequestInfo, type ShardContext } from "./handler.ts";
import { aclHost, authorizerFor } from "./authorize.ts";
import { ANONYMOUS_PRINCIPAL } from "../cluster/acls.ts";
import { API_VERSIONS_KEY, apiVersionsBody } from "./handlers/api-versions.ts";
import { handlers, handlersByKey } from "./registry.ts";
import type { SaslSession } from "./sasl/session.ts";
import { clientThrottles, QuotaEnforcer, type QuotaClient } from "./quota-enforcer.ts";
import type { ClientConnection } from "./client-connection.ts";
import { NO_SHARD, SEVERAL_SHARDS } from "./connection-placement.ts";

const DEFAULT_RESPONSE_BYTES = 1024;
const PRODUCE_KEY = 0;
const SIZE_AND_CORRELATION_BYTES = 8;
const FETCH_KEY = 1;
/** Logins are the connection's, not the client's work: not held to request_percentage. */
const SASL_KEYS = new Set([17, 36]);

/** Stops reading and serving a connection's requests for a while (a throttled client). */
export type MuteConnection = (delayMs: number) => void;
/**
 * Told after each request which shard it ran ops on (one, NO_SHARD or SEVERAL_SHARDS), and whether
 * it left state on this shard that is the connection's (a fetch session): connection-placement.ts.
 */
export type RouteObserver = (apiKey: number, shard: number, bound: boolean) => void;

export function createDispatcher(context: ShardContext, stats: RequestStats, log: Logger) {
  const authorizer = authorizerFor(context.props, context.metadata);
  const quotas = new QuotaEnforcer({ metadata: context.metadata, props: context.props, clock: context.clock });
  /**
   * `sasl`: the connection's SASL state, checked (and for raw tokens, changed) before anything is
   * awaited. `client`: its listener and principal; handlers see the listener's advertised address.
   * `mute`: how a client over its quota is held back. `routed`: where the request's ops ran.
   */
  return async function dispatch(frame: Uint8Array, sasl?: SaslSession, client?: ClientConnection, mute?: MuteConnection, routed?: RouteObserver): Promise<FrameResult> {
    if (sasl?.expectsRawToken) return rawSaslToken(sasl, frame);
    const startMs = performance.now();
    const header = decodeRequestHeader(frame);
    sasl?.admit(header.apiKey);
    const info: RequestInfo = { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId, sasl, client };
    const handler = handlersByKey.get(header.apiKey);
    const api = apis[header.apiKey];
    if (!handler || !api || header.apiVersion < handler.minVersion || header.apiVersion > handler.maxVersion) {
      return unsupported(info, log);
    }
    const request = decode(api.request, header.apiVersion, new Reader(frame, header.headerBytes));
    let crossedShards = false;
    let usedShard = NO_SHARD;
    const requestContext: BrokerContext = {
      ...context,
      authorize: authorizer({ principal: client?.principal ?? sasl?.principal ?? ANONYMOUS_PRINCIPAL, host: aclHost(sasl?.remoteHost ?? "") }),
      advertised: client?.advertised ?? context.advertised,
      invoke: (shard, op, body) => {
        if (shard !== context.shardId) crossedShards = true;
        usedShard = usedShard === NO_SHARD || usedShard === shard ? shard : SEVERAL_SHARDS;
        return context.invoke(shard, op, body);
      },
    };
    let response;
    let workMs = 0; // the shard's own time on this request: up to the handler's first wait, and encoding
    try {
      const handling = handler.handle(requestContext, request, info);
      workMs = performance.now() - startMs;
      response = await handling;
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof AssertionError) throw error; // bad input closes the connection; a broken invariant stops the shard
      return failedRequest(info, error, log);
    }
    const quotaClient = { user: sasl?.authenticatedUser ?? null, clientId: header.clientId };
    // Produce is measured by what came in, so its throttle is known before the answer is written.
    const produceThrottleMs = header.apiKey === PRODUCE_KEY ? quotas.record("producer_byte_rate", quotaClient, frame.length) : 0;
    if (produceThrottleMs > 0 && response !== NO_RESPONSE) (response as { throttleTimeMs?: number }).throttleTimeMs = produceThrottleMs;
    const encodeStartMs = performance.now();
    const out = response === NO_RESPONSE ? null : encodeResponse(header, response, handler.responseBytesHint?.(response) ?? DEFAULT_RESPONSE_BYTES);
    workMs += performance.now() - encodeStartMs;
    stats.recordRequest(handler.name, performance.now() - startMs, frame.length, out === null ? 0 : frameBytes(out), crossedShards);
    routed?.(header.apiKey, usedShard, header.apiKey === FETCH_KEY && opensFetchSession(request as { sessionId?: number; sessionEpoch?: number }));
    const answered = throttleAnswered(quotas, header, quotaClient, response, out, produceThrottleMs, workMs);
    if (answered.throttleMs > 0 && mute) {
      stats.throttledRequests++;
      mute(answered.throttleMs);
      // Before KIP-219 the broker held the answer back; from it on the client waits by itself.
      if (!clientThrottles(header.apiKey, header.apiVersion)) await Bun.sleep(answered.throttleMs);
    }
    return answered.out;
  };
}

/** A Fetch in a session (KIP-227), or opening one; sessionless is id 0 at the final epoch, -1 (and every Fetch before v7). */
function opensFetchSession(request: { sessionId?: number; sessionEpoch?: number }): boolean {
  return (request.sessionId ?? 0) !== 0 || (request.sessionEpoch ?? -1) !== -1;
}

interface AnsweredHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/** The response frame, its record batches left where they are (cache, disk read) as parts of their own. */
function encodeResponse(header: AnsweredHeader, response: object, ownBytesHint: number): Frame {
  const writer = new Writer(ownBytesHint, RESPONSE_REFER_BYTES_MIN);
  writeResponseFrame(header.apiKey, header.apiVersion, header.correlationId, response, writer);
  const parts = writer.finishParts();
  return parts.length === 1 ? parts[0]! : parts;
}

/**
 * Records an answered request against the client's other quotas (Fetch: the bytes it answers;
 * every request but logins: the shard's time on it) and gives the answer with the largest
 * throttle set in it.
 */
function throttleAnswered(
  quotas: QuotaEnforcer, header: AnsweredHeader, client: QuotaClient, response: object | typeof NO_RESPONSE, out: Frame | null, produceThrottleMs: number, workMs: number,
): { out: Frame | null; throttleMs: number } {
  const fetchMs = header.apiKey === FETCH_KEY ? quotas.record("consumer_byte_rate", client, out === null ? 0 : frameBytes(out)) : 0;
  const requestMs = SASL_KEYS.has(header.apiKey) ? 0 : quotas.record("request_percentage", client, workMs / 10); // ms of one core → percent-seconds
  const laterMs = Math.max(fetchMs, requestMs);
  if (laterMs <= produceThrottleMs) return { out, throttleMs: produceThrottleMs };
  if (response === NO_RESPONSE || out === null) return { out, throttleMs: laterMs };
  (response as { throttleTimeMs?: number }).throttleTimeMs = laterMs;
  return { out: withThrottleTime(header, out, response, laterMs), throttleMs: laterMs };
}

/**
 * The answer with throttle_time_ms set: written in place where it is the body's first field
 * (a Fetch answer can be tens of MiB), else encoded again.
 */
function withThrottleTime(header: AnsweredHeader, out: Frame, response: object, throttleMs: number): Frame {
  const { apiKey, apiVersion } = header;
  const def = apis[apiKey].response;
  const first = def.fields.find((f) => inRange(apiVersion, f.versions));
  if (first?.key !== "throttleTimeMs") return encodeResponseFrame(apiKey, apiVersion, header.correlationId, response, new Writer(frameBytes(out)));
  const flexibleHeaderBytes = apiKey !== API_VERSIONS_KEY && apiVersion >= def.flexible ? 1 : 0; // the header's empty tagged fields
  // The header and first fields are always in the writer's own first part: referred parts are byte fields further on.
  const head = out instanceof Uint8Array ? out : out[0]!;
  const at = SIZE_AND_CORRELATION_BYTES + flexibleHeaderBytes;
  assert(head.length >= at + 4, "throttle_time_ms not in a response's first part");
  new DataView(head.buffer, head.byteOffset, head.byteLength).setInt32(at, throttleMs);
  return out;
}

/** A SASL token after SaslHandshake v0 (no Kafka header); a failed login closes the connection. */
async function rawSaslToken(sasl: SaslSession, frame: Uint8Array): Promise<FrameResult> {
  const { reply, delayMs } = sasl.rawToken(frame);
  if (delayMs > 0) await Bun.sleep(delayMs);
  if (reply === null) throw new ProtocolError("SASL authentication failed");
  return reply;
}

/**
 * An operating error (a failed disk, a peer that could not answer) that a handler did not turn
 * into an error code: the client gets UNKNOWN_SERVER_ERROR where the response has a top-level
 * error code; otherwise the response has no way to say it, and the connection closes.
 */
function failedRequest(info: RequestInfo, error: unknown, log: Logger): Uint8Array {
  const answer = topLevelErrorAnswer(info, ErrorCode.UNKNOWN_SERVER_ERROR);
  const fields = { apiKey: info.apiKey, apiVersion: info.apiVersion, clientId: info.clientId, error: String(error), answered: answer !== null };
  // A request still waiting on another shard when the broker stops is expected, not a failure.
  if (error instanceof CallAbandonedError) log.info("request abandoned: the broker is stopping", fields);
  else log.error("request failed", fields);
  if (answer === null) throw error;
  return answer;
}

/** The response with only its top-level error code set, or null when this version has none. */
function topLevelErrorAnswer(info: RequestInfo, errorCode: number): Uint8Array | null {
  const api = apis[info.apiKey];
  const answerable =
    api && info.apiVersion >= api.response.valid[0] && info.apiVersion <= api.response.valid[1] &&
    api.response.fields.some((f) => f.key === "errorCode" && inRange(info.apiVersion, f.versions));
  return answerable ? encodeResponseFrame(info.apiKey, info.apiVersion, info.correlationId, { errorCode }) : null;
}

/**
 * A version we do not serve. ApiVersions gets the v0 answer with UNSUPPORTED_VERSION so the client
 * can retry lower; another API gets UNSUPPORTED_VERSION in its top-level error code where its
 * response has one, else the connection closes (what Kafka does).
 */
function unsupported(info: RequestInfo, log: Logger): Uint8Array {
  if (info.apiKey === API_VERSIONS_KEY) {
    return encodeResponseFrame(API_VERSIONS_KEY, 0, info.correlationId, apiVersionsBody(handlers, ErrorCode.UNSUPPORTED_VERSION));
  }
  const answer = topLevelErrorAnswer(info, ErrorCode.UNSUPPORTED_VERSION);
  log.warn("unsupported request", { apiKey: info.apiKey, apiVersion: info.apiVersion, clientId: info.clientId, answered: answer !== null });
  if (answer === null) throw new ProtocolError(`unsupported API key ${info.apiKey} version ${info.apiVersion}`);
  return answer;
}

