/**
 * Admin API authentication (`admin_api_require_auth`, Redpanda's name): HTTP Basic with a SASL
 * user's password, checked against its SCRAM credentials. Reads need any user; changes
 * (POST/PUT/PATCH/DELETE) need one listed in `superusers`. Readiness stays open for probes, as
 * Redpanda keeps it.
 */
import type { MiddlewareHandler } from "hono";
import { limits } from "../base/limits.ts";

export interface AdminAuth {
  required: boolean;
  superusers: readonly string[];
  /** True when `password` matches one of the user's SCRAM credentials. */
  passwordMatches(user: string, password: string): boolean;
}

const OPEN_PATHS = new Set(["/v1/status/ready"]);
const CHANGE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const CHALLENGE = { "www-authenticate": 'Basic realm="skua"' };
// base64 of "user:password" at their longest, with room for padding.
const HEADER_CHARS_MAX = Math.ceil(((limits.saslUserNameCharsMax + limits.saslPasswordCharsMax) * 4 + 1) / 3) * 4 + 16;

export function requireAdminAuth(auth: AdminAuth): MiddlewareHandler {
  return async (c, next) => {
    if (!auth.required || OPEN_PATHS.has(c.req.path)) return next();
    const login = basicCredentials(c.req.header("authorization"));
    if (!login || !auth.passwordMatches(login.user, login.password)) {
      return c.json({ message: "admin API needs HTTP Basic auth with a SASL user's credentials", code: 401 }, 401, CHALLENGE);
    }
    if (CHANGE_METHODS.has(c.req.method) && !auth.superusers.includes(login.user)) {
      return c.json({ message: `user '${login.user}' is not a superuser: changes need one`, code: 403 }, 403);
    }
    return next();
  };
}

/** `Basic base64(user:password)`: the user ends at the first colon (RFC 7617). */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (!header || header.length > HEADER_CHARS_MAX) return null;
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
  if (!match) return null;
  const text = Buffer.from(match[1], "base64").toString("utf8");
  const colon = text.indexOf(":");
  if (colon <= 0) return null;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
