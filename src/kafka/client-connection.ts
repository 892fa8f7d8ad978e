/**
 * Who is on the other end of a Kafka connection, as handlers (and later ACLs and quotas) see it:
 * the listener it came in on, what that listener advertises, and its principal.
 */
import type { SaslSession } from "./sasl/session.ts";

/** Kafka's principal for a connection that does not authenticate (PLAINTEXT, or SSL without mtls_identity). */
export const ANONYMOUS_PRINCIPAL = "User:ANONYMOUS";

export interface ClientConnection {
  /** The listener's name ("" for an unnamed one). */
  readonly listener: string;
  readonly advertised: { host: string; port: number };
  readonly remote: string;
  /** `User:<name>`; null while a SASL connection has not logged in (or an mTLS one finished its handshake). */
  readonly principal: string | null;
}

export type AuthenticationMethod = "sasl" | "mtls_identity" | "none";

/** An open connection as the admin API lists it (`GET /v1/kafka/connections`). */
export interface ConnectionSummary {
  listener: string;
  remote: string;
  tls: boolean;
  authentication: AuthenticationMethod;
  principal: string | null;
  openedAtMs: number;
}

/** One connection's identity: set by the TLS handshake (mtls_identity) or read from its SASL login. */
export class ConnectionIdentity implements ClientConnection {
  private certificateUser: string | null = null;

  constructor(
    readonly listener: string,
    readonly advertised: { host: string; port: number },
    readonly remote: string,
    private readonly authentication: AuthenticationMethod,
    private readonly sasl: SaslSession,
    private readonly tls: boolean,
    private readonly openedAtMs: number,
  ) {}

  summary(): ConnectionSummary {
    return { listener: this.listener, remote: this.remote, tls: this.tls, authentication: this.authentication, principal: this.principal, openedAtMs: this.openedAtMs };
  }

  get principal(): string | null {
    if (this.authentication === "none") return ANONYMOUS_PRINCIPAL;
    const user = this.authentication === "sasl" ? this.sasl.authenticatedUser : this.certificateUser;
    return user === null ? null : `User:${user}`;
  }

  /** The user the client certificate's subject mapped to (mtls_identity). */
  setCertificateUser(user: string): void {
    this.certificateUser = user;
  }

  /** An mTLS connection may send nothing before its certificate named a user. */
  get mayDispatch(): boolean {
    return this.authentication !== "mtls_identity" || this.certificateUser !== null;
  }
}
