/**
 * Logging a connection in with SASL (SaslHandshake v1, then SaslAuthenticate v2 carrying the
 * tokens): PLAIN, or SCRAM-SHA-256/512 as RFC 5802 describes the client's side, checking the
 * server's signature at the end (a broker that does not know the password cannot fake it).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import type { Connection } from "./connection.ts";
import { KafkaError, TransportError } from "./errors.ts";

export const SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export interface SaslLogin {
  mechanism: SaslMechanism;
  user: string;
  password: string;
}

const HANDSHAKE = 17;
const AUTHENTICATE = 36;

export async function saslLogin(connection: Connection, login: SaslLogin): Promise<void> {
  const handshake = await connection.request(HANDSHAKE, 1, { mechanism: login.mechanism });
  if (handshake.errorCode !== 0) throw new KafkaError(handshake.errorCode, `SASL ${login.mechanism} (broker offers ${handshake.mechanisms.join(", ") || "none"})`);
  const step = async (token: string): Promise<string> => {
    const answer = await connection.request(AUTHENTICATE, 2, { authBytes: new TextEncoder().encode(token) });
    if (answer.errorCode !== 0) throw new KafkaError(answer.errorCode, `SASL login as '${login.user}'`, answer.errorMessage);
    return new TextDecoder().decode(answer.authBytes);
  };
  if (login.mechanism === "PLAIN") {
    await step(`\0${login.user}\0${login.password}`);
    return;
  }
  await scram(login, step);
}

async function scram(login: SaslLogin, step: (token: string) => Promise<string>): Promise<void> {
  const hash = login.mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512";
  const hmac = (key: Uint8Array, data: string) => createHmac(hash, key).update(data).digest();
  const clientNonce = randomBytes(24).toString("base64");
  const firstBare = `n=${login.user.replace(/=/g, "=3D").replace(/,/g, "=2C")},r=${clientNonce}`;
  const serverFirst = await step(`n,,${firstBare}`);
  const fields = new Map(serverFirst.split(",").map((part) => [part.slice(0, 1), part.slice(2)]));
  const nonce = fields.get("r") ?? "";
  const iterations = Number(fields.get("i"));
  if (!nonce.startsWith(clientNonce) || !fields.has("s") || !Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) {
    throw new TransportError(`SASL ${login.mechanism}: malformed server-first message`);
  }
  const salted = pbkdf2Sync(Buffer.from(login.password, "utf8"), Buffer.from(fields.get("s")!, "base64"), iterations, hash === "sha256" ? 32 : 64, hash);
  const clientKey = hmac(salted, "Client Key");
  const finalWithoutProof = `c=biws,r=${nonce}`;
  const authMessage = `${firstBare},${serverFirst},${finalWithoutProof}`;
  const signature = hmac(createHash(hash).update(clientKey).digest(), authMessage);
  const proof = Buffer.from(clientKey.map((byte, i) => byte ^ signature[i]!));
  const serverFinal = await step(`${finalWithoutProof},p=${proof.toString("base64")}`);
  const expected = hmac(hmac(salted, "Server Key"), authMessage).toString("base64");
  if (serverFinal !== `v=${expected}`) throw new TransportError(`SASL ${login.mechanism}: the broker's signature does not match`);
}
