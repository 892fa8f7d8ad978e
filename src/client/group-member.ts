/**
 * Membership of a classic consumer group for one topic: JoinGroup (retrying with the
 * member id the coordinator hands out), SyncGroup (the leader assigns partitions with the
 * range strategy), a heartbeat timer, commits as the current generation, LeaveGroup.
 * A rebalance the heartbeat learns of sets `rebalanceNeeded`; the caller rejoins.
 */
import { encode } from "../protocol/codec.ts";
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from "../protocol/messages/index.ts";
import { Writer } from "../protocol/writer.ts";
import type { KafkaClient } from "./client.ts";
import { check, KafkaError } from "./errors.ts";
import { commitOffsets, decodeAssignment, subscribedTopics, type CommittedOffset, type Membership } from "./groups.ts";

const SESSION_TIMEOUT_MS = 10_000;
const REBALANCE_TIMEOUT_MS = 30_000;
const HEARTBEAT_INTERVAL_MS = 3_000;
const JOIN_ATTEMPTS_MAX = 10;
const SUBSCRIPTION_VERSION = 0;
const ASSIGNMENT_VERSION = 0;
const MEMBER_ID_REQUIRED = 79;
const REBALANCE_IN_PROGRESS = 27;

export class GroupMember {
  private memberId = "";
  private generationId = -1;
  private coordinator = -1;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  rebalanceNeeded = false;

  constructor(
    private readonly client: KafkaClient,
    readonly group: string,
    private readonly topic: string,
  ) {}

  get membership(): Membership {
    return { generationId: this.generationId, memberId: this.memberId };
  }

  /** Joins (or rejoins) and returns this member's partitions of the topic. */
  async join(): Promise<number[]> {
    this.stopHeartbeat();
    this.coordinator = await this.client.coordinator(this.group);
    const joined = await this.joinGroup();
    const assignments = joined.leader === this.memberId ? await this.assign(joined.members) : [];
    const synced = await this.client.callNode(this.coordinator, "SyncGroup", {
      groupId: this.group, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null,
      protocolType: "consumer", protocolName: "range", assignments,
    });
    check(synced.errorCode, `sync group '${this.group}'`);
    this.rebalanceNeeded = false;
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    return decodeAssignment(synced.assignment).filter((a) => a.topic === this.topic).flatMap((a) => a.partitions).sort((a, b) => a - b);
  }

  async commit(offsets: CommittedOffset[]): Promise<void> {
    if (offsets.length > 0) await commitOffsets(this.client, this.group, offsets, this.membership);
  }

  async leave(): Promise<void> {
    this.stopHeartbeat();
    if (this.memberId === "") return;
    const response = await this.client.callNode(this.coordinator, "LeaveGroup", {
      groupId: this.group, members: [{ memberId: this.memberId, groupInstanceId: null, reason: "skua topic consume finished" }],
    });
    check(response.errorCode, `leave group '${this.group}'`);
    this.memberId = "";
  }

  private async joinGroup(): Promise<any> {
    const subscription = versioned(SUBSCRIPTION_VERSION, (w) =>
      encode(ConsumerProtocolSubscription, SUBSCRIPTION_VERSION, { topics: [this.topic], userData: null }, w));
    for (let attempt = 0; attempt < JOIN_ATTEMPTS_MAX; attempt++) {
      const response = await this.client.callNode(this.coordinator, "JoinGroup", {
        groupId: this.group, sessionTimeoutMs: SESSION_TIMEOUT_MS, rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS, memberId: this.memberId,
        groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: subscription }], reason: null,
      }, REBALANCE_TIMEOUT_MS + 10_000);
      this.memberId = response.memberId;
      if (response.errorCode === MEMBER_ID_REQUIRED) continue; // KIP-394: join again with the id just given
      check(response.errorCode, `join group '${this.group}'`);
      this.generationId = response.generationId;
      return response;
    }
    throw new KafkaError(MEMBER_ID_REQUIRED, `join group '${this.group}'`, `no generation after ${JOIN_ATTEMPTS_MAX} attempts`);
  }

  /** The range strategy: each subscribed topic's partitions split into contiguous runs over the members in id order. */
  private async assign(members: Array<{ memberId: string; metadata: Uint8Array }>) {
    const byMember = new Map<string, Map<string, number[]>>(members.map((m) => [m.memberId, new Map()]));
    const topics = [...new Set(members.flatMap((m) => subscribedTopics(m.metadata)))].sort();
    for (const topic of topics) {
      const partitionCount = (await this.client.topic(topic)).partitions.length;
      const subscribers = members.filter((m) => subscribedTopics(m.metadata).includes(topic)).map((m) => m.memberId).sort();
      const each = Math.floor(partitionCount / subscribers.length);
      const extra = partitionCount % subscribers.length;
      let next = 0;
      subscribers.forEach((memberId, i) => {
        const count = each + (i < extra ? 1 : 0);
        byMember.get(memberId)!.set(topic, Array.from({ length: count }, (_, k) => next + k));
        next += count;
      });
    }
    return [...byMember].map(([memberId, assigned]) => ({
      memberId,
      assignment: versioned(ASSIGNMENT_VERSION, (w) => encode(ConsumerProtocolAssignment, ASSIGNMENT_VERSION, {
        assignedPartitions: [...assigned].map(([topic, partitions]) => ({ topic, partitions })), userData: null,
      }, w)),
    }));
  }

  private async beat(): Promise<void> {
    try {
      const response = await this.client.callNode(this.coordinator, "Heartbeat", {
        groupId: this.group, generationId: this.generationId, memberId: this.memberId, groupInstanceId: null,
      });
      if (response.errorCode !== 0) this.rebalanceNeeded = true;
      if (response.errorCode !== 0 && response.errorCode !== REBALANCE_IN_PROGRESS) this.memberId = ""; // fenced: join as new
    } catch {
      this.rebalanceNeeded = true;
    }
  }

  private stopHeartbeat(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}

function versioned(version: number, body: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  w.int16(version);
  body(w);
  return w.finish();
}
