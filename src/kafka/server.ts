/** The shard's Kafka listener: every shard listens on the same port (SO_REUSEPORT). */
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import type { Logger } from "../base/log.ts";
import type { RequestStats } from "./request-stats.ts";
import { Connection, type Dispatch } from "./connection.ts";

export function listenKafka(options: {
  host: string;
  port: number;
  dispatch: Dispatch;
  requestBytesMax: number;
  stats: RequestStats;
  log: Logger;
}): TCPSocketListener<Connection> {
  const { log, stats } = options;
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
          options.requestBytesMax,
          (reason) => log.warn("closing connection after bad input", { remote, reason }),
          (error) => {
            throw error; // uncaught: the shard's entry point hands it to the main thread, which stops the broker
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
