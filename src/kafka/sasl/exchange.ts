/** One SASL mechanism's server side: each client token in, a reply out, until done or failed. */
export type SaslStep =
  | { kind: "continue"; reply: Uint8Array }
  | { kind: "done"; reply: Uint8Array; user: string }
  | { kind: "failed"; reason: string; user: string | null };

export interface SaslExchange {
  step(token: Uint8Array): SaslStep;
}

export const failed = (reason: string, user: string | null = null): SaslStep => ({ kind: "failed", reason, user });
