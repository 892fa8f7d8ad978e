/** Two and three RPC nodes in this process on loopback (port 0): hello, routing, backpressure, refusals, reconnects. */
import { afterEach, expect, test } from "bun:test";
import { systemClock } from "../base/clock.ts";
import { logger } from "../base/log.ts";
import { mulberry32 } from "../base/random.ts";
import { systemTimers } from "../base/timers.ts";
import type { RpcServers } from "./endpoint.ts";
import { Backoff } from "./backoff.ts";
import { encodeFrame } from "./frame.ts";
import { HelloRequest, RpcKind } from "./messages/index.ts";
import { pingServer, startShardRpc, type ShardRpc } from "./node.ts";
import { RpcRemoteError, RpcUnavailableError, type PeerLink } from "./outbound.ts";

const log = logger("rpc-test");
const running: ShardRpc[] = [];
afterEach(() => {
  for (const rpc of running.splice(0)) rpc.stop();
});

interface NodeSpec {
  nodeId: number;
  clusterId?: string;
  shards?: number;
  port?: number;
  seeds?: number[];
  servers?: (shardId: number) => RpcServers;
  inflightMax?: number;
}

/** A node of `shards` endpoints sharing one port; a hop is a direct call to the owner endpoint (the shard channel in the broker). */
function startNode(spec: NodeSpec): ShardRpc[] {
  const shardCount = spec.shards ?? 1;
  const shards: ShardRpc[] = [];
  let port = spec.port ?? 0;
  for (let shardId = 0; shardId < shardCount; shardId++) {
    const identity = { nodeId: spec.nodeId, clusterId: spec.clusterId ?? "cluster-a", shardId, shardCount, softwareVersion: "test" };
    const rpc = startShardRpc({
      identity,
      settings: { listen: { host: "127.0.0.1", port }, advertised: { host: "127.0.0.1", port }, seeds: (spec.seeds ?? []).map((p) => ({ host: "127.0.0.1", port: p })) },
      routing: {
        shardId, shardCount,
        groupOwner: (group) => (group === 77 ? shardCount - 1 : null),
        hop: (owner, request) => shards[owner].endpoint.hopServers.rpcDeliver({ method: request.method, body: request.body.slice() }),
      },
      clock: systemClock, timers: systemTimers, random: mulberry32(spec.nodeId * 100 + shardId), log,
      backoff: { baseMs: 10, maxMs: 80 }, pingIntervalMs: 50,
      servers: spec.servers?.(shardId) ?? pingServer(identity),
      inflightMax: spec.inflightMax,
    });
    port = rpc.listener.port;
    shards.push(rpc);
    running.push(rpc);
  }
  return shards;
}

const onlyLink = (rpc: ShardRpc): PeerLink => [...(rpc.endpoint as any).links.values()][0];

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5); // polling a state that has no event of its own
  }
}

test("a node dials its seed, exchanges hello, and pings reach the shard the destination names", async () => {
  const b = startNode({ nodeId: 2, shards: 2 });
  const [a] = startNode({ nodeId: 1, seeds: [b[0].listener.port] });
  const link = onlyLink(a);
  await until("connected", () => link.snapshot().state === "connected");
  expect(link.snapshot()).toMatchObject({ nodeId: 2, shardCount: 2, connects: 1, refused: false });
  for (const shard of [0, 1]) {
    const answer = await link.call("ping", { sentAtMs: 5, payload: new Uint8Array([shard]) }, { shard });
    expect(answer).toMatchObject({ nodeId: 2, shardId: shard, sentAtMs: 5, payload: new Uint8Array([shard]) });
  }
  expect((await link.call("ping", { sentAtMs: 1, payload: new Uint8Array(0) }, { group: 77 })).shardId).toBe(1);
  await expect(link.call("ping", { sentAtMs: 1, payload: new Uint8Array(0) }, { group: 5 })).rejects.toThrow(/no shard of this node owns group 5/);
  await expect(link.call("ping", { sentAtMs: 1, payload: new Uint8Array(0) }, { shard: 9 })).rejects.toThrow(RpcRemoteError);
  await until("a ping", () => link.snapshot().pingsOk > 0);
});

