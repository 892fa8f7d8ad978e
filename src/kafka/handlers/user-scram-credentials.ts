/**
 * DescribeUserScramCredentials (50) v0 and AlterUserScramCredentials (51) v0: the SASL users
 * in the controller's metadata. Mechanism numbers as Kafka's ScramMechanism: 1 SHA-256, 2 SHA-512.
 * Describing needs DESCRIBE on the cluster, altering ALTER on it (else CLUSTER_AUTHORIZATION_FAILED).
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { credentialFromSalted, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, type ScramCredential, type ScramMechanism, type UserChange } from "../../cluster/users.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type {
  AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse, AlterUserScramCredentialsResult,
  DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse, DescribeUserScramCredentialsResult,
} from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";

const MECHANISM_BY_ID: Record<number, ScramMechanism> = { 1: "SCRAM-SHA-256", 2: "SCRAM-SHA-512" };
const SALT_BYTES_MAX = 1024;
const ID_BY_MECHANISM: Record<ScramMechanism, number> = { "SCRAM-SHA-256": 1, "SCRAM-SHA-512": 2 };

export const describeUserScramCredentialsHandler = defineHandler({
  apiKey: 50,
  name: "DescribeUserScramCredentials",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: DescribeUserScramCredentialsRequest): Promise<DescribeUserScramCredentialsResponse> {
    if (!context.authorize("DESCRIBE", "cluster", CLUSTER_RESOURCE_NAME)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: "not authorized to describe users", results: [] };
    }
    const table = context.metadata();
    const names = request.users && request.users.length > 0 ? request.users.map((u) => u.name) : [...table.users()].map((u) => u.name);
    const results = [...new Set(names)].map((user): DescribeUserScramCredentialsResult => {
      const fail = (errorCode: number, errorMessage: string) => ({ user, errorCode, errorMessage, credentialInfos: [] });
      if (names.filter((n) => n === user).length > 1) return fail(ErrorCode.DUPLICATE_RESOURCE, `user '${user}' is named twice in one request`);
      const record = table.user(user);
      if (!record) return fail(ErrorCode.RESOURCE_NOT_FOUND, `no credentials for user '${user}'`);
      const credentialInfos = record.credentials.map((c) => ({ mechanism: ID_BY_MECHANISM[c.mechanism], iterations: c.iterations }));
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
});

export const alterUserScramCredentialsHandler = defineHandler({
  apiKey: 51,
  name: "AlterUserScramCredentials",
  minVersion: 0,
  maxVersion: 0,
  async handle(context: BrokerContext, request: AlterUserScramCredentialsRequest): Promise<AlterUserScramCredentialsResponse> {
    const users = [...new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)])];
    if (!context.authorize("ALTER", "cluster", CLUSTER_RESOURCE_NAME)) {
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: "not authorized to alter users" })) };
    }
    const refused = new Map<string, AlterUserScramCredentialsResult>();
    const changes: UserChange[] = [];
    for (const user of users) {
      const change = userChange(user, request);
      if ("errorCode" in change) refused.set(user, change);
      else changes.push(change);
    }
    const outcomes = changes.length > 0 ? await context.callController("alterUsers", { changes }) : [];
    const byUser = new Map(outcomes.map((o) => [o.name, o]));
    const results = users.map((user) => {
      const outcome = refused.get(user) ?? byUser.get(user)!;
      return { user, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
    });
    return { throttleTimeMs: 0, results };
  },
});

/** One user's deletions and upsertions as one change, or why they are refused (as Kafka checks them). */
function userChange(user: string, request: AlterUserScramCredentialsRequest): UserChange | AlterUserScramCredentialsResult {
  const fail = (errorCode: number, errorMessage: string) => ({ user, errorCode, errorMessage });
  const deletions = request.deletions.filter((d) => d.name === user);
  const upsertions = request.upsertions.filter((u) => u.name === user);
  const ids = [...deletions, ...upsertions].map((x) => x.mechanism);
  if (ids.some((id) => !MECHANISM_BY_ID[id])) return fail(ErrorCode.UNSUPPORTED_SASL_MECHANISM, `unknown SCRAM mechanism; known: 1 (SCRAM-SHA-256), 2 (SCRAM-SHA-512)`);
  if (new Set(ids).size !== ids.length) return fail(ErrorCode.DUPLICATE_RESOURCE, `a mechanism of user '${user}' is named twice in one request`);
  const set: ScramCredential[] = [];
  for (const u of upsertions) {
    if (u.iterations < SCRAM_ITERATIONS_MIN || u.iterations > SCRAM_ITERATIONS_MAX) {
      return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `iterations must be ${SCRAM_ITERATIONS_MIN}..${SCRAM_ITERATIONS_MAX}, got ${u.iterations}`);
    }
    const mechanism = MECHANISM_BY_ID[u.mechanism];
    const hashBytes = mechanism === "SCRAM-SHA-256" ? 32 : 64;
    if (u.salt.length === 0 || u.salt.length > SALT_BYTES_MAX || u.saltedPassword.length !== hashBytes) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `salt must be 1..${SALT_BYTES_MAX} bytes and the salted password must be ${hashBytes} bytes`);
    set.push(credentialFromSalted(mechanism, u.saltedPassword, u.salt, u.iterations));
  }
  return { name: user, set, remove: deletions.map((d) => MECHANISM_BY_ID[d.mechanism]), replace: false, expect: "any" };
}
