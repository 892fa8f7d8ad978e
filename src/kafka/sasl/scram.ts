/**
 * SCRAM-SHA-256 / SCRAM-SHA-512, server side (RFC 5802, RFC 7677): client-first → server-first
 * (nonce, salt, iterations) → client-final (proof) → server-final (signature). No channel
 * binding (a plaintext listener), no extensions (no delegation tokens).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { deriveCredential, digest, hmac, type ScramCredential, type ScramMechanism } from "../../cluster/users.ts";
import { failed, type SaslExchange, type SaslStep } from "./exchange.ts";

const NONCE_BYTES = 24; // sent as base64url: no "=", which librdkafka reads as the end of the nonce
const utf8 = new TextEncoder();
const fatalDecoder = new TextDecoder("utf-8", { fatal: true });

export function scramExchange(
  mechanism: ScramMechanism,
  lookup: (user: string) => ScramCredential | undefined,
  serverNonce: () => string = () => randomBytes(NONCE_BYTES).toString("base64url"),
): SaslExchange {
  let state: { user: string; credential: ScramCredential; known: boolean; nonce: string; clientNonce: string; firstBare: string; serverFirst: string; gs2: string } | null = null;
  let finished = false;
  return {
    step(token: Uint8Array): SaslStep {
      if (finished) return failed("SCRAM exchange already finished");
      const text = decodeText(token);
      if (text === null) return (finished = true), failed("SCRAM message is not UTF-8");
      if (!state) {
        const first = parseClientFirst(text);
        if (typeof first === "string") return (finished = true), failed(first);
        const stored = lookup(first.user);
        // An unknown user gets a made-up salt, so the answer does not tell who exists.
        const credential = stored?.mechanism === mechanism ? stored : deriveCredential(mechanism, randomBytes(16).toString("base64"));
        const nonce = first.nonce + serverNonce();
        const serverFirst = `r=${nonce},s=${credential.salt},i=${credential.iterations}`;
        state = { user: first.user, credential, known: stored?.mechanism === mechanism, nonce, clientNonce: first.nonce, firstBare: first.bare, serverFirst, gs2: first.gs2 };
        return { kind: "continue", reply: utf8.encode(serverFirst) };
      }
      finished = true;
      return clientFinal(mechanism, state, text);
    },
  };
}

function clientFinal(mechanism: ScramMechanism, s: { user: string; credential: ScramCredential; known: boolean; nonce: string; clientNonce: string; firstBare: string; serverFirst: string; gs2: string }, text: string): SaslStep {
  const proofAt = text.lastIndexOf(",p=");
  if (proofAt < 0) return failed("client-final-message has no proof", s.user);
  const withoutProof = text.slice(0, proofAt);
  const attrs = withoutProof.split(",");
  if (attrs[0] !== `c=${Buffer.from(s.gs2).toString("base64")}`) return failed("channel binding does not match the client-first-message", s.user);
  // The librdkafka build here echoes its own nonce before the combined one: accepted, as the server's part is still checked.
  if (attrs[1] !== `r=${s.nonce}` && attrs[1] !== `r=${s.clientNonce}${s.nonce}`) return failed("nonce does not match", s.user);
  const proof = Buffer.from(text.slice(proofAt + 3), "base64");
  const storedKey = Buffer.from(s.credential.storedKey, "base64");
  if (proof.length !== storedKey.length) return failed("proof has the wrong length", s.user);
  const authMessage = `${s.firstBare},${s.serverFirst},${withoutProof}`;
  const clientSignature = hmac(mechanism, storedKey, authMessage);
  const clientKey = Buffer.alloc(proof.length);
  for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ clientSignature[i];
  const matches = timingSafeEqual(digest(mechanism, clientKey), storedKey);
  if (!matches || !s.known) return failed("invalid credentials", s.user);
  const serverSignature = hmac(mechanism, Buffer.from(s.credential.serverKey, "base64"), authMessage);
  return { kind: "done", reply: utf8.encode(`v=${serverSignature.toString("base64")}`), user: s.user };
}

interface ClientFirst {
  gs2: string;
  bare: string;
  user: string;
  nonce: string;
}

/** gs2-header ("n,," or "y,,", with an optional a=authzid) then n=user,r=nonce. */
export function parseClientFirst(text: string): ClientFirst | string {
  const match = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
  if (!match) return text.startsWith("p=") ? "channel binding is not supported" : "client-first-message has no gs2 header";
  const bare = match[3];
  const attrs = bare.split(",");
  if (!attrs[0]?.startsWith("n=") || !attrs[1]?.startsWith("r=")) return "client-first-message must start n=user,r=nonce";
  if (attrs.length > 2) return "SCRAM extensions are not supported";
  const user = unescapeName(attrs[0].slice(2));
  if (user === null) return "user name has a bad '=' escape";
  const nonce = attrs[1].slice(2);
  if (nonce.length === 0 || !/^[\x21-\x2b\x2d-\x7e]+$/.test(nonce)) return "client nonce is empty or not printable";
  if (match[2] && unescapeName(match[2].slice(2)) !== user) return "authorization id differs from the user name";
  return { gs2: `${match[1]},${match[2] ?? ""},`, bare, user, nonce };
}

/** saslname: ',' is sent as =2C and '=' as =3D; any other '=' is an error. */
function unescapeName(name: string): string | null {
  if (/=(?!2C|3D)/.test(name)) return null;
  return name.replace(/=2C/g, ",").replace(/=3D/g, "=");
}

export function decodeText(token: Uint8Array): string | null {
  try {
    return fatalDecoder.decode(token);
  } catch {
    return null;
  }
}
