/** The shard's Kafka listener: every shard listens on the same port (SO_REUSEPORT). */
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { systemClock } from "../base/clock.ts";
import { RateLimitedWarn, type Logger } from "../base/log.ts";
import type { MemoryBudget } from "../base/memory-budget.ts";
import { systemTimers } from "../base/timers.ts";
import type { RequestStats } from "./request-stats.ts";
import { Connection, type Dispatch } from "./connection.ts";

/** Lines per interval for warnings any client can cause, per shard. */
const BAD_INPUT_WARN_BURST = 10;
const BAD_INPUT_WARN_INTERVAL_MS = 10_000;

export function listenKafka(options: {
  host: string;
  port: number;
  dispatch: Dispatch;
  requestBytesMax: number;
  budget: MemoryBudget;
  unsentBytesMax: number;
  frameTimeoutMs: number;
  stats: RequestStats;
  log: Logger;
}): TCPSocketListener<Connection> {
  const { log, stats } = options;
  const dropped = new RateLimitedWarn(log, "closing connection", {
    burst: BAD_INPUT_WARN_BURST,
    intervalMs: BAD_INPUT_WARN_INTERVAL_MS,
    clock: systemClock,
    timers: systemTimers,
  });
  const listenOptions: TCPSocketListenOptions<Connection> & { reusePort: boolean } = {
    hostname: options.host,
    port: options.port,
    reusePort: true, // every shard binds the same port; the kernel spreads connections (bun-types lacks it)
    socket: {
      open(socket: Socket<Connection>) {
        stats.connections++;
        socket.setNoDelay(true);
        const remote = `${socket.remoteAddress}`;
        socket.data = new Connection(
          { write: (bytes) => socket.write(bytes), close: () => socket.end(), pause: () => socket.pause(), resume: () => socket.resume() },
          options.dispatch,
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
      },
      data(socket, data) {
        socket.data.receive(data);
      },
      drain(socket) {
        socket.data.drain();
      },
      close(socket) {
        stats.connections--;
        socket.data?.close();
      },
      error(socket, error) {
        log.debug("socket error", { error: String(error) });
        socket.data?.close();
      },
    },
  };
  return Bun.listen<Connection>(listenOptions);
}
