import { afterAll, expect, test } from "bun:test";
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "./clock.ts";
import { logger } from "./log.ts";
import { ManualTimers } from "./manual-timers.ts";
import { loadTlsFiles, watchTlsFiles, type TlsMaterial } from "./tls-files.ts";

const dir = mkdtempSync(join(tmpdir(), "skua-tls-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A self-signed certificate and its key, made by openssl. */
function selfSigned(name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`), key = join(dir, `${name}.key`);
  const run = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=${cn}`], { stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(run.stderr.toString());
  return { cert, key };
}

const first = selfSigned("first", "first.example");
const second = selfSigned("second", "second.example");
const names = (cert: string, key: string) => ({ certFile: cert, keyFile: key, truststoreFile: null, crlFile: null, requireClientAuth: false });

test("loads a certificate and its key; a missing file, a non-certificate or another certificate's key are errors naming the file", () => {
  const material = loadTlsFiles(names(first.cert, first.key));
  expect(material.subject).toBe("CN=first.example");
  expect(material.requestCert).toBe(false);
  expect(() => loadTlsFiles(names(join(dir, "nope.crt"), first.key))).toThrow(`cert_file ${join(dir, "nope.crt")}: ENOENT`);
  expect(() => loadTlsFiles(names(first.key, first.key))).toThrow("holds no PEM certificate");
  expect(() => loadTlsFiles(names(first.cert, second.key))).toThrow("the key does not belong to the certificate");
});

test("a change is handed over once the files load; a half-replaced pair keeps the old certificate until it is whole", () => {
  const cert = join(dir, "live.crt"), key = join(dir, "live.key");
  copyFileSync(first.cert, cert);
  copyFileSync(first.key, key);
  const timers = new ManualTimers(new ManualClock());
  const seen: TlsMaterial[] = [];
  const stop = watchTlsFiles(names(cert, key), (m) => seen.push(m), timers, logger("test"), 1000);
  timers.advance(1000);
  expect(seen).toHaveLength(0); // nothing changed
  copyFileSync(second.cert, `${cert}.new`);
  renameSync(`${cert}.new`, cert); // the certificate first: it does not match the old key yet
  timers.advance(1000);
  expect(seen).toHaveLength(0);
  copyFileSync(second.key, `${key}.new`);
  renameSync(`${key}.new`, key);
  timers.advance(1000);
  expect(seen.map((m) => m.subject)).toEqual(["CN=second.example"]);
  stop();
  writeFileSync(cert, "garbage");
  timers.advance(5000);
  expect(seen).toHaveLength(1); // stopped
});
