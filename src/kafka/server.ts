/**
 * The shard's Kafka listeners: every shard listens on every configured listener (SO_REUSEPORT),
 * each with its own address, advertised address, TLS and authentication. Near the process's
 * open-file limit the shard stops listening (new connections are refused, the open ones served)
 * and listens again once files were closed: at the limit the accept loop would otherwise fail
 * and retry without end, spinning the core. A TLS listener's certificate files are watched: a
 * changed certificate is listened with anew (the old socket closed, its connections kept), so
 * new connections get it without a restart. A connection on a plain listener without login whose
 * requests go to one other shard's partitions only moves there (`ConnectionPlacement`): its socket
 * is duplicated, handed over with the bytes not yet served, and served on by that shard.
 */
import type { FdSocketOptions, Socket, SocketHandler, TCPSocketConnectOptions, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { systemClock } from "../base/clock.ts";
import { RateLimitedWarn, type Logger } from "../base/log.ts";
import type { MemoryBudget } from "../base/memory-budget.ts";
import { systemTimers, type CancelTimer } from "../base/timers.ts";
import type { RequestStats } from "./request-stats.ts";
import { Connection, type FrameResult } from "./connection.ts";
import { SaslSession, type SaslSettings } from "./sasl/session.ts";
import { ConnectionIdentity, type ClientConnection, type ConnectionSummary } from "./client-connection.ts";
import { limits } from "../base/limits.ts";
import { loadTlsFiles, watchTlsFiles, type TlsFileNames, type TlsMaterial } from "../base/tls-files.ts";
import { mapPrincipal, rfc2253, type PrincipalRule } from "../cluster/principal-mapping.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { AdmittedConnection, ConnectionAdmission } from "./connection-admission.ts";
import { ConnectionPlacement, NO_SHARD } from "./connection-placement.ts";
import type { MuteConnection, RouteObserver } from "./dispatcher.ts";

/** Lines per interval for warnings any client can cause, per shard. */
const BAD_INPUT_WARN_BURST = 10;
const BAD_INPUT_WARN_INTERVAL_MS = 10_000;

const LOGGED_USER_CHARS_MAX = 64;

/** How often a shard counts the process's open files. */
const FD_CHECK_INTERVAL_MS = 500;
/** Files kept free for segments, group logs and io_uring when connections stop being accepted. */
function fdReserve(limit: number): number {
  return Math.max(32, Math.floor(limit / 10));
}

export interface KafkaListener {
  /** Stops listening; `closeActive` also closes the open connections. */
  stop(closeActive: boolean): void;
  /** Whether new connections are accepted now (false near the open-file limit). */
  readonly accepting: boolean;
  /** The open connections (at most `limits.connectionsListedMax`), oldest first. */
  connections(): ConnectionSummary[];
  /** Serves a connection another shard moved here; false if it could not (the socket is then closed). */
  adopt(moved: MovedConnection): Promise<boolean>;
}

/** A client connection on its way from one shard to another. */
export interface MovedConnection {
  /** A duplicate of the socket's descriptor, the receiving shard's to keep or close. */
  fd: number;
  listener: string;
  remoteAddress: string;
  remotePort: number;
  openedAtMs: number;
  /** Bytes the client sent that the first shard did not serve, in order. */
  unserved: Uint8Array;
}

/** What one shard's listener serves the others: a connection moved to it. */
export interface ConnectionMoveCalls {
  adoptConnection: { request: MovedConnection; response: boolean };
}

/** How this shard moves connections to others (absent: they stay where they were accepted). */
export interface ConnectionHandoff {
  shardId: number;
  duplicateFd(fd: number): number;
  closeFd(fd: number): void;
  /** Hands the connection to `shard`'s listener (`adopt` there). */
  send(shard: number, moved: MovedConnection): Promise<boolean>;
}

export interface KafkaListenerSettings {
  name: string;
  host: string;
  port: number;
  /** What this listener's clients are told to connect to (Metadata, FindCoordinator, DescribeCluster). */
  advertised: { host: string; port: number };
  authentication: "sasl" | "mtls_identity" | "none";
  tls: TlsFileNames | null;
}

export function listenKafka(options: ListenOptions): KafkaListener {
  const limit = openFilesLimit();
  const reserve = fdReserve(limit);
  let lastCount = 0;
  let opensSinceCount = 0;
  let stopped = false;
  let accepting = true;
  const check = () => {
    if (stopped || limit === Infinity) return;
    lastCount = openFileCount(limit);
    opensSinceCount = 0;
    if (accepting && lastCount >= limit - reserve) {
      for (const socket of sockets) socket.pause();
      accepting = false;
      options.log.warn("not accepting Kafka connections: near the open-file limit", { openFiles: lastCount, limit });
    } else if (!accepting && lastCount < limit - 2 * reserve) {
      for (const socket of sockets) socket.resume();
      accepting = true;
      options.log.info("accepting Kafka connections again", { openFiles: lastCount, limit });
    }
  };
  // Counted again at once when this shard's own accepts may have brought it near the limit.
  const onOpen = () => {
    if (++opensSinceCount + lastCount >= limit - reserve) check();
  };
  const handlers = new ConnectionHandlers(options, onOpen);
  const sockets = options.listeners.map((settings) => new ListenerSocket(settings, handlers, options.log));
  const timer = setInterval(check, FD_CHECK_INTERVAL_MS);
  check();
  return {
    stop(closeActive) {
      stopped = true;
      clearInterval(timer);
      for (const socket of sockets) socket.stop(closeActive);
    },
    get accepting() {
      return accepting;
    },
    connections: () => handlers.summaries(),
    adopt: async (moved) => {
      const settings = options.listeners.find((l) => l.name === moved.listener);
      if (stopped || !accepting || settings === undefined) return refuseMoved(moved, options.admission.adopted(moved.remoteAddress), options.handoff);
      return handlers.adopt(settings, moved);
    },
  };
}

/**
 * One listener on this shard: the bound socket, paused near the open-file limit, and listened
 * anew with a changed certificate (the new socket is bound before the old one closes, so no
 * connection is refused in between; SO_REUSEPORT allows both at once).
 */
class ListenerSocket {
  private listener: TCPSocketListener<Connection> | null = null;
  private tls: TlsMaterial | null;
  private readonly stopWatching: () => void;

  constructor(
    private readonly settings: KafkaListenerSettings,
    private readonly handlers: ConnectionHandlers,
    log: Logger,
  ) {
    this.tls = settings.tls ? loadTlsFiles(settings.tls) : null;
    this.listener = this.listen();
    this.stopWatching = settings.tls
      ? watchTlsFiles(settings.tls, (material) => {
          this.tls = material;
          log.info("TLS certificate reloaded", { listener: settings.name, serial: material.serial, subject: material.subject });
          if (this.listener !== null) this.relisten();
        }, systemTimers, log)
      : () => {};
  }

  pause(): void {
    this.listener?.stop(false); // the open connections stay
    this.listener = null;
  }

  resume(): void {
    this.listener ??= this.listen();
  }

  stop(closeActive: boolean): void {
    this.stopWatching();
    this.listener?.stop(closeActive);
    this.listener = null;
  }

  private relisten(): void {
    const old = this.listener;
    this.listener = this.listen();
    old?.stop(false);
  }

  private listen(): TCPSocketListener<Connection> {
    const { tls } = this;
    const options: TCPSocketListenOptions<Connection> & { reusePort: boolean } = {
      hostname: this.settings.host,
      port: this.settings.port,
      reusePort: true, // every shard binds the same port; the kernel spreads connections (bun-types lacks it)
      socket: this.handlers.forListener(this.settings),
      ...(tls && { tls: { cert: tls.cert, key: tls.key, ca: tls.ca, crl: tls.crl, requestCert: tls.requestCert, rejectUnauthorized: tls.rejectUnauthorized } }),
    };
    return Bun.listen<Connection>(options);
  }
}

/** The soft RLIMIT_NOFILE, as /proc tells it (Infinity when unlimited or unknown). */
function openFilesLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return line && line[1] !== "unlimited" ? Number(line[1]) : Infinity;
}

