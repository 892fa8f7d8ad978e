/**
 * A new node joining a running cluster (main thread, before its shards start): it dials its
 * seeds in turn with a hello that names no cluster, asks the one that answers to add it (the
 * call reaches the controller leader, which gives it an id and makes it a learner of the
 * controller group), and learns the cluster id, its node id and the leader to follow.
 */
import { systemClock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import { limits } from "../base/limits.ts";
import { systemTimers } from "../base/timers.ts";
import type { JoinOutcome } from "../cluster/controller-calls.ts";
import type { NodeRecord } from "../cluster/metadata.ts";
import { defaultBackoff } from "../rpc/backoff.ts";
import { bunDialer } from "../rpc/bun-net.ts";
import { JOINING_CLUSTER_ID } from "../rpc/inbound.ts";
import { RPC_CALL_TIMEOUT_MS } from "../rpc/node.ts";
import { PeerLink, type HostPort } from "../rpc/outbound.ts";
import { RateLimitedLog } from "../rpc/rate-limited-log.ts";

const JOIN_RETRY_MS = 1000;
const CONNECT_WAIT_MS = 3000;

export interface Joined {
  nodeId: number;
  clusterId: string;
  leader: number;
  nodes: NodeRecord[];
}

/** Retries through the seeds until one lets this node in, or a seed refuses it for good (an error). */
/** `clusterId`: the cluster this data dir already belongs to (a seed of another cluster refuses it, and that is final), or null. */
export async function joinThroughSeeds(seeds: HostPort[], node: Omit<NodeRecord, "id">, requestedId: number | null, clusterId: string | null, softwareVersion: string, log: Logger): Promise<Joined> {
  const warn = new RateLimitedLog(log, systemClock);
  for (let attempt = 0; ; attempt++) {
    const seed = seeds[attempt % seeds.length];
    const link = new PeerLink({
      address: seed,
      hello: { nodeId: requestedId ?? -1, clusterId: clusterId ?? JOINING_CLUSTER_ID, rpcHost: node.rpc.host, rpcPort: node.rpc.port, shardId: 0, shardCount: node.shardCount, softwareVersion },
      dial: bunDialer, clock: systemClock, timers: systemTimers, random: Math.random, backoff: defaultBackoff,
      inflightMax: 1, frameBytesMax: limits.rpcFrameBytesMax, callTimeoutMs: RPC_CALL_TIMEOUT_MS, pingIntervalMs: 0, warn,
    });
    link.start();
    try {
      const deadline = Date.now() + CONNECT_WAIT_MS;
      while (link.snapshot().state !== "connected" && !link.snapshot().refused && Date.now() < deadline) await Bun.sleep(20);
      if (link.snapshot().refused) throw new Error(`the cluster refused this node: ${link.snapshot().lastError}`);
      const answer = await link.call("controllerCall", { name: "joinNode", request: JSON.stringify({ node, requestedId }), relay: true }, { shard: 0 }, 60_000);
      if (answer.refusal === "") {
        const outcome = JSON.parse(answer.response) as JoinOutcome;
        if (!outcome.ok) throw new Error(`the cluster refused this node: ${outcome.error}`);
        log.info("joined the cluster", { through: `${seed.host}:${seed.port}`, nodeId: outcome.nodeId, clusterId: outcome.clusterId });
        return outcome;
      }
      log.warn("could not join through this seed yet; retrying", { seed: `${seed.host}:${seed.port}`, why: answer.refusal });
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("the cluster refused")) throw error;
      log.warn("could not join through this seed yet; retrying", { seed: `${seed.host}:${seed.port}`, why: String(error) });
    } finally {
      link.close();
    }
    await Bun.sleep(JOIN_RETRY_MS);
  }
}
