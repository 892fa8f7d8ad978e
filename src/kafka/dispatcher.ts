/**
 * Turns one request frame into one response frame: decode the header, find the handler, check
 * the version, decode the body, run it, encode the answer. Malformed input throws, which closes
 * only that connection; a failed assertion throws on up and stops the shard; any other error
 * a handler let through becomes UNKNOWN_SERVER_ERROR where the response can carry it.
 */
import { AssertionError } from "../base/assert.ts";
import type { Logger } from "../base/log.ts";
import { decode } from "../protocol/codec.ts";
import { ErrorCode, ProtocolError } from "../protocol/errors.ts";
import { decodeRequestHeader, encodeResponseFrame } from "../protocol/frame.ts";
import { apis } from "../protocol/messages/index.ts";
import { Reader } from "../protocol/reader.ts";
import { Writer } from "../protocol/writer.ts";
import { inRange } from "../protocol/schema.ts";
import type { RequestStats } from "./request-stats.ts";
import type { FrameResult } from "./connection.ts";
import { NO_RESPONSE, type BrokerContext, type RequestInfo } from "./handler.ts";
import { API_VERSIONS_KEY, apiVersionsBody } from "./handlers/api-versions.ts";
import { handlers, handlersByKey } from "./registry.ts";
import type { SaslSession } from "./sasl/session.ts";
import type { ClientConnection } from "./client-connection.ts";

const DEFAULT_RESPONSE_BYTES = 1024;

export function createDispatcher(context: BrokerContext, stats: RequestStats, log: Logger) {
  /**
   * `sasl`: the connection's SASL state, checked (and for raw tokens, changed) before anything is awaited.
   * `client`: its listener and principal; handlers see the listener's advertised address.
   */
  return async function dispatch(frame: Uint8Array, sasl?: SaslSession, client?: ClientConnection): Promise<FrameResult> {
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
    const requestContext: BrokerContext = {
      ...context,
      advertised: client?.advertised ?? context.advertised,
      invoke: (shard, op, body) => {
        if (shard !== context.shardId) crossedShards = true;
        return context.invoke(shard, op, body);
      },
    };
    let response;
    try {
      response = await handler.handle(requestContext, request, info);
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof AssertionError) throw error; // bad input closes the connection; a broken invariant stops the shard
      return failedRequest(info, error, log);
    }
    const out =
      response === NO_RESPONSE
        ? null
        : encodeResponseFrame(header.apiKey, header.apiVersion, header.correlationId, response, new Writer(handler.responseBytesHint?.(response) ?? DEFAULT_RESPONSE_BYTES));
    stats.recordRequest(handler.name, performance.now() - startMs, frame.length, out?.length ?? 0, crossedShards);
    return out;
  };
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
  log.error("request failed", { apiKey: info.apiKey, apiVersion: info.apiVersion, clientId: info.clientId, error: String(error), answered: answer !== null });
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