/** Open files of the process; at the limit even listing them fails, which says as much. */
function openFileCount(limit: number): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EMFILE" || (error as NodeJS.ErrnoException).code === "ENFILE") return limit;
    throw error;
  }
}

interface ListenOptions {
  listeners: KafkaListenerSettings[];
  dispatch: (frame: Uint8Array, sasl: SaslSession, client: ClientConnection, mute: MuteConnection, routed?: RouteObserver) => Promise<FrameResult>;
  /** Each connection gets its own SASL state under these settings (enabled on `sasl` listeners). */
  sasl: Omit<SaslSettings, "onFailure" | "enabled">;
  /** kafka_mtls_principal_mapping_rules: client certificate subject → user on mtls_identity listeners. */
  principalRules: PrincipalRule[];
  requestBytesMax: number;
  budget: MemoryBudget;
  unsentBytesMax: number;
  frameTimeoutMs: number;
  /** Connection limits: a connection over one is closed at once. */
  admission: ConnectionAdmission;
  handoff?: ConnectionHandoff;
  /** Sends several pieces on a plain socket's descriptor in one system call (absent: one write each). */
  sendGathered?: { send(fd: number, pieces: readonly Uint8Array[]): number; piecesMax: number };
  stats: RequestStats;
  log: Logger;
}