test("a node of another cluster is refused; garbage closes only its own connection", async () => {
  const b = startNode({ nodeId: 2 });
  const [a] = startNode({ nodeId: 1, seeds: [b[0].listener.port] });
  const [foreign] = startNode({ nodeId: 9, clusterId: "cluster-z", seeds: [b[0].listener.port] });
  await until("a connected", () => onlyLink(a).snapshot().state === "connected");
  await until("foreign refused", () => onlyLink(foreign).snapshot().refused);
  expect(onlyLink(foreign).snapshot().lastError).toMatch(/cluster id mismatch/);
  expect(onlyLink(foreign).snapshot().state).not.toBe("connected");

  const closed = Promise.withResolvers<void>();
  const raw = await Bun.connect({ hostname: "127.0.0.1", port: b[0].listener.port, socket: { data() {}, close: () => closed.resolve() } });
  raw.write(new TextEncoder().encode("\x00\x00\x00\x10GET / HTTP/1.1\r\n\r\n"));
  await closed.promise; // the server closed the garbage connection

  const closed2 = Promise.withResolvers<void>();
  const raw2 = await Bun.connect({ hostname: "127.0.0.1", port: b[0].listener.port, socket: { data() {}, close: () => closed2.resolve() } });
  // a well-formed frame, but not a hello first
  raw2.write(encodeFrame({ kind: RpcKind.request, method: 1, correlationId: 1, group: -1, shard: -1 }, HelloRequest, {}));
  await closed2.promise;

  const link = onlyLink(a);
  expect(link.snapshot()).toMatchObject({ state: "connected", connects: 1, disconnects: 0 });
  expect((await link.call("ping", { sentAtMs: 2, payload: new Uint8Array(0) })).nodeId).toBe(2);
});

test("past inflightMax callers wait; all are answered once the server catches up", async () => {
  const held: Array<() => void> = [];
  let servedConcurrentlyMax = 0;
  let serving = 0;
  const b = startNode({
    nodeId: 2,
    servers: (shardId) => ({
      ping: async (request) => {
        servedConcurrentlyMax = Math.max(servedConcurrentlyMax, ++serving);
        await new Promise<void>((resolve) => held.push(resolve));
        serving--;
        return { ...request, nodeId: 2, shardId };
      },
    }),
  });
  const [a] = startNode({ nodeId: 1, seeds: [b[0].listener.port], inflightMax: 3 });
  const link = onlyLink(a);
  await until("connected", () => link.snapshot().state === "connected");
  const calls = Array.from({ length: 10 }, (_, i) => link.call("ping", { sentAtMs: i, payload: new Uint8Array(0) }));
  let answered = 0;
  for (const call of calls) void call.then(() => answered++);
  await until("3 held", () => held.length >= 3);
  expect(link.snapshot().inflight).toBe(3);
  while (answered < 10) {
    held.shift()?.();
    await Bun.sleep(1);
    expect(link.snapshot().inflight).toBeLessThanOrEqual(3);
  }
  expect((await Promise.all(calls)).map((r) => r.sentAtMs).sort((x, y) => x - y)).toEqual([...Array(10).keys()]);
  expect(servedConcurrentlyMax).toBeLessThanOrEqual(4); // 3 calls plus the link's own pings
});

test("after the peer goes away the link fails calls at once, backs off, and reconnects when it is back", async () => {
  let b = startNode({ nodeId: 2 });
  const port = b[0].listener.port;
  const [a] = startNode({ nodeId: 1, seeds: [port] });
  const link = onlyLink(a);
  await until("connected", () => link.snapshot().state === "connected");
  b[0].stop();
  await until("lost", () => link.snapshot().state !== "connected");
  await expect(link.call("ping", { sentAtMs: 0, payload: new Uint8Array(0) })).rejects.toThrow(RpcUnavailableError);
  await until("3 failed attempts", () => link.snapshot().consecutiveFailures >= 3);
  b = startNode({ nodeId: 2, port });
  await until("reconnected", () => link.snapshot().state === "connected");
  expect(link.snapshot()).toMatchObject({ connects: 2, disconnects: 1, consecutiveFailures: 0 });
});

test("backoff doubles up to its cap, jittered within [delay/2, delay], repeatable by seed", () => {
  const delays = (seed: number) => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 5000 }, mulberry32(seed));
    return Array.from({ length: 10 }, () => backoff.nextDelayMs());
  };
  const ceilings = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000];
  delays(1).forEach((d, i) => {
    expect(d).toBeGreaterThanOrEqual(ceilings[i] / 2);
    expect(d).toBeLessThanOrEqual(ceilings[i]);
  });
  expect(delays(1)).toEqual(delays(1));
  expect(delays(1)).not.toEqual(delays(2));
  const backoff = new Backoff({ baseMs: 100, maxMs: 5000 }, () => 1);
  for (let i = 0; i < 50; i++) backoff.nextDelayMs();
  backoff.reset();
  expect(backoff.nextDelayMs()).toBe(100);
});
