/**
 * One admin API listener: `Bun.serve` on its address, with TLS when it has an `admin_api_tls`
 * entry. A changed certificate is served anew (the new socket is bound before the old one
 * closes, SO_REUSEPORT allowing both), so new connections get it without a restart. A plaintext
 * listener binds without SO_REUSEPORT, as before: an address already taken stops the start.
 */
import type { Server } from "bun";
import type { Logger } from "../base/log.ts";
import { systemTimers } from "../base/timers.ts";
import { loadTlsFiles, watchTlsFiles, type TlsFileNames, type TlsMaterial } from "../base/tls-files.ts";

export interface AdminListenerSettings {
  name: string;
  address: { host: string; port: number };
  tls: TlsFileNames | null;
}

export interface AdminServer {
  readonly spec: AdminListenerSettings;
  /** Where it listens (the port the kernel chose, for port 0). */
  readonly address: { host: string; port: number };
  stop(): void;
}

export function serveAdmin(spec: AdminListenerSettings, fetch: (request: Request) => Response | Promise<Response>, log: Logger): AdminServer {
  const serve = (tls: TlsMaterial | null, port: number): Server<undefined> =>
    Bun.serve({
      hostname: spec.address.host,
      port,
      // Only a TLS listener binds anew (on a new certificate), so only it shares its port; a plaintext one
      // stays exclusive, so an address already taken is an error at start.
      reusePort: spec.tls !== null,
      fetch,
      ...(tls && { tls: { cert: tls.cert, key: tls.key, ca: tls.ca, crl: tls.crl, requestCert: tls.requestCert, rejectUnauthorized: tls.rejectUnauthorized } }),
    });
  let server = serve(spec.tls ? loadTlsFiles(spec.tls) : null, spec.address.port);
  const address = { host: server.hostname ?? spec.address.host, port: server.port ?? spec.address.port };
  const stopWatching = spec.tls
    ? watchTlsFiles(spec.tls, (material) => {
        const old = server;
        server = serve(material, address.port);
        void old.stop(false); // requests in flight finish on the old certificate
        log.info("TLS certificate reloaded", { listener: `admin ${spec.name}`, serial: material.serial, subject: material.subject });
      }, systemTimers, log)
    : () => {};
  return {
    spec,
    address,
    stop() {
      stopWatching();
      void server.stop(true);
    },
  };
}