/** A moved connection this shard cannot serve: its descriptor closed, its slot in the connection limits given back. */
export function refuseMoved(moved: MovedConnection, admission: AdmittedConnection, handoff: Pick<ConnectionHandoff, "closeFd"> | undefined): false {
  handoff?.closeFd(moved.fd);
  admission.release();
  return false;
}

/** Who is on the other end of a connection, and since when: kept when it moves to another shard. */
interface Origin {
  remoteAddress: string;
  remotePort: number;
  openedAtMs: number;
}

/** The descriptor under a Bun socket (there, not in bun-types). */
function socketFd(socket: Socket<Connection>): number {
  return (socket as unknown as { fd: number }).fd;
}

/** The socket callbacks of every listener of the shard, sharing its rate-limited warnings. */
class ConnectionHandlers {
  private readonly dropped: RateLimitedWarn;
  private readonly failedLogins: RateLimitedWarn;
  private readonly refusedCertificates: RateLimitedWarn;
  private readonly refusedConnections: RateLimitedWarn;
  /** Each admitted connection's slot in the connection limits, given back when it closes. */
  private readonly admitted = new WeakMap<Connection, AdmittedConnection>();
  /** Each open socket's identity (its Connection does not know who is on the other end). */
  private readonly identities = new WeakMap<Socket<Connection>, ConnectionIdentity>();
  /** The same identities, in the order they opened, for listing. */
  private readonly open = new Set<ConnectionIdentity>();
  /** A TLS handshake must finish within the frame timeout, as a frame must: otherwise it holds its socket for ever. */
  private readonly handshakeDeadlines = new WeakMap<Socket<Connection>, CancelTimer>();

  constructor(
    private readonly options: ListenOptions,
    private readonly onOpen: () => void,
  ) {
    const warn = (message: string) =>
      new RateLimitedWarn(options.log, message, { burst: BAD_INPUT_WARN_BURST, intervalMs: BAD_INPUT_WARN_INTERVAL_MS, clock: systemClock, timers: systemTimers });
    this.dropped = warn("closing connection");
    this.failedLogins = warn("SASL login failed");
    this.refusedCertificates = warn("mTLS login refused");
    this.refusedConnections = warn("refusing connection");
  }

  forListener(settings: KafkaListenerSettings): SocketHandler<Connection> {
    const { options } = this;
    const { stats } = options;
    return {
      ...this.served(settings),
      open: (socket) => {
        stats.connections++;
        this.onOpen();
        const remote = `${socket.remoteAddress}`;
        const admission = options.admission.admit(remote);
        if ("refused" in admission) {
          stats.connectionsRefused++;
          this.refusedConnections.warn({ remote, listener: settings.name, reason: admission.refused });
          socket.end();
          return;
        }
        socket.setNoDelay(true);
        socket.data = this.connection(socket, settings, { remoteAddress: remote, remotePort: socket.remotePort, openedAtMs: systemClock.nowMs() }, true);
        this.admitted.set(socket.data, admission);
        if (settings.tls) this.handshakeDeadline(socket, settings);
      },
    };
  }

