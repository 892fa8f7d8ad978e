/**
 * A TLS listener's certificate, key and CA files: read and checked (the key must belong to the
 * certificate), and watched for changes so new connections get a replaced certificate without
 * a restart. Both the Kafka listeners (each shard) and the admin API (main thread) use it.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Logger } from "./log.ts";
import type { CancelTimer, Timers } from "./timers.ts";

export interface TlsFileNames {
  certFile: string;
  keyFile: string;
  /** CA certificates client certificates are checked against; null: none. */
  truststoreFile: string | null;
  crlFile: string | null;
  requireClientAuth: boolean;
}

/** What `Bun.listen` and `Bun.serve` take as `tls`, plus what to log about the certificate. */
export interface TlsMaterial {
  cert: string;
  key: string;
  ca?: string;
  crl?: string;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  /** The certificate's serial number and subject, for the log line that says it was (re)loaded. */
  serial: string;
  subject: string;
}

/** How often the files' modification times are compared (Redpanda reloads on change too). */
export const TLS_FILES_CHECK_INTERVAL_MS = 1000;

/** Reads and checks the files; throws an Error naming the file that is missing or wrong. */
export function loadTlsFiles(names: TlsFileNames): TlsMaterial {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  };
  const cert = read("cert_file", names.certFile);
  const key = read("key_file", names.keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (error) {
    throw new Error(`TLS cert_file ${names.certFile} holds no PEM certificate (${String(error)})`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error("the key does not belong to the certificate");
  } catch (error) {
    throw new Error(`TLS key_file ${names.keyFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const material: TlsMaterial = {
    cert,
    key,
    requestCert: names.requireClientAuth,
    rejectUnauthorized: names.requireClientAuth,
    serial: x509.serialNumber,
    subject: x509.subject.replaceAll("\n", ", "),
  };
  if (names.truststoreFile !== null) material.ca = read("truststore_file", names.truststoreFile);
  if (names.crlFile !== null) material.crl = read("crl_file", names.crlFile);
  return material;
}

function modifiedStamp(names: TlsFileNames): string {
  const paths = [names.certFile, names.keyFile, names.truststoreFile, names.crlFile].filter((p): p is string => p !== null);
  return paths
    .map((path) => {
      try {
        const stat = statSync(path);
        return `${stat.mtimeMs}:${stat.size}:${stat.ino}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}

/**
 * Calls `onChange` with the new material each time the files' modification times change and
 * they load. Files caught half-written, or wrong, keep the old certificate in use: one warning
 * per change, and they are tried again on the next check. Returns the stop.
 */
export function watchTlsFiles(names: TlsFileNames, onChange: (material: TlsMaterial) => void, timers: Timers, log: Logger, intervalMs = TLS_FILES_CHECK_INTERVAL_MS): CancelTimer {
  let stamp = modifiedStamp(names);
  let warnedStamp: string | null = null;
  let cancel: CancelTimer = () => {};
  let stopped = false;
  const check = () => {
    if (stopped) return;
    const now = modifiedStamp(names);
    if (now !== stamp) {
      try {
        const material = loadTlsFiles(names);
        stamp = now;
        onChange(material);
      } catch (error) {
        if (warnedStamp !== now) log.warn("TLS files changed but do not load; the old certificate stays in use", { error: String(error instanceof Error ? error.message : error) });
        warnedStamp = now;
      }
    }
    cancel = timers.after(intervalMs, check);
  };
  cancel = timers.after(intervalMs, check);
  return () => {
    stopped = true;
    cancel();
  };
}
