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

/** One connection's identity: set by the TLS handshake (mtls_identity) or read from its SASL login. */
export class ConnectionIdentity implements ClientConnection {
  private certificateUser: string | null = null;

  constructor(
    readonly listener: string,
    readonly advertised: { host: string; port: number },
    readonly remote: string,
    private readonly authentication: AuthenticationMethod,
    private readonly sasl: SaslSession,
  ) {}

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
