/**
 * SASL users: their SCRAM credentials (RFC 5802) as the metadata keeps them, salted and
 * iterated (salt, iterations, StoredKey, ServerKey: never the password), and the checks and
 * plans for changing them. PLAIN logins check against the same credentials.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { limits } from "../base/limits.ts";
import { ErrorCode } from "../protocol/errors.ts";

export const SCRAM_MECHANISMS = ["SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

/** RFC 7677 asks for at least 4096; Kafka accepts up to 16384. */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;
const SALT_BYTES = 32;

export interface ScramCredential {
  mechanism: ScramMechanism;
  iterations: number;
  /** base64 */
  salt: string;
  storedKey: string;
  serverKey: string;
}

export interface UserRecord {
  name: string;
  credentials: ScramCredential[];
}

const HASHES = { "SCRAM-SHA-256": { name: "sha256", bytes: 32 }, "SCRAM-SHA-512": { name: "sha512", bytes: 64 } } as const;

export function hashName(mechanism: ScramMechanism): "sha256" | "sha512" {
  return HASHES[mechanism].name;
}

export function hmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac(hashName(mechanism), key).update(data).digest();
}

export function digest(mechanism: ScramMechanism, data: Uint8Array): Buffer {
  return createHash(hashName(mechanism)).update(data).digest();
}

/** Hi() of RFC 5802 is PBKDF2 with HMAC and one block. */
export function saltedPassword(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(password, "utf8") /* as Kafka: no SASLprep */, salt, iterations, HASHES[mechanism].bytes, hashName(mechanism));
}

/** The stored form of a salted password (AlterUserScramCredentials sends it salted already). */
export function credentialFromSalted(mechanism: ScramMechanism, salted: Uint8Array, salt: Uint8Array, iterations: number): ScramCredential {
  const clientKey = hmac(mechanism, salted, "Client Key");
  return {
    mechanism,
    iterations,
    salt: Buffer.from(salt).toString("base64"),
    storedKey: digest(mechanism, clientKey).toString("base64"),
    serverKey: hmac(mechanism, salted, "Server Key").toString("base64"),
  };
}

export function deriveCredential(mechanism: ScramMechanism, password: string, iterations = SCRAM_ITERATIONS_MIN, salt: Uint8Array = randomBytes(SALT_BYTES)): ScramCredential {
  return credentialFromSalted(mechanism, saltedPassword(mechanism, password, salt, iterations), salt, iterations);
}

/** Constant-time: derives with the stored salt and compares StoredKey. */
export function passwordMatches(credential: ScramCredential, password: string): boolean {
  const derived = deriveCredential(credential.mechanism, password, credential.iterations, Buffer.from(credential.salt, "base64"));
  return timingSafeEqual(Buffer.from(derived.storedKey, "base64"), Buffer.from(credential.storedKey, "base64"));
}

/** Why a user name cannot be used, or null. */
export function userNameProblem(name: string): string | null {
  if (name.length === 0) return "user name is empty";
  if (name.length > limits.saslUserNameCharsMax) return `user name is longer than ${limits.saslUserNameCharsMax} characters`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return "user name has control characters";
  return null;
}

export function passwordProblem(password: unknown): string | null {
  if (typeof password !== "string" || password.length === 0) return "password must be a non-empty string";
  if (password.length > limits.saslPasswordCharsMax) return `password is longer than ${limits.saslPasswordCharsMax} characters`;
  return null;
}

export function isScramMechanism(name: string): name is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(name);
}

/** One user's change: set credentials (per mechanism) and remove mechanisms; `replace` drops all others. */
export interface UserChange {
  name: string;
  set: ScramCredential[];
  remove: ScramMechanism[];
  replace: boolean;
  /** "create": the user must not exist; "update": it must; "any": either. */
  expect: "create" | "update" | "any";
}

export interface UserOutcome {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

/** The user's credentials after `change`, or the error code that refuses it. */
export function planUserChange(current: UserRecord | undefined, change: UserChange, userCount: number): { credentials: ScramCredential[] } | UserOutcome {
  const fail = (errorCode: number, errorMessage: string) => ({ name: change.name, errorCode, errorMessage });
  const problem = userNameProblem(change.name);
  if (problem) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, problem);
  if (change.expect === "create" && current) return fail(ErrorCode.DUPLICATE_RESOURCE, `user '${change.name}' already exists`);
  if (change.expect === "update" && !current) return fail(ErrorCode.RESOURCE_NOT_FOUND, `no user '${change.name}'`);
  if (!current && change.set.length > 0 && userCount >= limits.saslUsersMax) return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `at most ${limits.saslUsersMax} users`);
  const had = change.replace ? [] : (current?.credentials ?? []);
  for (const mechanism of change.remove) {
    if (!had.some((c) => c.mechanism === mechanism)) return fail(ErrorCode.RESOURCE_NOT_FOUND, `user '${change.name}' has no ${mechanism} credential`);
  }
  for (const credential of change.set) {
    if (credential.iterations < SCRAM_ITERATIONS_MIN || credential.iterations > SCRAM_ITERATIONS_MAX) {
      return fail(ErrorCode.UNACCEPTABLE_CREDENTIAL, `iterations must be ${SCRAM_ITERATIONS_MIN}..${SCRAM_ITERATIONS_MAX}, got ${credential.iterations}`);
    }
  }
  const mechanisms = new Set([...change.remove, ...change.set.map((c) => c.mechanism)]);
  return { credentials: [...had.filter((c) => !mechanisms.has(c.mechanism)), ...change.set] };
}
