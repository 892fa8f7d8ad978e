/** SaslHandshake (17) v0–1: picks the connection's mechanism; v0 means raw tokens follow, v1 SaslAuthenticate. */
import { ErrorCode } from "../../protocol/errors.ts";
import type { SaslHandshakeRequest, SaslHandshakeResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext, type RequestInfo } from "../handler.ts";

export const saslHandshakeHandler = defineHandler({
  apiKey: 17,
  name: "SaslHandshake",
  minVersion: 0,
  maxVersion: 1,
  async handle(_context: BrokerContext, request: SaslHandshakeRequest, info: RequestInfo): Promise<SaslHandshakeResponse> {
    return info.sasl?.handshake(request.mechanism, info.apiVersion) ?? { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
});
