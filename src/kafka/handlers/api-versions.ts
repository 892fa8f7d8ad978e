/** ApiVersions (18) v0–4 (v4 as v3): the supported ranges, straight from the handler registry. */
import { ErrorCode } from "../../protocol/errors.ts";
import { defineHandler, type ApiHandler } from "../handler.ts";

export const API_VERSIONS_KEY = 18;

export function apiVersionsBody(handlers: ApiHandler[], errorCode: number) {
  return {
    errorCode,
    apiKeys: handlers.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })),
    throttleTimeMs: 0,
  };
}

export function apiVersionsHandler(registered: () => ApiHandler[]): ApiHandler {
  return defineHandler({
    apiKey: API_VERSIONS_KEY,
    name: "ApiVersions",
    minVersion: 0,
    maxVersion: 4,
    async handle() {
      return apiVersionsBody(registered(), ErrorCode.NONE);
    },
  });
}
