/** Consumer group administration: list, describe (members and assignments), committed offsets, commit, delete. */
import { decode } from "../protocol/codec.ts";
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from "../protocol/messages/index.ts";
import { Reader } from "../protocol/reader.ts";
import type { MessageDef } from "../protocol/schema.ts";
import type { KafkaClient } from "./client.ts";
import { check, errorName } from "./errors.ts";

export interface ListedGroup {
  group: string;
  state: string;
  protocolType: string;
  coordinator: number;
}

/** Every group on every broker. */
export async function listGroups(client: KafkaClient): Promise<ListedGroup[]> {
  const meta = await client.metadata([]);
  const out: ListedGroup[] = [];
  for (const broker of meta.brokers) {
    const response = await client.callNode(broker.nodeId, "ListGroups", { statesFilter: [], typesFilter: [] });
    check(response.errorCode, `list groups on broker ${broker.nodeId}`);
    for (const g of response.groups) out.push({ group: g.groupId, state: g.groupState, protocolType: g.protocolType, coordinator: broker.nodeId });
  }
  return out.sort((a, b) => a.group.localeCompare(b.group));
}

export interface GroupMember {
  memberId: string;
  instanceId: string | null;
  clientId: string;
  host: string;
  assignments: Array<{ topic: string; partitions: number[] }>;
}

export interface DescribedGroup {
  group: string;
  coordinator: number;
  state: string;
  protocolType: string;
  /** The assignor the members agreed on (e.g. range). */
  protocol: string;
  members: GroupMember[];
}

export async function describeGroup(client: KafkaClient, group: string): Promise<DescribedGroup> {
  const coordinator = await client.coordinator(group);
  const response = await client.callNode(coordinator, "DescribeGroups", { groups: [group], includeAuthorizedOperations: false });
  const g = response.groups[0];
  check(g.errorCode, `group '${group}'`);
  return {
    group, coordinator, state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData,
    members: g.members.map((m: any) => ({
      memberId: m.memberId, instanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost,
      assignments: g.protocolType === "consumer" ? decodeAssignment(m.memberAssignment) : [],
    })),
  };
}

/** A member's assignment blob: [int16 version][ConsumerProtocolAssignment]; newer versions only append. */
export function decodeAssignment(bytes: Uint8Array): Array<{ topic: string; partitions: number[] }> {
  if (bytes.length < 2) return [];
  return decodeVersioned(ConsumerProtocolAssignment, bytes).assignedPartitions.map((a) => ({ topic: a.topic, partitions: a.partitions }));
}

/** The topics in a member's subscription blob: [int16 version][ConsumerProtocolSubscription]. */
export function subscribedTopics(bytes: Uint8Array): string[] {
  return bytes.length < 2 ? [] : decodeVersioned(ConsumerProtocolSubscription, bytes).topics;
}

function decodeVersioned<T>(def: MessageDef<T>, bytes: Uint8Array): T {
  const reader = new Reader(bytes);
  const [low, high] = def.valid;
  return decode(def, Math.min(Math.max(reader.int16(), low), high), reader);
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: number; // -1: none
}

/**
 * The group's committed offsets (all of them, or those of `topics`). `requireStable`: a partition
 * with a transactional commit still pending fails (UNSTABLE_OFFSET_COMMIT) instead of answering the
 * offset before it.
 */
export async function committedOffsets(client: KafkaClient, group: string, topics: string[] | null = null, requireStable = false): Promise<CommittedOffset[]> {
  const coordinator = await client.coordinator(group);
  const request = topics === null ? null : await topicPartitions(client, topics);
  const response = await client.callNode(coordinator, "OffsetFetch", {
    groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: request }],
    requireStable,
  });
  const g = response.groups[0];
  check(g.errorCode, `offsets of group '${group}'`);
  const out: CommittedOffset[] = [];
  for (const t of g.topics) {
    for (const p of t.partitions) {
      check(p.errorCode, `offset of group '${group}' on ${t.name}/${p.partitionIndex}`);
      out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset });
    }
  }
  return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

async function topicPartitions(client: KafkaClient, topics: string[]) {
  const out = [];
  for (const name of topics) out.push({ name, partitionIndexes: (await client.topic(name)).partitions.map((p) => p.partitionIndex) });
  return out;
}

export interface Membership {
  generationId: number;
  memberId: string;
}

/** Commits `offsets`; as a member of the current generation, or (null) from outside, which only an empty group accepts. */
export async function commitOffsets(client: KafkaClient, group: string, offsets: CommittedOffset[], as: Membership | null): Promise<void> {
  const coordinator = await client.coordinator(group);
  const topics = new Map<string, Array<{ partitionIndex: number; committedOffset: number }>>();
  for (const o of offsets) {
    if (!topics.has(o.topic)) topics.set(o.topic, []);
    topics.get(o.topic)!.push({ partitionIndex: o.partition, committedOffset: o.offset });
  }
  const response = await client.callNode(coordinator, "OffsetCommit", {
    groupId: group, generationIdOrMemberEpoch: as?.generationId ?? -1, memberId: as?.memberId ?? "", groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [...topics].map(([name, partitions]) => ({ name, partitions: partitions.map((p) => ({ ...p, committedLeaderEpoch: -1, committedMetadata: null })) })),
  });
  for (const t of response.topics) for (const p of t.partitions) check(p.errorCode, `commit of group '${group}' on ${t.name}/${p.partitionIndex}`);
}

export interface DeletedGroup {
  group: string;
  errorCode: number;
  status: string;
}

export async function deleteGroups(client: KafkaClient, groups: string[]): Promise<DeletedGroup[]> {
  const out: DeletedGroup[] = [];
  for (const group of groups) {
    const coordinator = await client.coordinator(group);
    const response = await client.callNode(coordinator, "DeleteGroups", { groupsNames: [group] });
    const r = response.results[0];
    out.push({ group, errorCode: r.errorCode, status: r.errorCode === 0 ? "OK" : errorName(r.errorCode) });
  }
  return out;
}
