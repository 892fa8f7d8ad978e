/**
 * Internal RPC between two processes on loopback against a plain TCP echo in the same run:
 * round trips/s with one call in flight and with 64 in flight (16-byte payload), and MB/s of
 * 64 KiB payloads with 16 in flight (each payload goes there and back: MB/s counts one way).
 * The server is this file run as a child (`--serve rpc|echo PORT`). Run: bun run bench/rpc.ts [--seconds S]
 */
import type { Socket } from "bun";
import { systemClock } from "../src/base/clock.ts";
import { logger } from "../src/base/log.ts";
import { systemTimers } from "../src/base/timers.ts";
import { bunDialer, listenRpc } from "../src/rpc/bun-net.ts";
import { RpcEndpoint } from "../src/rpc/endpoint.ts";
import { pingServer } from "../src/rpc/node.ts";
import { PeerLink } from "../src/rpc/outbound.ts";
import { RateLimitedLog } from "../src/rpc/rate-limited-log.ts";

const CLUSTER = "bench";
const log = logger("bench-rpc");
const args = process.argv.slice(2);

if (args[0] === "--serve") serve(args[1] as "rpc" | "echo");
else await main(Number(args[args.indexOf("--seconds") + 1] || 1.5));

function serve(kind: "rpc" | "echo"): void {
  if (kind === "echo") {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: (socket) => void socket.setNoDelay(true), data: (socket, chunk) => echo(socket, chunk), drain: (socket) => flush(socket) } });
    return void console.log(listener.port);
  }
  const identity = { nodeId: 2, clusterId: CLUSTER, shardId: 0, shardCount: 1, softwareVersion: "bench" };
  const endpoint = new RpcEndpoint(pingServer(identity), { shardId: 0, shardCount: 1, groupOwner: () => null, hop: () => Promise.reject(new Error("one shard")) }, new Map());
  const listener = listenRpc("127.0.0.1", 0, { identity, serve: endpoint.serve, frameBytesMax: 1 << 24, inflightMax: 1024, warn: new RateLimitedLog(log, systemClock) });
  console.log(listener.port);
}

const pendingEcho = new WeakMap<Socket<any>, Uint8Array[]>();
function echo(socket: Socket<any>, chunk: Uint8Array): void {
  const queue = pendingEcho.get(socket) ?? [];
  pendingEcho.set(socket, queue);
  queue.push(chunk.slice());
  flush(socket);
}
function flush(socket: Socket<any>): void {
  const queue = pendingEcho.get(socket) ?? [];
  while (queue.length > 0) {
    const written = socket.write(queue[0]);
    if (written < queue[0].length) return void (queue[0] = queue[0].subarray(Math.max(0, written)));
    queue.shift();
  }
}

async function startChild(kind: "rpc" | "echo") {
  const child = Bun.spawn([process.execPath, import.meta.path, "--serve", kind], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) text += new TextDecoder().decode((await reader.read()).value);
  return { child, port: Number(text.trim()) };
}

/** Runs `inFlight` loops of `once` for `seconds`; returns operations per second. */
async function measure(seconds: number, inFlight: number, once: () => Promise<void>): Promise<number> {
  const endMs = performance.now() + seconds * 1000;
  let count = 0;
  const startMs = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (performance.now() < endMs) {
      await once();
      count++;
    }
  }));
  return count / ((performance.now() - startMs) / 1000);
}

/** A plain TCP client of the echo server: `send(n)` resolves once n more bytes came back (in order). */
async function echoClient(port: number) {
  let received = 0;
  const waiters: Array<{ until: number; resolve: () => void }> = [];
  let sent = 0;
  const queue: Uint8Array[] = [];
  const socket = await Bun.connect({
    hostname: "127.0.0.1", port,
    socket: {
      data: (_s, chunk) => {
        received += chunk.length;
        while (waiters.length > 0 && waiters[0].until <= received) waiters.shift()!.resolve();
      },
      drain: (s) => flushQueue(s),
    },
  });
  socket.setNoDelay(true);
  const flushQueue = (s: Socket<any>) => {
    while (queue.length > 0) {
      const written = s.write(queue[0]);
      if (written < queue[0].length) return void (queue[0] = queue[0].subarray(Math.max(0, written)));
      queue.shift();
    }
  };
  return {
    send(bytes: Uint8Array): Promise<void> {
      sent += bytes.length;
      const until = sent;
      const done = new Promise<void>((resolve) => waiters.push({ until, resolve }));
      queue.push(bytes);
      if (queue.length === 1) flushQueue(socket);
      return done;
    },
    close: () => socket.end(),
  };
}

async function main(seconds: number): Promise<void> {
  const rpcServer = await startChild("rpc");
  const echoServer = await startChild("echo");
  const link = new PeerLink({
    address: { host: "127.0.0.1", port: rpcServer.port },
    hello: { nodeId: 1, clusterId: CLUSTER, rpcHost: "127.0.0.1", rpcPort: 0, shardId: 0, shardCount: 1, softwareVersion: "bench" },
    dial: bunDialer, clock: systemClock, timers: systemTimers, random: Math.random, backoff: { baseMs: 10, maxMs: 100 },
    inflightMax: 1024, frameBytesMax: 1 << 24, callTimeoutMs: 10_000, pingIntervalMs: 0, warn: new RateLimitedLog(log, systemClock),
  });
  link.start();
  while (link.snapshot().state !== "connected") await Bun.sleep(5); // the hello: no event to await from outside
  const plain = await echoClient(echoServer.port);

  const small = new Uint8Array(16);
  const big = new Uint8Array(64 * 1024);
  const rows: Array<[string, number, number, string]> = [];
  for (const [name, inFlight, payload] of [["round trips/s, 1 in flight", 1, small], ["round trips/s, 64 in flight", 64, small], ["MB/s, 64 KiB x 16 in flight", 16, big]] as const) {
    const rpcOps = await measure(seconds, inFlight, async () => void (await link.call("ping", { sentAtMs: 0, payload })));
    // The echo sends what an RPC frame of that payload would carry: header and fields add ~30 bytes.
    const frame = new Uint8Array(payload.length + 30);
    const echoOps = await measure(seconds, inFlight, () => plain.send(frame));
    const scale = payload === big ? payload.length / 1e6 : 1;
    rows.push([name, rpcOps * scale, echoOps * scale, (rpcOps / echoOps).toFixed(2)]);
  }
  console.log(`${"".padEnd(30)} ${"rpc".padStart(10)} ${"tcp echo".padStart(10)}  rpc/echo`);
  for (const [name, rpc, base, ratio] of rows) console.log(`${name.padEnd(30)} ${rpc.toFixed(0).padStart(10)} ${base.toFixed(0).padStart(10)}  ${ratio}`);
  link.close();
  plain.close();
  rpcServer.child.kill();
  echoServer.child.kill();
}
