/**
 * One connection's SASL state (SASL_PLAINTEXT, or SASL_SSL on a TLS listener): which requests it
 * may send, the handshake, the exchange with the chosen mechanism (over SaslAuthenticate, or as raw length-framed tokens
 * after a SaslHandshake v0), the logged-in user and when its session ends (KIP-368).
 * State changes happen synchronously as each frame is dispatched, so they follow frame order.
 */
import type { Clock } from "../../base/clock.ts";
import { limits } from "../../base/limits.ts";
import type { MetadataTable } from "../../cluster/metadata.ts";
import { isScramMechanism } from "../../cluster/users.ts";
import { ANONYMOUS_PRINCIPAL } from "../../cluster/acls.ts";
import { ErrorCode, ProtocolError } from "../../protocol/errors.ts";
import type { SaslExchange } from "./exchange.ts";
import { plainExchange } from "./plain.ts";
import { scramExchange } from "./scram.ts";

export const SASL_HANDSHAKE_KEY = 17;
export const API_VERSIONS_KEY = 18;
export const SASL_AUTHENTICATE_KEY = 36;

/** The delay before the answer to a connection's first failed login; it doubles with each one after. */
const FAILURE_DELAY_FIRST_MS = 100;
const FAILURE_DELAY_MAX_MS = 5000;

export interface SaslFailure {
  mechanism: string;
  user: string | null;
  reason: string;
}

export interface SaslSettings {
  enabled: boolean;
  mechanisms: string[];
  /** <= 0: sessions never end. */
  reauthMs: number;
  clock: Clock;
  metadata(): MetadataTable;
  onFailure(failure: SaslFailure): void;
  /** The client's IP address (what ACL hosts are matched against). */
  remoteHost?: string;
  /** The delay before the first failed login's answer (default 100 ms; tests make it 0). */
  failureDelayFirstMs?: number;
}

export interface AuthenticateAnswer {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Uint8Array;
  sessionLifetimeMs: number;
  /** Wait this long before answering (a failed login). */
  delayMs: number;
}

export class SaslSession {
  private user: string | null = null;
  private expiresAtMs: number | null = null;
  private mechanism: string | null = null;
  private exchange: SaslExchange | null = null;
  private rawTokens = false;
  private failures = 0;

  constructor(private readonly settings: SaslSettings) {}

  get authenticatedUser(): string | null {
    return this.user;
  }

  /** The principal ACLs name: User:<name> once logged in, else User:ANONYMOUS (as Kafka). */
  get principal(): string {
    return this.user === null ? ANONYMOUS_PRINCIPAL : `User:${this.user}`;
  }

  get remoteHost(): string {
    return this.settings.remoteHost ?? "";
  }

  /** After a SaslHandshake v0 the next frames are SASL tokens, not Kafka requests. */
  get expectsRawToken(): boolean {
    return this.rawTokens;
  }

  /** Throws (closing the connection) when this request may not be sent now. */
  admit(apiKey: number): void {
    if (!this.settings.enabled || apiKey === API_VERSIONS_KEY || apiKey === SASL_HANDSHAKE_KEY || apiKey === SASL_AUTHENTICATE_KEY) return;
    if (this.user === null) throw new ProtocolError(`API key ${apiKey} before SASL authentication`);
    if (this.expiresAtMs !== null && this.settings.clock.nowMs() >= this.expiresAtMs) throw new ProtocolError("SASL session expired without re-authentication");
  }

  handshake(mechanism: string, version: number): { errorCode: number; mechanisms: string[] } {
    const { enabled, mechanisms } = this.settings;
    if (!enabled || this.exchange !== null || (this.user !== null && version === 0)) {
      this.exchange = null;
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: enabled ? mechanisms : [] };
    }
    if (!mechanisms.includes(mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    this.mechanism = mechanism;
    this.exchange = this.newExchange(mechanism);
    this.rawTokens = version === 0;
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  authenticate(token: Uint8Array): AuthenticateAnswer {
    if (!this.settings.enabled || this.exchange === null || this.rawTokens) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: "SaslAuthenticate without a SaslHandshake v1 before it", authBytes: new Uint8Array(0), sessionLifetimeMs: 0, delayMs: 0 };
    }
    return this.step(token);
  }

  /** A raw token (after SaslHandshake v0): the reply, framed by its length. Failure closes the connection. */
  rawToken(token: Uint8Array): { reply: Uint8Array | null; delayMs: number } {
    const answer = this.step(token);
    if (answer.errorCode !== ErrorCode.NONE) return { reply: null, delayMs: answer.delayMs };
    const framed = new Uint8Array(4 + answer.authBytes.length);
    new DataView(framed.buffer).setInt32(0, answer.authBytes.length);
    framed.set(answer.authBytes, 4);
    return { reply: framed, delayMs: 0 };
  }

  private step(token: Uint8Array): AuthenticateAnswer {
    const mechanism = this.mechanism!;
    const result = token.length > limits.saslTokenBytesMax
      ? { kind: "failed" as const, reason: `SASL token of ${token.length} bytes (limit ${limits.saslTokenBytesMax})`, user: null }
      : this.exchange!.step(token);
    if (result.kind === "continue") return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: result.reply, sessionLifetimeMs: 0, delayMs: 0 };
    this.exchange = null;
    this.rawTokens = false;
    if (result.kind === "done" && (this.user === null || this.user === result.user)) {
      this.user = result.user;
      const { reauthMs, clock } = this.settings;
      this.expiresAtMs = reauthMs > 0 ? clock.nowMs() + reauthMs : null;
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: result.reply, sessionLifetimeMs: Math.max(0, reauthMs), delayMs: 0 };
    }
    const reason = result.kind === "failed" ? result.reason : "re-authentication as another user";
    return this.fail({ mechanism, user: result.user, reason });
  }

  private fail(failure: SaslFailure): AuthenticateAnswer {
    this.settings.onFailure(failure);
    this.failures++;
    if (this.failures > limits.saslFailuresPerConnectionMax) throw new ProtocolError(`more than ${limits.saslFailuresPerConnectionMax} failed SASL logins`);
    const delayMs = Math.min((this.settings.failureDelayFirstMs ?? FAILURE_DELAY_FIRST_MS) * 2 ** (this.failures - 1), FAILURE_DELAY_MAX_MS);
    const errorMessage = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${failure.mechanism}`;
    return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage, authBytes: new Uint8Array(0), sessionLifetimeMs: 0, delayMs };
  }

  private newExchange(mechanism: string): SaslExchange {
    const users = () => this.settings.metadata();
    if (isScramMechanism(mechanism)) return scramExchange(mechanism, (name) => users().user(name)?.credentials.find((c) => c.mechanism === mechanism));
    return plainExchange((name) => users().user(name)?.credentials ?? []);
  }
}
