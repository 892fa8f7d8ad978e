import { expect, test } from "bun:test";
import { MetadataTable } from "../../cluster/metadata.ts";
import { deriveCredential } from "../../cluster/users.ts";
import { ErrorCode, ProtocolError } from "../../protocol/errors.ts";
import { SaslSession, type SaslFailure } from "./session.ts";

const utf8 = new TextEncoder();
const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [], users: [{ name: "u", credentials: [deriveCredential("SCRAM-SHA-256", "pw")] }] });

function session(options: { enabled?: boolean; reauthMs?: number } = {}) {
  let nowMs = 1000;
  const failures: SaslFailure[] = [];
  const s = new SaslSession({ enabled: options.enabled ?? true, mechanisms: ["SCRAM-SHA-256", "PLAIN"], reauthMs: options.reauthMs ?? -1, clock: { nowMs: () => nowMs }, metadata: () => table, onFailure: (f) => failures.push(f) });
  return { s, failures, advance: (ms: number) => (nowMs += ms) };
}

test("disabled: every request passes, SASL requests get ILLEGAL_SASL_STATE", () => {
  const { s } = session({ enabled: false });
  expect(() => s.admit(3)).not.toThrow();
  expect(s.handshake("PLAIN", 1).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
  expect(s.authenticate(new Uint8Array(0)).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
});

test("enabled: only ApiVersions and SASL requests before login; wrong order is ILLEGAL_SASL_STATE", () => {
  const { s, failures } = session();
  expect(() => s.admit(18)).not.toThrow();
  expect(() => s.admit(3)).toThrow(ProtocolError);
  expect(s.authenticate(utf8.encode("\0u\0pw")).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
  expect(s.handshake("SCRAM-SHA-512", 1)).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ["SCRAM-SHA-256", "PLAIN"] });
  expect(s.handshake("PLAIN", 1).errorCode).toBe(ErrorCode.NONE);
  const wrong = s.authenticate(utf8.encode("\0u\0nope"));
  expect(wrong).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, delayMs: 100 });
  expect(failures).toEqual([{ mechanism: "PLAIN", user: "u", reason: "invalid credentials" }]);
  s.handshake("PLAIN", 1);
  expect(s.authenticate(utf8.encode("\0u\0nope")).delayMs).toBe(200); // repeated failures wait longer
  s.handshake("PLAIN", 1);
  expect(s.authenticate(utf8.encode("\0u\0pw")).errorCode).toBe(ErrorCode.NONE);
  expect(s.authenticatedUser).toBe("u");
  expect(() => s.admit(3)).not.toThrow();
});

test("SaslHandshake v0: the next frame is a raw token, answered framed by its length", () => {
  const { s } = session();
  s.handshake("PLAIN", 0);
  expect(s.expectsRawToken).toBe(true);
  const { reply } = s.rawToken(utf8.encode("\0u\0pw"));
  expect(reply).toEqual(new Uint8Array([0, 0, 0, 0]));
  expect(s.expectsRawToken).toBe(false);
  expect(s.authenticatedUser).toBe("u");
});

test("a session past kafka_sasl_max_reauth_ms is closed on its next request unless it logs in again", () => {
  const { s, advance } = session({ reauthMs: 5000 });
  s.handshake("PLAIN", 1);
  expect(s.authenticate(utf8.encode("\0u\0pw")).sessionLifetimeMs).toBe(5000);
  advance(4999);
  expect(() => s.admit(3)).not.toThrow();
  advance(1);
  expect(() => s.admit(3)).toThrow("SASL session expired");
  expect(s.handshake("PLAIN", 1).errorCode).toBe(ErrorCode.NONE); // re-authentication (KIP-368)
  expect(s.authenticate(utf8.encode("\0u\0pw")).errorCode).toBe(ErrorCode.NONE);
  expect(() => s.admit(3)).not.toThrow();
});

test("too many failed logins close the connection", () => {
  const { s } = session();
  const attempt = () => (s.handshake("PLAIN", 1), s.authenticate(utf8.encode("\0u\0nope")));
  for (let i = 0; i < 10; i++) expect(attempt().errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  expect(attempt).toThrow(ProtocolError);
});