  /** A connection another shard moved here: its socket opened on the descriptor it sent, its unserved bytes served first. */
  async adopt(settings: KafkaListenerSettings, moved: MovedConnection): Promise<boolean> {
    const { options } = this;
    const admission = options.admission.adopted(moved.remoteAddress);
    const connect: FdSocketOptions<Connection> = {
      fd: moved.fd,
      socket: {
        ...this.served(settings),
        open: (socket) => {
          options.stats.connections++;
          options.stats.connectionsAdopted++;
          socket.data = this.connection(socket, settings, moved, false);
          this.admitted.set(socket.data, admission);
          socket.data.receive(moved.unserved);
        },
      },
    };
    try {
      await Bun.connect(connect as unknown as TCPSocketConnectOptions<Connection>); // Bun takes the fd form; bun-types lacks it
      return true;
    } catch (error) {
      options.log.warn("could not take over a connection from another shard", { remote: moved.remoteAddress, error: String(error) });
      return refuseMoved(moved, admission, options.handoff);
    }
  }

  /** Moves a connection to `shard` once it is quiet; if it never is in time, it stays and serves on. */
  private async handOff(socket: Socket<Connection>, shard: number, placement: ConnectionPlacement, listener: string, origin: Origin): Promise<void> {
    const { handoff, stats, log } = this.options;
    const connection = socket.data;
    if (!handoff || !connection) return;
    const unserved = await connection.holdForMove(limits.connectionMoveQuietWithinMs);
    if (unserved === null) return placement.moveFailed();
    const fd = handoff.duplicateFd(socketFd(socket));
    if (fd < 0) {
      placement.moveFailed();
      return connection.serveOn();
    }
    // The slot in the connection limits goes with the socket; this shard's side of it closes.
    const admission = this.admitted.get(connection)!;
    this.admitted.delete(connection);
    connection.close();
    socket.terminate(); // closes this descriptor only: the duplicate keeps the connection open
    stats.connectionsMovedAway++;
    try {
      await handoff.send(shard, { fd, listener, ...origin, unserved }); // false: refused there, which closed it
    } catch (error) {
      log.warn("could not move a connection to another shard", { shard, error: String(error) });
      handoff.closeFd(fd);
      admission.release();
    }
  }

  /** The callbacks of a served socket, however it came (accepted here, or moved here). */
  private served(settings: KafkaListenerSettings): Omit<SocketHandler<Connection>, "open"> {
    const { options, dropped } = this;
    const { log, stats } = options;
    return {
      handshake: (socket, success, authorizationError) => {
        this.handshakeDeadlines.get(socket)?.();
        if (!success) {
          // Only with require_client_auth: a client certificate missing or not signed by the truststore.
          dropped.warn({ remote: `${socket.remoteAddress}`, listener: settings.name, reason: `TLS client certificate refused: ${authorizationError?.message ?? "none"}` });
          socket.end();
          return;
        }
        if (settings.authentication === "mtls_identity") this.certificateLogin(socket, settings);
      },
      data(socket, data) {
        socket.data?.receive(data);
      },
      drain(socket) {
        socket.data?.drain();
      },
      close: (socket) => {
        this.handshakeDeadlines.get(socket)?.();
        const identity = this.identities.get(socket);
        if (identity) this.open.delete(identity);
        stats.connections--;
        this.closed(socket.data);
      },
      error: (socket, error) => {
        log.debug("socket error", { listener: settings.name, error: String(error) });
        this.closed(socket.data);
      },
    };
  }

  /** Closes a connection and gives back its slot (one refused at open has neither). */
  private closed(connection: Connection | undefined): void {
    if (!connection) return;
    connection.close();
    this.admitted.get(connection)?.release();
    this.admitted.delete(connection);
  }

