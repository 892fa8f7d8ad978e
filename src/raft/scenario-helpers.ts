/** Helpers for the scenario tests: logs of given terms, injected messages, what a node sent. */
import { buildBatch } from "../storage/batch-builder.ts";
import { concatBytes } from "../base/bytes.ts";
import * as rb from "../storage/record-batch.ts";
import type { TestCluster } from "./test-cluster.ts";
import type { NodeId, RaftMessage, Term } from "./types.ts";

/** A node id that is no group: injected messages come "from" it. */
export const OUTSIDER = 99;

/** One one-record batch per term, at offsets `from`, `from + 1`, ... */
export function termBatches(terms: Term[], from = 0): Uint8Array {
  return concatBytes(
    terms.map((term, i) => buildBatch({ baseOffset: from + i, partitionLeaderEpoch: term, records: [{ value: `e${from + i}t${term}` }], baseTimestamp: 1 })),
  );
}

/** Hands `id` a message as if from `from` and lets everything settle. */
export async function inject(c: TestCluster, m: RaftMessage): Promise<void> {
  c.group(m.to).receive(m);
  await c.deliverAll();
}

/** Gives node `id` exactly the log `terms` (entry i at offset i), and term `nodeTerm`, via a leader that is no node. */
export async function giveLog(c: TestCluster, id: NodeId, terms: Term[], nodeTerm: Term): Promise<void> {
  await inject(c, { kind: "append", group: 7, from: OUTSIDER, to: id, term: nodeTerm, prevIndex: -1, prevTerm: -1, commitIndex: -1, entries: termBatches(terms) });
}

/** Makes `id` campaign at once (TimeoutNow from nobody in its current term). */
export async function forceElection(c: TestCluster, id: NodeId): Promise<void> {
  await inject(c, { kind: "timeoutNow", group: 7, from: OUTSIDER, to: id, term: c.state(id).term });
}

/** Messages `from` sent since the log held `since` entries, optionally of one kind. */
export function sentBy<K extends RaftMessage["kind"]>(c: TestCluster, from: NodeId, kind: K, since = 0): Array<Extract<RaftMessage, { kind: K }>> {
  return c.net.log.slice(since).filter((m): m is Extract<RaftMessage, { kind: K }> => m.from === from && m.kind === kind);
}

/** "index:term" of each batch in `entries`. */
export function describe(entries: Uint8Array): string[] {
  const out: string[] = [];
  rb.scanBatches(entries, 0, (at) => void out.push(`${rb.lastOffset(entries, at)}:${rb.partitionLeaderEpoch(entries, at)}`));
  return out;
}
