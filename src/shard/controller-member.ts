/**
 * Shard 0's part in the controller of a cluster: it hosts this node's member of the controller
 * group (`replication/controller-host.ts`), reports commits and leadership to the main thread,
 * and carries controller calls between this node's main thread and the leader's.
 */
import type { ControllerLeadership } from "../replication/controller-host.ts";
import type { Servers } from "../base/calls.ts";
import { systemClock } from "../base/clock.ts";
import type { Logger } from "../base/log.ts";
import { systemTimers } from "../base/timers.ts";
import type { ControllerCalls } from "../cluster/controller-calls.ts";
import type { ClusterProperties } from "../cluster/properties.ts";
import { join } from "node:path";
import { replaceFileAtomically } from "../io/atomic-file.ts";
import type { Disk } from "../io/disk.ts";
import type { RaftConfig, RaftReceiver, RaftTransport } from "../raft/types.ts";
import { ControllerHost } from "../replication/controller-host.ts";
import type { ControllerGroupHandle } from "../replication/leader-driver.ts";
import type { ShardRpc } from "../rpc/node.ts";
import type { Channel } from "./channel.ts";
import type { ControllerForwardResult, ControllerGroupCalls, ShardControlCalls } from "./control.ts";

/** How a group's Raft messages leave this node and how arriving ones reach it. */
export interface GroupNetwork {
  transport(group: number): RaftTransport;
  register(group: number, receiver: RaftReceiver): void;
}

/** The most controller voters: the first founders by id, an odd number (Redpanda's controller: 1, 3 or 5). */
const CONTROLLER_VOTERS_MAX = 5;

export function controllerConfig(founders: number[]): RaftConfig {
  const ids = [...new Set(founders)].sort((a, b) => a - b);
  let voters = Math.min(ids.length, CONTROLLER_VOTERS_MAX);
  if (voters % 2 === 0) voters--;
  return { voters: ids.slice(0, voters), learners: ids.slice(voters) };
}

export interface ControllerMemberOptions {
  nodeId: number;
  /** Whether this node is one of the seeds (a founder): only founders bootstrap the group. */
  founder: boolean;
  disk: Disk;
  dataDir: string;
  props: ClusterProperties;
  rpc: ShardRpc;
  network: GroupNetwork;
  main: Channel<ControllerCalls & ControllerGroupCalls, ShardControlCalls>;
  /** Also told each leadership change (the shard's leader table: Metadata's controller id). */
  onLeadership?: (leadership: ControllerLeadership) => void;
  log: Logger;
}

const SEED_WAIT_LOG_MS = 5000;

export class ControllerMember {
  private constructor(
    private readonly host: ControllerHost,
    private readonly options: ControllerMemberOptions,
  ) {}

  static async start(options: ControllerMemberOptions): Promise<ControllerMember> {
    const { rpc, network, main, log } = options;
    const bootstrap = await founders(options);
    const host = await ControllerHost.open({
      nodeId: options.nodeId,
      disk: options.disk,
      dataDir: options.dataDir,
      clock: systemClock,
      timers: systemTimers,
      transport: network.transport(0),
      random: Math.random,
      electionTimeoutMs: options.props.election_timeout_ms,
      heartbeatIntervalMs: options.props.raft_heartbeat_interval_ms,
      bootstrap,
      onCommitted: (updates) => main.call("controllerCommitted", { updates }),
      onLeadership: (leadership) => {
        options.onLeadership?.(leadership);
        void main.call("controllerLeadership", leadership);
      },
      log,
    });
    network.register(0, host);
    const member = new ControllerMember(host, options);
    rpc.endpoint.addServers({
      controllerCall: async ({ name, request, relay }) => {
        const result = await main.call("controllerServe", { name, request, relay });
        return result.ok ? { refusal: "", response: result.response, version: result.version } : { refusal: result.refusal, response: "", version: -1 };
      },
    });
    return member;
  }

  /** This node's member of the controller group, for the maintenance drain. */
  get group(): ControllerGroupHandle {
    return this.host;
  }

  /** The main thread's controller calls for shard 0. */
  servers(): Pick<Servers<ShardControlCalls>, "controllerPropose" | "controllerForward" | "controllerAddLearner" | "controllerLeave"> {
    return {
      controllerPropose: ({ update }) => this.host.propose(update),
      controllerForward: (request) => this.forward(request),
      controllerAddLearner: ({ node }) => this.host.addLearner(node),
      controllerLeave: ({ node, replacements, recorded }) => this.host.leaveStep(node, replacements, recorded),
    };
  }

  private async forward({ node, name, request }: { node: number; name: string; request: string }): Promise<ControllerForwardResult> {
    const link = this.options.rpc.endpoint.nodeLink(node);
    if (!link) return { ok: false, refusal: `no link to node ${node}` };
    try {
      const answer = await link.call("controllerCall", { name, request, relay: false }, { shard: 0 });
      return answer.refusal === "" ? { ok: true, response: answer.response, version: answer.version } : { ok: false, refusal: answer.refusal };
    } catch (error) {
      return { ok: false, refusal: String(error) };
    }
  }

  close(): Promise<void> {
    return this.host.close();
  }
}

const FOUNDERS_FILE = "founders.json";

/**
 * The founding configuration: recorded before the group first opens, so a founder that
 * restarts (even before its group wrote anything) starts from the same one.
 */
async function founders(options: ControllerMemberOptions): Promise<RaftConfig> {
  const dir = join(options.dataDir, "controller");
  const path = join(dir, FOUNDERS_FILE);
  if (await options.disk.exists(path)) {
    const file = await options.disk.open(path, { create: false });
    try {
      return JSON.parse(new TextDecoder().decode(await file.read(0, await file.size()))) as RaftConfig;
    } finally {
      await file.close();
    }
  }
  const config = await foundingConfig(options);
  await options.disk.mkdirp(dir);
  await replaceFileAtomically(options.disk, dir, FOUNDERS_FILE, new TextEncoder().encode(JSON.stringify(config)));
  options.log.info("founding the controller group", { voters: config.voters.join(","), learners: config.learners.join(",") });
  return config;
}

/**
 * A new controller group: a founder waits until it has heard every other seed's node id (the
 * founders are the seeds), then all founders start from the same configuration.
 */
async function foundingConfig(options: ControllerMemberOptions): Promise<RaftConfig> {
  if (!options.founder) {
    // main.ts joins a node that is not a seed before its shards start, and records the configuration it follows.
    throw new Error("a node that is not one of its seeds has no controller configuration: it should have joined through a seed before starting");
  }
  let lastLog = 0;
  for (;;) {
    const peers = options.rpc.endpoint.peers();
    if (peers.every((p) => p.nodeId !== null)) return controllerConfig([options.nodeId, ...peers.map((p) => p.nodeId!)]);
    const now = systemClock.nowMs();
    if (now - lastLog >= SEED_WAIT_LOG_MS) {
      lastLog = now;
      options.log.info("waiting for every seed to answer before founding the cluster", { waitingFor: peers.filter((p) => p.nodeId === null).map((p) => p.address).join(",") });
    }
    await Bun.sleep(100);
  }
}
