import { expect, test } from "bun:test";
import { deriveCredential, passwordMatches } from "../../cluster/users.ts";
import { plainExchange } from "./plain.ts";
import { scramExchange } from "./scram.ts";

const utf8 = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

// RFC 7677 section 3: user "user", password "pencil", 4096 iterations.
const SALT = Buffer.from("W22ZaJ0SNY7soEsUEjb6gQ==", "base64");
const CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
const SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

const pencil = deriveCredential("SCRAM-SHA-256", "pencil", 4096, SALT);

test("SCRAM-SHA-256 follows RFC 7677's example exchange", () => {
  const exchange = scramExchange("SCRAM-SHA-256", (u) => (u === "user" ? pencil : undefined), () => SERVER_NONCE);
  const first = exchange.step(utf8.encode(CLIENT_FIRST));
  expect(first.kind).toBe("continue");
  expect(text((first as { reply: Uint8Array }).reply)).toBe("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  const final = exchange.step(utf8.encode(CLIENT_FINAL));
  expect(final).toEqual({ kind: "done", reply: utf8.encode(SERVER_FINAL), user: "user" });
});

test("a wrong proof, a changed nonce and an unknown user fail", () => {
  const other = deriveCredential("SCRAM-SHA-256", "not pencil", 4096, SALT);
  const wrong = scramExchange("SCRAM-SHA-256", () => other, () => SERVER_NONCE);
  wrong.step(utf8.encode(CLIENT_FIRST));
  expect(wrong.step(utf8.encode(CLIENT_FINAL)).kind).toBe("failed");

  const nonce = scramExchange("SCRAM-SHA-256", () => pencil, () => "different");
  nonce.step(utf8.encode(CLIENT_FIRST));
  expect(nonce.step(utf8.encode(CLIENT_FINAL))).toMatchObject({ kind: "failed", reason: "nonce does not match" });

  const unknown = scramExchange("SCRAM-SHA-256", () => undefined, () => SERVER_NONCE);
  expect(unknown.step(utf8.encode(CLIENT_FIRST)).kind).toBe("continue"); // a made-up salt: does not tell who exists
  expect(unknown.step(utf8.encode(CLIENT_FINAL)).kind).toBe("failed");
});

test("malformed client-first messages fail", () => {
  for (const bad of ["", "p=tls-unique,,n=user,r=x", "n,,r=x", "n,,n=us=er,r=x", "n,,n=user,r=x,ext=1", "\u00ff"]) {
    expect(scramExchange("SCRAM-SHA-256", () => pencil).step(utf8.encode(bad)).kind).toBe("failed");
  }
  expect(scramExchange("SCRAM-SHA-256", () => pencil).step(new Uint8Array([0xff, 0xfe])).kind).toBe("failed");
});

test("PLAIN checks the password against the stored SCRAM credential", () => {
  expect(passwordMatches(pencil, "pencil")).toBe(true);
  expect(passwordMatches(pencil, "Pencil")).toBe(false);
  const lookup = (u: string) => (u === "user" ? [pencil] : []);
  expect(plainExchange(lookup).step(utf8.encode("\u0000user\u0000pencil"))).toMatchObject({ kind: "done", user: "user" });
  expect(plainExchange(lookup).step(utf8.encode("user\u0000user\u0000pencil")).kind).toBe("done");
  expect(plainExchange(lookup).step(utf8.encode("\u0000user\u0000pen")).kind).toBe("failed");
  expect(plainExchange(lookup).step(utf8.encode("other\u0000user\u0000pencil")).kind).toBe("failed");
  expect(plainExchange(lookup).step(utf8.encode("\u0000nobody\u0000pencil")).kind).toBe("failed");
});
