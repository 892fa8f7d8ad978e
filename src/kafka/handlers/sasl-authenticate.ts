/** SaslAuthenticate (36) v0–2: one step of the connection's SASL exchange; v1+ answers the session lifetime (KIP-368). */
import { ErrorCode } from "../../protocol/errors.ts";
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext, type RequestInfo } from "../handler.ts";

export const saslAuthenticateHandler = defineHandler({
  apiKey: 36,
  name: "SaslAuthenticate",
  minVersion: 0,
  maxVersion: 2,
  async handle(_context: BrokerContext, request: SaslAuthenticateRequest, info: RequestInfo): Promise<SaslAuthenticateResponse> {
    if (!info.sasl) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: "SASL is not enabled", authBytes: new Uint8Array(0), sessionLifetimeMs: 0 };
    const { delayMs, ...answer } = info.sasl.authenticate(request.authBytes); // state changes now, in frame order
    if (delayMs > 0) await Bun.sleep(delayMs); // repeated failures on one connection are slowed
    return answer;
  },
});
