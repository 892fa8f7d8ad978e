/**
 * SASL users, as Redpanda's admin API manages them: POST /v1/security/users
 * {"username","password","algorithm"}, PUT /v1/security/users/{user} {"password","algorithm"},
 * DELETE /v1/security/users/{user}, GET /v1/security/users (names only). The password is salted
 * and iterated here; only the SCRAM credential reaches the metadata.
 */
import type { Context, Hono } from "hono";
import { deriveCredential, isScramMechanism, passwordProblem, type UserChange } from "../cluster/users.ts";
import { ErrorCode } from "../protocol/errors.ts";
import type { AdminBackend } from "./app.ts";

type UsersBackend = Pick<AdminBackend, "userNames" | "alterUsers">;

const STATUS_BY_ERROR: Record<number, 400 | 404 | 409> = { [ErrorCode.RESOURCE_NOT_FOUND]: 404, [ErrorCode.DUPLICATE_RESOURCE]: 409 };

export function userRoutes(app: Hono, backend: UsersBackend): void {
  app.get("/v1/security/users", (c) => c.json(backend.userNames().sort()));
  app.post("/v1/security/users", async (c) => {
    const body = await c.req.json().catch(() => null);
    if (typeof body?.username !== "string") return c.json({ message: 'body must be {"username", "password", "algorithm"}', code: 400 }, 400);
    return setPassword(c, backend, body.username, body, "create");
  });
  app.put("/v1/security/users/:user", async (c) => setPassword(c, backend, c.req.param("user"), await c.req.json().catch(() => null), "update"));
  app.delete("/v1/security/users/:user", (c) => apply(c, backend, { name: c.req.param("user"), set: [], remove: [], replace: true, expect: "update" }));
}

async function setPassword(c: Context, backend: UsersBackend, name: string, body: any, expect: "create" | "update") {
  const algorithm = body?.algorithm ?? "SCRAM-SHA-256";
  if (typeof algorithm !== "string" || !isScramMechanism(algorithm)) return c.json({ message: "algorithm must be SCRAM-SHA-256 or SCRAM-SHA-512", code: 400 }, 400);
  const problem = passwordProblem(body?.password);
  if (problem) return c.json({ message: problem, code: 400 }, 400);
  return apply(c, backend, { name, set: [deriveCredential(algorithm, body.password)], remove: [], replace: true, expect });
}

async function apply(c: Context, backend: UsersBackend, change: UserChange) {
  const [outcome] = await backend.alterUsers([change]);
  if (outcome.errorCode !== ErrorCode.NONE) {
    const status = STATUS_BY_ERROR[outcome.errorCode] ?? 400;
    return c.json({ message: outcome.errorMessage, code: status }, status);
  }
  return c.json({});
}
