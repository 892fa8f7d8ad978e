import { describe, expect, test } from "bun:test";
import { AssertionError } from "../base/assert.ts";
import { ManualClock } from "../base/clock.ts";
import { limits } from "../base/limits.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import { MemoryBudget } from "../base/memory-budget.ts";
import type { Timers } from "../base/timers.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { endHold, lend, startLoan } from "../base/lent-buffers.ts";
import { Connection, type FrameResult } from "./connection.ts";

function frame(payload: number[]): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setInt32(0, payload.length);
  out.set(payload, 4);
  return out;
}

const GATHER_PIECES_MAX = 4;

/** 20 KiB of records in a pooled read buffer on loan, its hold ended: large enough to be written as they are, not copied into a joined write. */
function lentRecords(): { records: Uint8Array; freed: () => boolean } {
  const buffer = new ArrayBuffer(20 * 1024);
  let freed = false;
  startLoan(buffer, () => (freed = true));
  const records = new Uint8Array(buffer).fill(7);
  lend(records);
  endHold(records);
  return { records, freed: () => freed };
}

function harness(
  dispatch: (frame: Uint8Array) => Promise<FrameResult>,
  limitBytes = 1024,
  { budget = new MemoryBudget(1024 * 1024), unsentBytesMax = 1024 * 1024, timers = new ManualTimers(new ManualClock()) as Timers, gathered = false } = {},
) {
  const written: number[] = [];
  const state = { closed: false, badInput: [] as string[], broken: [] as unknown[], acceptBytes: Infinity, paused: false, socketClosed: false, writes: 0, gatheredSends: [] as number[] };
  // Like a socket: takes up to acceptBytes per call.
  const take = (bytes: Uint8Array, room: number) => {
    const n = Math.min(bytes.length, room);
    written.push(...bytes.subarray(0, n));
    return n;
  };
  // Like sendmsg: as many pieces as fit, -1 when none did.
  const sendGathered = (pieces: readonly Uint8Array[]) => {
    expect(pieces.length).toBeLessThanOrEqual(GATHER_PIECES_MAX);
    if (state.socketClosed) return -1;
    state.gatheredSends.push(pieces.length);
    let total = 0;
    for (const piece of pieces) {
      total += take(piece, state.acceptBytes - total);
      if (total === state.acceptBytes) break;
    }
    return total === 0 ? -1 : total;
  };
  const connection = new Connection(
    {
      write: (bytes) => {
        if (state.socketClosed) return -1; // what Bun's socket.write says once the socket is closed
        state.writes++;
        return take(bytes, state.acceptBytes);
      },
      gathered: gathered ? { piecesMax: GATHER_PIECES_MAX, write: sendGathered } : undefined,
      close: () => (state.closed = true),
      pause: () => (state.paused = true),
      resume: () => (state.paused = false),
    },
    dispatch,
    {
      requestBytesMax: limitBytes,
      budget,
      unsentBytesMax,
      frameTimeoutMs: 1000,
      timers,
      onBadInput: (reason) => state.badInput.push(reason),
      onBroken: (error) => state.broken.push(error),
    },
  );
  return { connection, written, state, budget };
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

  test("a frame's memory is taken as its bytes arrive, not from its declared size", () => {
    const budget = new MemoryBudget(256 * 1024 * 1024);
    const { connection } = harness(async () => null, 200 * 1024 * 1024, { budget });
    const head = new Uint8Array(14);
    new DataView(head.buffer).setInt32(0, 100 * 1024 * 1024); // declares 100 MiB, sends 10 bytes
    connection.receive(head);
    expect(budget.usedBytes).toBe(limits.frameBufferInitialBytes);
    connection.receive(new Uint8Array(100 * 1024)); // 100 KiB more: the buffer doubles, no further
    expect(budget.usedBytes).toBe(128 * 1024);
    connection.receive(new Uint8Array(300 * 1024)); // more than doubling would hold: what came
    expect(budget.usedBytes).toBe(400 * 1024 + 10);
    connection.close();
    expect(budget.usedBytes).toBe(0);
  });

  test("a frame whose bytes came to a 16th of its size gets its whole buffer at once, if the budget has room", () => {
    const budget = new MemoryBudget(256 * 1024 * 1024);
    const { connection } = harness(async () => null, 200 * 1024 * 1024, { budget });
    const head = new Uint8Array(4 + 100 * 1024);
    new DataView(head.buffer).setInt32(0, 1024 * 1024); // 1 MiB declared, 100 KiB came: 1 MiB held, no doublings
    connection.receive(head);
    expect(budget.usedBytes).toBe(1024 * 1024);
    connection.close();
    expect(budget.usedBytes).toBe(0);
  });

  test("a connection waits, unread, while the budget is full, and goes on when memory comes back", async () => {
    const budget = new MemoryBudget(100 * 1024);
    const other = { stuckBytes: 0, shed() {} };
    budget.register(other);
    expect(budget.take(other, 90 * 1024)).toBe(true); // a request being served elsewhere
    const seen: number[] = [];
    const { connection, state } = harness(async (f) => (seen.push(f.length), null), 1024 * 1024, { budget });
    connection.receive(frame(new Array(20 * 1024).fill(1)));
    expect(state.paused).toBe(true);
    expect(seen).toEqual([]);
    budget.release(90 * 1024);
    await Bun.sleep(0);
    expect(seen).toEqual([20 * 1024]);
    expect(state.paused).toBe(false);
    await Bun.sleep(0);
    expect(budget.usedBytes).toBe(0); // served: the frame's bytes are back
  });

  test("past the bound of unsent answer bytes, nothing more is read or started until the client reads", async () => {
    let started = 0;
    const { connection, state } = harness(async () => (started++, new Uint8Array(3000)), 1024, { unsentBytesMax: 4000 });
    state.acceptBytes = 0; // the client never reads
    connection.receive(new Uint8Array([...frame([0, 0, 0, 0]), ...frame([0, 0, 0, 1]), ...frame([0, 0, 0, 2])]));
    await Bun.sleep(0);
    await Bun.sleep(0);
    expect(started).toBe(3); // all three were in flight before any answer came
    expect(state.paused).toBe(true);
    connection.receive(frame([0, 0, 0, 3])); // a read already under way when we paused
    await Bun.sleep(0);
    expect(started).toBe(3);
    state.acceptBytes = Infinity;
    connection.drain();
    await Bun.sleep(0);
    expect(started).toBe(4);
    expect(state.paused).toBe(false);
  });

  test("Fetches on one connection are served one at a time; other requests still pipeline", async () => {
    const resolvers: Array<() => void> = [];
    const started: number[] = [];
    const { connection } = harness((f) => new Promise((resolve) => (started.push(f[1]), resolvers.push(() => resolve(null)))));
    const fetch = (id: number) => frame([0, 1, 0, id]); // api key 1
    const produce = (id: number) => frame([0, 0, 0, id]); // api key 0
    connection.receive(new Uint8Array([...fetch(1), ...fetch(1), ...produce(0)]));
    expect(started).toEqual([1]); // the second Fetch waits, and the produce behind it keeps its order
    resolvers[0]();
    await Bun.sleep(0);
    expect(started).toEqual([1, 1, 0]);
  });

  test("a frame that does not arrive whole in time closes the connection", () => {
    const clock = new ManualClock();
    const timers = new ManualTimers(clock);
    const { connection, state } = harness(async () => null, 1024, { timers });
    connection.receive(frame([1, 2, 3, 4]).subarray(0, 6));
    timers.advance(999);
    expect(state.closed).toBe(false);
    timers.advance(1);
    expect(state.closed).toBe(true);
    expect(state.badInput[0]).toContain("not complete 1000 ms");
  });

  test("a frame that arrives whole in one read sets no timer", () => {
    const timers = new ManualTimers(new ManualClock());
    const { connection } = harness(async () => null, 1024, { timers });
    connection.receive(new Uint8Array([...frame([1]), ...frame([2])]));
    expect(timers.pendingCount).toBe(0);
  });

  test("a connection shed for memory while reading gives back every byte it held", () => {
    const budget = new MemoryBudget(256 * 1024);
    const { connection, state } = harness(async () => null, 1024 * 1024, { budget });
    const head = new Uint8Array(4 + 200 * 1024);
    new DataView(head.buffer).setInt32(0, 1000 * 1024); // a frame it will never finish
    connection.receive(head);
    expect(budget.usedBytes).toBe(200 * 1024);
    connection.receive(new Uint8Array(100 * 1024)); // needs 400 KiB: only stuck bytes hold the budget, so it is shed
    expect(state.closed).toBe(true);
    expect(state.badInput[0]).toContain("memory budget");
    expect(budget.usedBytes).toBe(0);
    expect(budget.shedCount).toBe(1);
  });

  test("a muted (throttled) connection neither reads nor starts requests until the throttle ends; answers made still go", async () => {
    const timers = new ManualTimers(new ManualClock());
    const started: number[] = [];
    const { connection, written, state } = harness(async (f) => (started.push(f[0]), new Uint8Array([f[0]])), 1024, { timers });
    connection.receive(frame([1]));
    await Bun.sleep(0);
    connection.mute(500);
    expect(state.paused).toBe(true);
    connection.receive(frame([2])); // already in flight from the socket before it paused
    await Bun.sleep(0);
    expect(started).toEqual([1]);
    expect(written).toEqual([1]);
    timers.advance(499);
    await Bun.sleep(0);
    expect(started).toEqual([1]);
    timers.advance(1);
    await Bun.sleep(0);
    expect(started).toEqual([1, 2]);
    expect(state.paused).toBe(false);
  });

  test("held for a move, it stops reading, lets its requests finish and their answers go, then gives back what it did not serve, in order", async () => {
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const { connection, written, state, budget } = harness((f) => {
      started.push(f[0]!);
      return new Promise((resolve) => releases.push(() => resolve(new Uint8Array([f[0]!]))));
    });
    connection.receive(frame([1]));
    await Bun.sleep(0);
    const held = connection.holdForMove(1000);
    expect(state.paused).toBe(true);
    // Read before the pause took hold: a whole frame, then half of the next one.
    const next = frame([3, 4, 5]);
    connection.receive(new Uint8Array([...frame([2]), ...next.subarray(0, 5)]));
    await Bun.sleep(0);
    expect(started).toEqual([1]); // nothing new starts while held
    let rest: Uint8Array | null | undefined;
    void held.then((r) => (rest = r));
    await Bun.sleep(0);
    expect(rest).toBeUndefined(); // request 1 is still in flight
    releases[0]!();
    await held;
    expect(written).toEqual([1]); // its answer went before the move
    expect([...rest!]).toEqual([...frame([2]), ...next.subarray(0, 5)]);
    connection.close();
    expect(budget.usedBytes).toBe(0);
  });

  test("a hold with no quiet moment in time ends: the connection serves on", async () => {
    const timers = new ManualTimers(new ManualClock());
    const releases: Array<() => void> = [];
    const started: number[] = [];
    const { connection, written, state } = harness((f) => {
      started.push(f[0]!);
      return new Promise((resolve) => releases.push(() => resolve(new Uint8Array([f[0]!]))));
    }, 1024, { timers });
    connection.receive(frame([1]));
    await Bun.sleep(0);
    const held = connection.holdForMove(500);
    connection.receive(frame([2]));
    timers.advance(500);
    expect(await held).toBeNull();
    expect(state.paused).toBe(false);
    await Bun.sleep(0);
    expect(started).toEqual([1, 2]);
    releases[0]!();
    releases[1]!();
    await Bun.sleep(0);
    expect(written).toEqual([1, 2]);
  });

  test("a lent read buffer in an answer is given back only once the socket took all of it", async () => {
    const { records, freed } = lentRecords();
    const { connection, written, state } = harness(async () => [new Uint8Array([1, 2]), records], 1024, { budget: new MemoryBudget(1024 * 1024) });
    state.acceptBytes = 8192; // the socket takes 8 KiB per write, then says it is full
    connection.receive(frame([1]));
    await Bun.sleep(0);
    expect(written.length).toBe(2 + 8192);
    connection.drain();
    expect(freed()).toBe(false); // 4 KiB of it are still to go
    connection.drain();
    expect(written.length).toBe(2 + 20 * 1024);
    expect(freed()).toBe(true);
  });

  test("gathered: answers waiting at the head leave together, as few sends as the piece limit allows, in order", async () => {
    const pieces = Array.from({ length: 6 }, (_, i) => new Uint8Array(3).fill(i));
    let release = (_: FrameResult) => {};
    const { connection, written, state } = harness((f) => (f[0] === 0 ? new Promise((resolve) => (release = resolve)) : Promise.resolve(new Uint8Array([9, 9]))), 1024, { gathered: true });
    connection.receive(new Uint8Array([...frame([0]), ...frame([1])]));
    await Bun.sleep(0);
    release(pieces);
    await Bun.sleep(0);
    expect(written).toEqual([...pieces.flatMap((piece) => [...piece]), 9, 9]);
    expect(state.gatheredSends).toEqual([4, 3]);
    expect(state.writes).toBe(0);
  });

  test("gathered: a send the socket takes part of goes on from the middle of a piece after drain, and a lent buffer is given back only once all of it went", async () => {
    const { records, freed } = lentRecords();
    const { connection, written, state } = harness(async () => [new Uint8Array([1, 2]), records, new Uint8Array([3])], 1024, { gathered: true });
    state.acceptBytes = 4096;
    connection.receive(frame([1]));
    await Bun.sleep(0);
    // 4 KiB in one send, then 4 KiB more by the plain write of the piece cut short, which finds the socket full
    expect(written.length).toBe(2 * 4096);
    expect(state.gatheredSends).toEqual([3]);
    expect(freed()).toBe(false);
    state.acceptBytes = Infinity;
    connection.drain();
    expect(written).toEqual([1, 2, ...new Array(20 * 1024).fill(7), 3]);
    expect(freed()).toBe(true);
  });

  test("gathered: a socket closed before its close event drops the answer and closes the connection", async () => {
    const dispatched: number[] = [];
    const { connection, written, state } = harness(async (f) => (dispatched.push(f[0]!), [new Uint8Array([1]), new Uint8Array([2])]), 1024, { gathered: true });
    state.socketClosed = true;
    connection.receive(frame([0]));
    await Bun.sleep(0);
    expect(written).toEqual([]);
    connection.receive(frame([1])); // nothing more is dispatched
    await Bun.sleep(0);
    expect(dispatched).toEqual([0]);
  });
});
