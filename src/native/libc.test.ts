import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { GATHER_PIECES_MAX, sendGathered } from "./libc.ts";

/** A loopback connection: the client socket's descriptor, and what the server side received. */
async function connected(): Promise<{ fd: number; received: number[]; server: TCPSocketListener; peer: () => Socket | undefined; client: Socket }> {
  const received: number[] = [];
  let peer: Socket | undefined;
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (socket) => void (peer = socket),
      data: (_, data) => void received.push(...data),
    },
  });
  const client = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
  while (peer === undefined) await Bun.sleep(1);
  return { fd: (client as unknown as { fd: number }).fd, received, server, peer: () => peer, client };
}

const open: Array<{ server: TCPSocketListener; client: Socket }> = [];
afterEach(() => {
  for (const { server, client } of open.splice(0)) {
    client.end();
    server.stop(true);
  }
});

describe("sendGathered", () => {
  test("sends the pieces in one call, in order", async () => {
    const c = await connected();
    open.push(c);
    const pieces = [new Uint8Array([1, 2]), new Uint8Array(new SharedArrayBuffer(3)).fill(3), new Uint8Array([9, 8, 7, 6]).subarray(1, 3)];
    expect(sendGathered(c.fd, pieces)).toBe(7);
    while (c.received.length < 7) await Bun.sleep(1);
    expect(c.received).toEqual([1, 2, 3, 3, 3, 8, 7]);
  });

  test("a full socket takes part or none and returns at once; it never blocks", async () => {
    const c = await connected();
    open.push(c);
    c.peer()!.pause(); // the server stops reading: the buffers fill
    const piece = new Uint8Array(1024 * 1024);
    const pieces = Array.from({ length: 8 }, () => piece);
    let results: number[] = [];
    for (let i = 0; i < 64; i++) {
      const sent = sendGathered(c.fd, pieces);
      results.push(sent);
      if (sent === -1) break;
    }
    expect(results.at(-1)).toBe(-1);
    expect(results.some((sent) => sent > 0 && sent < pieces.length * piece.length)).toBe(true);
  });

  test("a peer gone is -1", async () => {
    const c = await connected();
    open.push(c);
    c.peer()!.terminate(); // reset: the next sends fail with ECONNRESET, then EPIPE
    await Bun.sleep(20);
    const piece = new Uint8Array(64 * 1024);
    let last = 0;
    for (let i = 0; i < 8 && last !== -1; i++) last = sendGathered(c.fd, [piece, piece]);
    expect(last).toBe(-1);
  });

  test("more pieces than one call takes is refused", () => {
    expect(() => sendGathered(0, Array.from({ length: GATHER_PIECES_MAX + 1 }, () => new Uint8Array(1)))).toThrow(RangeError);
  });
});
