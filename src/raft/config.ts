/**
 * Raft configurations: the batches that carry them and quorum arithmetic.
 *
 * A configuration batch is a Kafka control batch (attribute 0x20, so consumers skip it) with one
 * record whose key is a control-record key (int16 version 0, int16 type RAFT_CONFIG_CONTROL_TYPE;
 * Kafka's own types are 0 abort and 1 commit) and whose value is
 * [u16 format 0][u32 voter count][i32 voter]...[u32 learner count][i32 learner]...
 */
import { assert } from "../base/assert.ts";
import { buildBatch } from "../storage/batch-builder.ts";
import * as rb from "../storage/record-batch.ts";
import type { NodeId, RaftConfig } from "./types.ts";

export const RAFT_CONFIG_CONTROL_TYPE = 0x5241;
/** Bounds what a decoded configuration may hold. */
export const CONFIG_MEMBERS_MAX = 64;
const KEY_BYTES = 4;

export function configBatch(config: RaftConfig, timestampMs: number): Uint8Array {
  checkConfig(config);
  const value = new Uint8Array(2 + 4 + 4 * config.voters.length + 4 + 4 * config.learners.length);
  const view = new DataView(value.buffer);
  let at = 2;
  for (const list of [config.voters, config.learners]) {
    view.setUint32(at, list.length);
    at += 4;
    for (const id of list) {
      view.setInt32(at, id);
      at += 4;
    }
  }
  const key = new Uint8Array(KEY_BYTES);
  new DataView(key.buffer).setInt16(2, RAFT_CONFIG_CONTROL_TYPE);
  const bytes = buildBatch({ records: [{ key, value }], baseTimestamp: timestampMs });
  const batch = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  batch.setInt16(rb.Field.attributes, rb.attributes(bytes) | rb.ATTR_CONTROL);
  batch.setUint32(rb.Field.crc, rb.computeCrc(bytes));
  return bytes;
}

/** The configuration in the batch at `at`, or null if it is not a configuration batch. */
export function decodeConfigBatch(b: Uint8Array, at = 0): RaftConfig | null {
  if ((rb.attributes(b, at) & rb.ATTR_CONTROL) === 0 || rb.recordsCount(b, at) !== 1) return null;
  const end = at + rb.batchSizeBytes(b, at);
  const cursor = { pos: at + rb.BATCH_HEADER_BYTES };
  rb.readVarint(b, cursor); // record length
  cursor.pos++; // record attributes
  rb.readVarint(b, cursor); // timestamp delta
  rb.readVarint(b, cursor); // offset delta
  if (rb.readVarint(b, cursor) !== KEY_BYTES || cursor.pos + KEY_BYTES > end) return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getInt16(cursor.pos + 2) !== RAFT_CONFIG_CONTROL_TYPE) return null;
  cursor.pos += KEY_BYTES;
  const valueBytes = rb.readVarint(b, cursor);
  assert(valueBytes >= 10 && cursor.pos + valueBytes <= end, "raft configuration batch: bad value length");
  let p = cursor.pos + 2;
  const lists: NodeId[][] = [];
  for (let l = 0; l < 2; l++) {
    const count = view.getUint32(p);
    assert(count <= CONFIG_MEMBERS_MAX && p + 4 + 4 * count <= cursor.pos + valueBytes, "raft configuration batch: bad member count");
    p += 4;
    const ids: NodeId[] = [];
    for (let i = 0; i < count; i++, p += 4) ids.push(view.getInt32(p));
    lists.push(ids);
  }
  const config = { voters: lists[0]!, learners: lists[1]! };
  checkConfig(config);
  return config;
}

/** Voters non-empty; voters and learners sorted, distinct and disjoint. */
export function checkConfig(config: RaftConfig): void {
  assert(config.voters.length > 0 && config.voters.length + config.learners.length <= CONFIG_MEMBERS_MAX, "raft configuration size");
  const all = [...config.voters, ...config.learners];
  assert(new Set(all).size === all.length, `raft configuration repeats a member: ${JSON.stringify(config)}`);
  for (const list of [config.voters, config.learners]) for (let i = 1; i < list.length; i++) assert(list[i - 1]! < list[i]!, "raft configuration not sorted");
}

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

export function isVoter(config: RaftConfig, id: NodeId): boolean {
  return config.voters.includes(id);
}

export function isMember(config: RaftConfig, id: NodeId): boolean {
  return config.voters.includes(id) || config.learners.includes(id);
}

/** Every member but `self`: who a leader replicates to. */
export function peersOf(config: RaftConfig, self: NodeId): NodeId[] {
  return [...config.voters, ...config.learners].filter((id) => id !== self);
}

export function sortedIds(ids: Iterable<NodeId>): NodeId[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

export function sameConfig(a: RaftConfig, b: RaftConfig): boolean {
  return a.voters.join() === b.voters.join() && a.learners.join() === b.learners.join();
}

/**
 * The largest index held by a majority of voters, given each voter's durable match index
 * (the leader's own included): the median from the top.
 */
export function quorumIndex(config: RaftConfig, matchOf: (id: NodeId) => number): number {
  const matches = config.voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(config.voters.length) - 1]!;
}
