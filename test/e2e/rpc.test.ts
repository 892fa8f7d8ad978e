/**
 * Internal RPC between two `dist/skua` processes: they dial each other (one of the links goes
 * through the fault-injecting proxy), exchange hellos and pings, and show it in GET /v1/brokers;
 * a cut link reconnects with backoff while the other direction keeps working; garbage, a request
 * before the hello and a foreign cluster's hello close only their own connection.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminGet, freePort, pollUntil, runSkua, startBroker, type Broker } from "../helpers/broker.ts";
import { Proxy } from "../helpers/proxy.ts";
import { decodeBody, encodeFrame, FrameCutter, readHeader } from "../../src/rpc/frame.ts";
import { HelloRequest, HelloResponse, PingRequest, PingResponse, RpcErrorBody, RpcKind } from "../../src/rpc/messages/index.ts";

const CLUSTER = "skua-e2e-rpc";

interface Link { shard: number; state: string; connects: number; disconnects: number; consecutive_failures: number; last_error: string | null; pings_ok: number }
interface BrokerEntry { node_id: number | null; is_alive: boolean; internal_rpc_port: number; cluster_id_refused?: boolean; rpc_links?: Link[] }

async function brokers(broker: Broker): Promise<BrokerEntry[]> {
  const { status, text } = await adminGet(broker, "/v1/brokers");
  expect(status).toBe(200);
  return JSON.parse(text) as BrokerEntry[];
}

/** Polls this node's entry for the peer at `port` until `check` holds. */
async function peerUntil(broker: Broker, port: number, what: string, check: (peer: BrokerEntry) => boolean): Promise<BrokerEntry> {
  return pollUntil(what, async () => {
    const peer = (await brokers(broker)).find((b) => b.internal_rpc_port === port);
    return peer && check(peer) ? peer : undefined;
  }, 20_000);
}

function rpcArgs(nodeId: number, port: number, seeds: number[]): string[] {
  return ["--node-id", String(nodeId), "--rpc-addr", `127.0.0.1:${port}`, "--seeds", seeds.map((p) => `127.0.0.1:${p}`).join(",")];
}

