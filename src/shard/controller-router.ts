/**
 * Main-thread side of a cluster's controller: which node leads the controller group, and the
 * controller calls (from this node's shards, its admin API, or other nodes) sent where they can
 * run. A call runs here when this node leads and has applied everything before its term; else it
 * goes to the leader through shard 0, and is retried (a new leader, a link coming back) until
 * `CONTROLLER_CALL_TIMEOUT_MS`.
 */
import type { Servers } from "../base/calls.ts";
import { logger } from "../base/log.ts";
import type { Controller } from "../cluster/controller.ts";
import { NotControllerError } from "../cluster/controller.ts";
import type { ControllerCallName, ControllerCalls } from "../cluster/controller-calls.ts";
import type { ControllerLeadership } from "../replication/controller-host.ts";
import type { ControllerForwardResult, ControllerGroupCalls } from "./control.ts";

const log = logger("controller");
export const CONTROLLER_CALL_TIMEOUT_MS = 30_000;
const RETRY_MS = 100;

/** What the router needs of shard 0. */
export interface ControllerShard {
  forward(node: number, name: string, request: string): Promise<ControllerForwardResult>;
}

export class ControllerRouter {
  private leadership: ControllerLeadership = { leader: null, term: -1, ready: false };
  private shard: ControllerShard | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly controller: Controller,
    private readonly local: Servers<ControllerCalls>,
  ) {}

  /** Shard 0, once it runs. */
  attach(shard: ControllerShard): void {
    this.shard = shard;
  }

  get leader(): number | null {
    return this.leadership.leader;
  }

  /** This node leads the controller group and may plan changes. */
  get leadsReady(): boolean {
    return this.leadership.leader === this.nodeId && this.leadership.ready;
  }

  /** What the shards call: the controller calls, routed, and shard 0's reports. */
  servers(): Servers<ControllerCalls & ControllerGroupCalls> {
    return {
    ...(Object.fromEntries(
      (Object.keys(this.local) as ControllerCallName[]).map((name) => [name, (request: unknown) => this.call(name, request as never)]),
    ) as unknown as Servers<ControllerCalls>),
    controllerCommitted: async ({ updates }) => {
      for (const update of updates) await this.controller.applyCommitted(update);
    },
    controllerLeadership: async (leadership) => {
      if (leadership.leader !== this.leadership.leader) log.info("controller leader", { leader: leadership.leader, term: leadership.term });
      this.leadership = leadership;
    },
    controllerServe: ({ name, request, relay }) => this.serveForwarded(name as ControllerCallName, request, relay),
    };
  }

  /** Runs a controller call where it can run: here when leading, else on the leader. */
  async call<N extends ControllerCallName>(name: N, request: ControllerCalls[N]["request"]): Promise<ControllerCalls[N]["response"]> {
    const deadline = Date.now() + CONTROLLER_CALL_TIMEOUT_MS;
    let why = "no controller leader yet";
    while (Date.now() < deadline) {
      const { leader, ready } = this.leadership;
      if (leader === this.nodeId && ready) {
        try {
          return await this.local[name](request);
        } catch (error) {
          if (!(error instanceof NotControllerError)) throw error;
          why = error.message;
        }
      } else if (leader !== null && leader !== this.nodeId && this.shard) {
        const result = await this.shard.forward(leader, name, JSON.stringify(request));
        if (result.ok) {
          // As Redpanda: answer once this node's metadata shows the change, so the caller's next Metadata request sees it.
          while (this.controller.publishedVersion < result.version && Date.now() < deadline) await Bun.sleep(5);
          return JSON.parse(result.response) as ControllerCalls[N]["response"];
        }
        why = result.refusal;
      }
      await Bun.sleep(RETRY_MS);
    }
    throw new NotControllerError(`controller call ${name} did not run within ${CONTROLLER_CALL_TIMEOUT_MS} ms: ${why}`);
  }

  private async serveForwarded(name: ControllerCallName, request: string, relay: boolean): Promise<ControllerForwardResult> {
    if (!(name in this.local)) return { ok: false, refusal: `unknown controller call ${name}` };
    if (relay) {
      try {
        return { ok: true, response: JSON.stringify(await this.call(name, JSON.parse(request) as never)), version: this.controller.table.version };
      } catch (error) {
        if (error instanceof NotControllerError) return { ok: false, refusal: error.message };
        throw error;
      }
    }
    if (this.leadership.leader !== this.nodeId || !this.leadership.ready) return { ok: false, refusal: `node ${this.nodeId} does not lead the controller` };
    try {
      const response = await this.local[name](JSON.parse(request) as never);
      return { ok: true, response: JSON.stringify(response), version: this.controller.table.version };
    } catch (error) {
      if (error instanceof NotControllerError) return { ok: false, refusal: error.message };
      throw error;
    }
  }
}

/** A node of one: the controller calls run here; there is no controller group to hear from. */
export function singleNodeServers(local: Servers<ControllerCalls>): Servers<ControllerCalls & ControllerGroupCalls> {
  const notClustered = async (): Promise<never> => {
    throw new Error("this node is not in a cluster: it has no controller group");
  };
  return { ...local, controllerCommitted: notClustered, controllerLeadership: notClustered, controllerServe: notClustered };
}
