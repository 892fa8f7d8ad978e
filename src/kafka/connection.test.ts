import { describe, expect, test } from "bun:test";
import { AssertionError } from "../base/assert.ts";
import { limits } from "../base/limits.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { Connection, type FrameResult } from "./connection.ts";

function frame(payload: number[]): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

function harness(dispatch: (frame: Uint8Array) => Promise<FrameResult>, limitBytes = 1024) {
  const written: number[] = [];
  const state = { closed: false, badInput: [] as string[], broken: [] as unknown[], acceptBytes: Infinity, paused: false, socketClosed: false };
  const connection = new Connection(
    {
      write: (bytes) => {
        if (state.socketClosed) return -1; // what Bun's socket.write says once the socket is closed
        const n = Math.min(bytes.length, state.acceptBytes);
        written.push(...bytes.subarray(0, n));
        return n;
      },
      close: () => (state.closed = true),
      pause: () => (state.paused = true),
      resume: () => (state.paused = false),
    },
    dispatch,
    limitBytes,
    (reason) => state.badInput.push(reason),
    (error) => state.broken.push(error),
  );
  return { connection, written, state };
}

describe("Connection", () => {
  test("frames split at every byte boundary arrive whole", async () => {
    const seen: number[][] = [];
    const { connection } = harness(async (f) => (seen.push([...f]), null));
    const bytes = new Uint8Array([...frame([1, 2, 3]), ...frame([]), ...frame([9])]);
    for (const b of bytes) connection.receive(new Uint8Array([b]));
    await Bun.sleep(0);
    expect(seen).toEqual([[1, 2, 3], [], [9]]);
  });

  test("responses leave in request order even when finished out of order", async () => {
    const resolvers: Array<(r: FrameResult) => void> = [];
    const { connection, written } = harness((f) => new Promise((resolve) => (resolvers[f[0]] = resolve)));
    connection.receive(new Uint8Array([...frame([0]), ...frame([1]), ...frame([2])]));
    resolvers[2](new Uint8Array([2]));
    resolvers[1](null); // acks=0: no response
    await Bun.sleep(0);
    expect(written).toEqual([]);
    resolvers[0](new Uint8Array([0]));
    await Bun.sleep(0);
    expect(written).toEqual([0, 2]);
  });

  test("answers finishing after the client closed its socket are dropped, and later ones too", async () => {
    const resolvers: Array<(r: FrameResult) => void> = [];
    const { connection, written, state } = harness((f) => new Promise((resolve) => (resolvers[f[0]] = resolve)));
    connection.receive(new Uint8Array([...frame([0]), ...frame([1])]));
    state.socketClosed = true; // before the socket's close event has reached the connection
    resolvers[0](new Uint8Array([0]));
    await Bun.sleep(0);
    resolvers[1](new Uint8Array([1]));
    await Bun.sleep(0);
    expect(written).toEqual([]);
    connection.receive(frame([2])); // nothing more is dispatched
    await Bun.sleep(0);
    expect(resolvers[2]).toBeUndefined();
  });

  test("a frame over the limit closes the connection before its bytes arrive", () => {
    const { connection, state } = harness(async () => null, 100);
    connection.receive(frame(new Array(101).fill(0)).subarray(0, 6));
    expect(state.closed).toBe(true);
    expect(state.badInput[0]).toContain("101 bytes");
  });

  test("a negative size closes the connection", () => {
    const { connection, state } = harness(async () => null);
    connection.receive(new Uint8Array([0xff, 0xff, 0xff, 0xff]));
    expect(state.closed).toBe(true);
  });

  test("a partial write waits for drain", async () => {
    const { connection, written, state } = harness(async () => new Uint8Array([7, 8, 9]));
    state.acceptBytes = 1;
    connection.receive(frame([0]));
    await Bun.sleep(0);
    expect(written).toEqual([7]);
    state.acceptBytes = Infinity;
    connection.drain();
    expect(written).toEqual([7, 8, 9]);
  });

  test("a client that floods requests stops being read until half the backlog is served", async () => {
    const resolvers: Array<() => void> = [];
    const { connection, state } = harness(() => new Promise((resolve) => resolvers.push(() => resolve(null))));
    const window = limits.inflightRequestsPerConnectionMax;
    const flood = new Uint8Array(Array.from({ length: window * 2 + 10 }, () => [...frame([1])]).flat());
    connection.receive(flood);
    expect(resolvers).toHaveLength(window); // only a window is dispatched
    expect(state.paused).toBe(true); // and the socket is no longer read
    for (let i = 0; i < window; i++) resolvers[i]();
    await Bun.sleep(0);
    expect(state.paused).toBe(false);
  });

  test("a request that fails an assertion is a broken invariant, not bad input: the connection stays, the shard is told", async () => {
    const { connection, state } = harness(async (f) => {
      if (f[0] === 1) throw new AssertionError("cache accounting out of step");
      throw new ProtocolError("bad array count");
    });
    connection.receive(frame([1]));
    await Bun.sleep(0);
    expect(state.broken.map(String)).toEqual(["AssertionError: cache accounting out of step"]);
    expect(state.closed).toBe(false);
    expect(state.badInput).toEqual([]);
    connection.receive(frame([2])); // malformed input closes only this connection
    await Bun.sleep(0);
    expect(state.badInput).toEqual(["bad array count"]);
    expect(state.closed).toBe(true);
    expect(state.broken).toHaveLength(1);
  });
});
