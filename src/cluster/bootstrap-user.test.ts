import { expect, test } from "bun:test";
import { bootstrapUser, parseBootstrapUser } from "./bootstrap-user.ts";
import { passwordMatches, type UserChange, type UserRecord } from "./users.ts";

test("SKUA_BOOTSTRAP_USER is name:password with an optional mechanism", () => {
  expect(parseBootstrapUser("admin:se:cret")).toEqual({ name: "admin", password: "se:cret", mechanism: "SCRAM-SHA-256" });
  expect(parseBootstrapUser("admin:secret:SCRAM-SHA-512")).toEqual({ name: "admin", password: "secret", mechanism: "SCRAM-SHA-512" });
  for (const bad of ["admin", "admin:", ":secret"]) expect(() => parseBootstrapUser(bad)).toThrow("SKUA_BOOTSTRAP_USER");
});

test("the bootstrap user is created once and an existing one is left alone", async () => {
  const users = new Map<string, UserRecord>();
  const changes: UserChange[] = [];
  const service = {
    alterUsers: async (requested: UserChange[]) => {
      changes.push(...requested);
      for (const c of requested) users.set(c.name, { name: c.name, credentials: c.set });
      return requested.map((c) => ({ name: c.name, errorCode: 0, errorMessage: null }));
    },
  };
  const log = { info: () => {} };
  await bootstrapUser("admin:secret", { user: (n) => users.get(n) }, service, log);
  expect(passwordMatches(users.get("admin")!.credentials[0], "secret")).toBe(true);
  await bootstrapUser("admin:other", { user: (n) => users.get(n) }, service, log);
  expect(changes).toHaveLength(1);
  await bootstrapUser(undefined, { user: (n) => users.get(n) }, service, log);
  expect(changes).toHaveLength(1);
});
