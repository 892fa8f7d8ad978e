/**
 * A compact binary encoding of the Raft messages an idle group exchanges (heartbeats and their
 * replies), for measuring what batched heartbeats cost in bytes and CPU. Sender and receiver are
 * the connection's two nodes, so they are not on the wire. Other kinds (votes, appends) are rare
 * when idle and travel as JSON here.
 */
import type { AppendReply, HeartbeatRequest, RaftMessage } from "../../src/raft/types.ts";

const KIND_HEARTBEAT = 1;
const KIND_APPEND_REPLY = 2;
const KIND_OTHER = 3;
export const HEARTBEAT_BYTES = 1 + 4 + 4 + 8 + 4 + 8;
export const APPEND_REPLY_BYTES = 1 + 4 + 4 + 1 + 8 + 4 + 8 + 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sizeOf(m: RaftMessage, json: Map<RaftMessage, Uint8Array>): number {
  if (m.kind === "heartbeat") return HEARTBEAT_BYTES;
  if (m.kind === "appendReply") return APPEND_REPLY_BYTES;
  const bytes = encoder.encode(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)));
  json.set(m, bytes);
  return 1 + 4 + bytes.length;
}

/** One network message carrying `messages` (all from one node to one peer). */
export function encodeBatch(messages: readonly RaftMessage[]): Uint8Array {
  const json = new Map<RaftMessage, Uint8Array>();
  let size = 4;
  for (const m of messages) size += sizeOf(m, json);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, messages.length);
  let at = 4;
  for (const m of messages) {
    if (m.kind === "heartbeat") at = putHeartbeat(dv, at, m);
    else if (m.kind === "appendReply") at = putReply(dv, at, m);
    else {
      const bytes = json.get(m) as Uint8Array;
      dv.setUint8(at, KIND_OTHER);
      dv.setUint32(at + 1, bytes.length);
      out.set(bytes, at + 5);
      at += 5 + bytes.length;
    }
  }
  return out;
}

function putHeartbeat(dv: DataView, at: number, m: HeartbeatRequest): number {
  dv.setUint8(at, KIND_HEARTBEAT);
  dv.setUint32(at + 1, m.group);
  dv.setInt32(at + 5, m.term);
  dv.setBigInt64(at + 9, BigInt(m.prevIndex));
  dv.setInt32(at + 17, m.prevTerm);
  dv.setBigInt64(at + 21, BigInt(m.commitIndex));
  return at + HEARTBEAT_BYTES;
}

function putReply(dv: DataView, at: number, m: AppendReply): number {
  dv.setUint8(at, KIND_APPEND_REPLY);
  dv.setUint32(at + 1, m.group);
  dv.setInt32(at + 5, m.term);
  dv.setUint8(at + 9, m.success ? 1 : 0);
  dv.setBigInt64(at + 10, BigInt(m.matchIndex));
  dv.setInt32(at + 18, m.conflictTerm);
  dv.setBigInt64(at + 22, BigInt(m.conflictIndex));
  dv.setBigInt64(at + 30, BigInt(m.lastIndex));
  return at + APPEND_REPLY_BYTES;
}

/** The messages of one network message from `from` to `to`. */
export function decodeBatch(bytes: Uint8Array, from: number, to: number): RaftMessage[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(0);
  const out: RaftMessage[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const kind = dv.getUint8(at);
    if (kind === KIND_HEARTBEAT) {
      out.push({ kind: "heartbeat", group: dv.getUint32(at + 1), from, to, term: dv.getInt32(at + 5), prevIndex: Number(dv.getBigInt64(at + 9)), prevTerm: dv.getInt32(at + 17), commitIndex: Number(dv.getBigInt64(at + 21)) });
      at += HEARTBEAT_BYTES;
    } else if (kind === KIND_APPEND_REPLY) {
      out.push({
        kind: "appendReply",
        group: dv.getUint32(at + 1),
        from,
        to,
        term: dv.getInt32(at + 5),
        success: dv.getUint8(at + 9) === 1,
        matchIndex: Number(dv.getBigInt64(at + 10)),
        conflictTerm: dv.getInt32(at + 18),
        conflictIndex: Number(dv.getBigInt64(at + 22)),
        lastIndex: Number(dv.getBigInt64(at + 30)),
      });
      at += APPEND_REPLY_BYTES;
    } else {
      const length = dv.getUint32(at + 1);
      const parsed = JSON.parse(decoder.decode(bytes.subarray(at + 5, at + 5 + length)));
      if (parsed.kind === "append") parsed.entries = Uint8Array.from(parsed.entries);
      out.push(parsed as RaftMessage);
      at += 5 + length;
    }
  }
  return out;
}
