/**
 * The shard's Kafka listener: every shard listens on the same port (SO_REUSEPORT). Near the
 * process's open-file limit it stops listening (new connections are refused, the open ones
 * served) and listens again once files were closed: at the limit the accept loop would
 * otherwise fail and retry without end, spinning the core.
 */
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { readdirSync, readFileSync } from "node:fs";
import { systemClock } from "../base/clock.ts";
import { RateLimitedWarn, type Logger } from "../base/log.ts";
import type { MemoryBudget } from "../base/memory-budget.ts";
import { systemTimers } from "../base/timers.ts";
import type { RequestStats } from "./request-stats.ts";
import { Connection, type FrameResult } from "./connection.ts";
import { SaslSession, type SaslSettings } from "./sasl/session.ts";
import type { AdmittedConnection, ConnectionAdmission } from "./connection-admission.ts";

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
}

export function listenKafka(options: ListenOptions): KafkaListener {
  const limit = openFilesLimit();
  const reserve = fdReserve(limit);
  let lastCount = 0;
  let opensSinceCount = 0;
  let stopped = false;
  const check = () => {
    if (stopped || limit === Infinity) return;
    lastCount = openFileCount(limit);
    opensSinceCount = 0;
    if (listener && lastCount >= limit - reserve) {
      listener.stop(false); // the open connections stay
      listener = null;
      options.log.warn("not accepting Kafka connections: near the open-file limit", { openFiles: lastCount, limit });
    } else if (!listener && lastCount < limit - 2 * reserve) {
      listener = Bun.listen<Connection>(listenOptions);
      options.log.info("accepting Kafka connections again", { openFiles: lastCount, limit });
    }
  };
  // Counted again at once when this shard's own accepts may have brought it near the limit.
  const onOpen = () => {
    if (++opensSinceCount + lastCount >= limit - reserve) check();
  };
  const listenOptions = socketHandlers(options, onOpen);
  let listener: TCPSocketListener<Connection> | null = Bun.listen<Connection>(listenOptions);
  const timer = setInterval(check, FD_CHECK_INTERVAL_MS);
  check();
  return {
    stop(closeActive) {
      stopped = true;
      clearInterval(timer);
      listener?.stop(closeActive);
    },
    get accepting() {
      return listener !== null;
    },
  };
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
  host: string;
  port: number;
  dispatch: (frame: Uint8Array, sasl: SaslSession, mute: (delayMs: number) => void) => Promise<FrameResult>;
  /** Each connection gets its own SASL state under these settings. */
  sasl: Omit<SaslSettings, "onFailure">;
  requestBytesMax: number;
  budget: MemoryBudget;
  unsentBytesMax: number;
  frameTimeoutMs: number;
  /** Connection limits: a connection over one is closed at once. */
  admission: ConnectionAdmission;
  stats: RequestStats;
  log: Logger;
}

function socketHandlers(options: ListenOptions, onOpen: () => void): TCPSocketListenOptions<Connection> {
  const { log, stats } = options;
  const dropped = new RateLimitedWarn(log, "closing connection", {
    burst: BAD_INPUT_WARN_BURST,
    intervalMs: BAD_INPUT_WARN_INTERVAL_MS,
    clock: systemClock,
    timers: systemTimers,
  });
  const failedLogins = new RateLimitedWarn(log, "SASL login failed", {
    burst: BAD_INPUT_WARN_BURST,
    intervalMs: BAD_INPUT_WARN_INTERVAL_MS,
    clock: systemClock,
    timers: systemTimers,
  });
  const refused = new RateLimitedWarn(log, "refusing connection", {
    burst: BAD_INPUT_WARN_BURST,
    intervalMs: BAD_INPUT_WARN_INTERVAL_MS,
    clock: systemClock,
    timers: systemTimers,
  });
  const admitted = new WeakMap<Connection, AdmittedConnection>();
  const closed = (connection: Connection | undefined) => {
    if (!connection) return; // refused: it was never counted
    connection.close();
    admitted.get(connection)?.release();
    admitted.delete(connection);
  };
  const listenOptions: TCPSocketListenOptions<Connection> & { reusePort: boolean } = {
    hostname: options.host,
    port: options.port,
    reusePort: true, // every shard binds the same port; the kernel spreads connections (bun-types lacks it)
    socket: {
      open(socket: Socket<Connection>) {
        stats.connections++;
        onOpen();
        const remote = `${socket.remoteAddress}`;
        const admission = options.admission.admit(remote);
        if ("refused" in admission) {
          stats.connectionsRefused++;
          refused.warn({ remote, reason: admission.refused });
          socket.end();
          return;
        }
        socket.setNoDelay(true);
        const sasl = new SaslSession({
          ...options.sasl,
          remoteHost: socket.remoteAddress,
          onFailure: (failure) => {
            stats.saslFailures++;
            // Fields are escaped by the logger; a client's user name is cut short.
            failedLogins.warn({ remote, mechanism: failure.mechanism, user: failure.user?.slice(0, LOGGED_USER_CHARS_MAX) ?? null, reason: failure.reason });
          },
        });
        socket.data = new Connection(
          { write: (bytes) => socket.write(bytes), close: () => socket.end(), pause: () => socket.pause(), resume: () => socket.resume() },
          (frame) => options.dispatch(frame, sasl, (delayMs) => socket.data.mute(delayMs)),
          {
            requestBytesMax: options.requestBytesMax,
            budget: options.budget,
            unsentBytesMax: options.unsentBytesMax,
            frameTimeoutMs: options.frameTimeoutMs,
            timers: systemTimers,
            onBadInput: (reason) => dropped.warn({ remote, reason }),
            onBroken: (error) => {
              throw error; // uncaught: the shard's entry point hands it to the main thread, which stops the broker
            },
          },
        );
        admitted.set(socket.data, admission);
      },
      data(socket, data) {
        socket.data?.receive(data);
      },
      drain(socket) {
        socket.data?.drain();
      },
      close(socket) {
        stats.connections--;
        closed(socket.data);
      },
      error(socket, error) {
        log.debug("socket error", { error: String(error) });
        closed(socket.data);
      },
    },
  };
  return listenOptions;
}