  summaries(): ConnectionSummary[] {
    const out: ConnectionSummary[] = [];
    for (const identity of this.open) {
      if (out.length >= limits.connectionsListedMax) break;
      out.push(identity.summary());
    }
    return out;
  }

  private handshakeDeadline(socket: Socket<Connection>, settings: KafkaListenerSettings): void {
    const cancel = systemTimers.after(this.options.frameTimeoutMs, () => {
      this.dropped.warn({ remote: `${socket.remoteAddress}`, listener: settings.name, reason: `TLS handshake not finished within ${this.options.frameTimeoutMs} ms` });
      socket.end();
    });
    this.handshakeDeadlines.set(socket, cancel);
  }

  /** `movable`: may move to another shard (one accepted here; one moved here never moves again). */
  private connection(socket: Socket<Connection>, settings: KafkaListenerSettings, origin: Origin, movable: boolean): Connection {
    const { options, dropped, failedLogins } = this;
    const { remoteAddress: remote, remotePort } = origin;
    const sasl = new SaslSession({
      ...options.sasl,
      enabled: settings.authentication === "sasl",
      remoteHost: remote,
      onFailure: (failure) => {
        options.stats.saslFailures++;
        // Fields are escaped by the logger; a client's user name is cut short.
        failedLogins.warn({ remote, listener: settings.name, mechanism: failure.mechanism, user: failure.user?.slice(0, LOGGED_USER_CHARS_MAX) ?? null, reason: failure.reason });
      },
    });
    const identity = new ConnectionIdentity(settings.name, settings.advertised, `${remote}:${remotePort}`, settings.authentication, sasl, settings.tls !== null, origin.openedAtMs);
    this.identities.set(socket, identity);
    this.open.add(identity);
    // Only a plain connection without login can move: TLS state and a login stay with their shard.
    const { handoff, sendGathered } = options;
    const placement = movable && handoff && settings.tls === null && settings.authentication === "none" ? new ConnectionPlacement(handoff.shardId, limits.connectionMoveAfterRequests) : null;
    const routed: RouteObserver | undefined = placement === null ? undefined : (apiKey, shard, bound) => {
      const to = placement.routed(apiKey, shard, bound);
      if (to !== NO_SHARD) void this.handOff(socket, to, placement, settings.name, origin);
    };
    return new Connection(
      {
        write: (bytes) => socket.write(bytes),
        gathered: settings.tls === null && sendGathered ? { write: (pieces) => sendGathered.send(socketFd(socket), pieces), piecesMax: sendGathered.piecesMax } : undefined,
        close: () => socket.end(),
        pause: () => socket.pause(),
        resume: () => socket.resume(),
      },
      (frame) => {
        if (!identity.mayDispatch) throw new ProtocolError("request before the client certificate named a user");
        return options.dispatch(frame, sasl, identity, (delayMs) => socket.data?.mute(delayMs), routed);
      },
      {
        requestBytesMax: options.requestBytesMax,
        budget: options.budget,
        unsentBytesMax: options.unsentBytesMax,
        frameTimeoutMs: options.frameTimeoutMs,
        timers: systemTimers,
        onBadInput: (reason) => dropped.warn({ remote, listener: settings.name, reason }),
        onBroken: (error) => {
          throw error; // uncaught: the shard's entry point hands it to the main thread, which stops the broker
        },
      },
    );
  }

  /** mtls_identity: the client certificate's subject, mapped by the rules, is the user; no match closes the connection. */
  private certificateLogin(socket: Socket<Connection>, settings: KafkaListenerSettings): void {
    const identity = this.identities.get(socket);
    const subject = socket.getPeerX509Certificate()?.subject;
    const dn = subject === undefined ? null : rfc2253(subject);
    const user = dn === null ? null : mapPrincipal(this.options.principalRules, dn);
    if (identity === undefined || user === null || user === "") {
      this.refusedCertificates.warn({ remote: `${socket.remoteAddress}`, listener: settings.name, reason: `no principal mapping rule matches the certificate subject ${dn?.slice(0, 256) ?? "(none)"}` });
      socket.end();
      return;
    }
    identity.setCertificateUser(user);
  }
}
