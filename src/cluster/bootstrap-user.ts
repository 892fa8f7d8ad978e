/**
 * `SKUA_BOOTSTRAP_USER=name:password[:SCRAM-SHA-256|SCRAM-SHA-512]` (Redpanda's RP_BOOTSTRAP_USER):
 * creates that user at start when it does not exist, so a broker whose admin API asks for logins
 * can be given its first one. An existing user is left as it is (its password is not reset).
 */
import { ErrorCode } from "../protocol/errors.ts";
import { deriveCredential, isScramMechanism, passwordProblem, userNameProblem, type ScramMechanism, type UserChange, type UserOutcome, type UserRecord } from "./users.ts";

export interface BootstrapLogin {
  name: string;
  password: string;
  mechanism: ScramMechanism;
}

/** Parses the variable's value; throws an Error naming it when it is malformed. */
export function parseBootstrapUser(value: string): BootstrapLogin {
  const colon = value.indexOf(":");
  const name = colon < 0 ? value : value.slice(0, colon);
  let password = colon < 0 ? "" : value.slice(colon + 1);
  let mechanism: ScramMechanism = "SCRAM-SHA-256";
  const last = password.lastIndexOf(":");
  const tail = last < 0 ? "" : password.slice(last + 1);
  if (isScramMechanism(tail)) [password, mechanism] = [password.slice(0, last), tail];
  const problem = userNameProblem(name) ?? passwordProblem(password);
  if (colon < 0 || problem) throw new Error(`SKUA_BOOTSTRAP_USER must be name:password[:SCRAM-SHA-256|SCRAM-SHA-512]${problem ? `: ${problem}` : ""}`);
  return { name, password, mechanism };
}

export async function bootstrapUser(
  value: string | undefined,
  users: { user(name: string): UserRecord | undefined },
  service: { alterUsers(changes: UserChange[]): Promise<UserOutcome[]> },
  log: { info(message: string, fields?: Record<string, unknown>): void },
): Promise<void> {
  if (!value) return;
  const login = parseBootstrapUser(value);
  if (users.user(login.name)) return;
  const change: UserChange = { name: login.name, set: [deriveCredential(login.mechanism, login.password)], remove: [], replace: true, expect: "create" };
  const [outcome] = await service.alterUsers([change]);
  if (outcome.errorCode !== ErrorCode.NONE) throw new Error(`SKUA_BOOTSTRAP_USER: ${outcome.errorMessage}`);
  log.info("created the bootstrap user", { user: login.name, mechanism: login.mechanism });
}
