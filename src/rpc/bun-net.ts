/** The RPC listener and dialer on Bun's TCP sockets. */
import type { Socket, TCPSocketListener, TCPSocketListenOptions } from "bun";
import { InboundConnection, type InboundOptions } from "./inbound.ts";
import type { Dialer } from "./outbound.ts";
import { BunRpcSocket } from "./socket.ts";

interface Served {
  io: BunRpcSocket;
  connection: InboundConnection;
}

/** Every shard listens on the same RPC port (SO_REUSEPORT); the kernel spreads peers' connections. */
export function listenRpc(host: string, port: number, options: Omit<InboundOptions, "remote">): TCPSocketListener<Served> {
  const listenOptions: TCPSocketListenOptions<Served> & { reusePort: boolean } = {
    hostname: host,
    port,
    reusePort: true, // bun-types lacks it
    socket: {
      open(socket: Socket<Served>) {
        socket.setNoDelay(true);
        const io = new BunRpcSocket(socket);
        socket.data = { io, connection: new InboundConnection(io, { ...options, remote: `${socket.remoteAddress}` }) };
      },
      data: (socket, chunk) => socket.data.connection.receive(chunk),
      drain: (socket) => socket.data.io.drain(),
      close: (socket) => socket.data?.connection.close(),
      error: (socket) => socket.data?.connection.close(),
    },
  };
  return Bun.listen<Served>(listenOptions);
}

export const bunDialer: Dialer = async (address, handlers) => {
  let io: BunRpcSocket | null = null;
  const socket = await Bun.connect<undefined>({
    hostname: address.host,
    port: address.port,
    socket: {
      data: (_socket, chunk) => handlers.onData(chunk),
      drain: () => io?.drain(),
      close: () => handlers.onClose(),
      error: () => handlers.onClose(),
      connectError: () => {},
    },
  });
  socket.setNoDelay(true);
  io = new BunRpcSocket(socket);
  return io;
};