/** A raw RPC connection from the test: frames in, frames out, and whether the node closed it. */
async function rawRpc(port: number) {
  const cutter = new FrameCutter(1 << 20);
  const frames: Uint8Array[] = [];
  const closed = Promise.withResolvers<void>();
  let wake = () => {};
  const socket = await Bun.connect({
    hostname: "127.0.0.1", port,
    socket: { data: (_s, chunk) => (frames.push(...cutter.push(chunk)), wake()), close: () => closed.resolve(), error: () => closed.resolve() },
  });
  const next = async () => {
    while (frames.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    return readHeader(frames.shift()!);
  };
  return { socket, next, closed: closed.promise };
}

const hello = (clusterId: string) => encodeFrame({ kind: RpcKind.request, method: HelloRequest.apiKey, correlationId: 1, group: -1, shard: -1 }, HelloRequest, {
  nodeId: 99, clusterId, rpcHost: "127.0.0.1", rpcPort: 1, shardId: 0, shardCount: 1, softwareVersion: "test",
});
const ping = (correlationId: number, shard: number) => encodeFrame({ kind: RpcKind.request, method: PingRequest.apiKey, correlationId, group: -1, shard }, PingRequest, { sentAtMs: correlationId, payload: new Uint8Array([shard]) });

test("a bad node flag exits 2 naming it", async () => {
  const result = await runSkua(["start", "--seeds", "127.0.0.1:x"]);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--seeds");
});

test("two nodes exchange hello and pings; a cut link reconnects with backoff; bad and foreign frames close only their connection", async () => {
  const portA = freePort();
  const portB = freePort();
  await using proxy = Proxy.listen();
  proxy.target = { host: "127.0.0.1", port: portB };
  // Two founders: A (2 shards) reaches B through the proxy; B reaches A directly. They start together.
  const [a, b] = await Promise.all([
    startBroker({ smp: 2, clusterId: CLUSTER, extraArgs: rpcArgs(1, portA, [portA, proxy.port]) }),
    startBroker({ smp: 1, clusterId: CLUSTER, extraArgs: rpcArgs(2, portB, [portA, portB]) }),
  ]);
  await using _a = a;
  await using _b = b;

  const seenByA = await peerUntil(a, proxy.port, "A sees B alive and pinged", (p) => p.is_alive && p.rpc_links!.every((l) => l.pings_ok > 0));
  expect(seenByA).toMatchObject({ node_id: 2, cluster_id_refused: false });
  expect(seenByA.rpc_links!.map((l) => l.shard)).toEqual([0, 1]); // each shard has its own link
  await peerUntil(b, portA, "B sees A alive", (p) => p.is_alive && p.node_id === 1);
  expect((await brokers(a))[0]).toMatchObject({ node_id: 1, is_alive: true, internal_rpc_port: portA });

  // Cut A→B and refuse reconnects for a while: A's links back off with growing failures.
  proxy.target = null;
  proxy.cutAll();
  const down = await peerUntil(a, proxy.port, "A's links backing off", (p) => !p.is_alive && p.rpc_links!.every((l) => l.consecutive_failures >= 3));
  expect(down.rpc_links!.every((l) => l.state !== "connected" && l.disconnects >= 1 && l.last_error !== null)).toBe(true);
  const directB = await peerUntil(b, portA, "B→A still up", (p) => p.is_alive);
  expect(directB.rpc_links![0].disconnects).toBe(0);
  proxy.target = { host: "127.0.0.1", port: portB };
  const back = await peerUntil(a, proxy.port, "A reconnected", (p) => p.is_alive && p.rpc_links!.every((l) => l.connects >= 2));
  expect(back.rpc_links!.every((l) => l.consecutive_failures === 0)).toBe(true);

  // Requests name a destination shard: one lands on the shard that accepted it, the other one hop away.
  const client = await rawRpc(portA);
  client.socket.write(hello(CLUSTER));
  const helloAnswer = await client.next();
  expect(decodeBody(HelloResponse, helloAnswer.body)).toMatchObject({ nodeId: 1, clusterId: CLUSTER, shardCount: 2 });
  client.socket.write(ping(10, 0));
  client.socket.write(ping(11, 1));
  const answers = [await client.next(), await client.next()].sort((x, y) => x.header.correlationId - y.header.correlationId);
  expect(answers.map((x) => decodeBody(PingResponse, x.body).shardId)).toEqual([0, 1]);
  client.socket.write(ping(12, 7));
  const noShard = await client.next();
  expect(noShard.header.kind).toBe(RpcKind.error);
  expect(decodeBody(RpcErrorBody, noShard.body).message).toContain("no shard 7");
  client.socket.end();

  // Garbage, a ping before the hello, and another cluster's hello: each closes its own connection.
  const garbage = await rawRpc(portB);
  garbage.socket.write(new TextEncoder().encode("\x00\x00\x00\x12GET / HTTP/1.1\r\n\r\n"));
  await garbage.closed;
  const early = await rawRpc(portB);
  early.socket.write(ping(1, -1));
  await early.closed;
  const foreign = await rawRpc(portB);
  foreign.socket.write(hello("another-cluster"));
  const refusal = await foreign.next();
  expect(refusal.header.kind).toBe(RpcKind.error);
  expect(decodeBody(RpcErrorBody, refusal.body).message).toContain("cluster id mismatch");
  await foreign.closed;
  expect(b.stderr()).toContain("closing RPC connection after a bad frame");
  expect(b.stderr()).toContain("refusing RPC connection from another cluster");

  // The real links were not touched by any of it.
  const afterA = (await brokers(a)).find((p) => p.internal_rpc_port === proxy.port)!;
  expect(afterA.is_alive).toBe(true);
  expect(afterA.rpc_links!.map((l) => l.connects)).toEqual(back.rpc_links!.map((l) => l.connects));
  const afterB = (await brokers(b)).find((p) => p.internal_rpc_port === portA)!;
  expect(afterB).toMatchObject({ is_alive: true, rpc_links: [expect.objectContaining({ disconnects: 0 })] });
}, 90_000);

test("a node of another cluster is refused by its seed and stops with the reason", async () => {
  const portB = freePort();
  // No seeds: B founds a cluster of one.
  await using b = await startBroker({ clusterId: CLUSTER, extraArgs: ["--node-id", "2", "--rpc-addr", `127.0.0.1:${portB}`] });
  const dir = mkdtempSync(join(tmpdir(), "skua-e2e-foreign-"));
  try {
    writeFileSync(join(dir, "cluster_id"), "some-other-cluster\n");
    const c = await runSkua(["start", "--data-dir", dir, "--kafka-addr", `127.0.0.1:${freePort()}`, "--admin-addr", `127.0.0.1:${freePort()}`, ...rpcArgs(3, freePort(), [portB])], 20_000);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain("the cluster refused this node");
    expect(c.stderr).toContain("cluster id mismatch");
    expect(b.stderr()).toContain("refusing RPC connection from another cluster");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
