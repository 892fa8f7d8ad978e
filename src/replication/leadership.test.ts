import { expect, test } from "bun:test";
import { ManualClock } from "../base/clock.ts";
import { ManualTimers } from "../base/manual-timers.ts";
import { logger } from "../base/log.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { RaftGroup } from "../raft/group.ts";
import type { PeerLink } from "../rpc/outbound.ts";
import { LeaderTable } from "./leaders.ts";
import { Leadership } from "./leadership.ts";

/** A shard of node 0 leading group 7, reporting to the nodes in `nodeIds`; what each node was sent, by report. */
function leadingShard(nodeIds: number[]) {
  const clock = new ManualClock();
  const timers = new ManualTimers(clock);
  const links = new Map<number, { connects: number; sent: number[][] }>();
  const linkFor = (id: number) => {
    if (!links.has(id)) links.set(id, { connects: 1, sent: [] });
    return links.get(id)!;
  };
  const group = { leaderView: () => ({ term: 3, commitIndex: 10, inSync: [0] }) } as unknown as RaftGroup;
  const leadership = new Leadership({
    nodeId: 0,
    shardId: 0,
    shardCount: 1,
    table: () => ({ nodes: () => [0, ...nodeIds].map((id) => ({ id })) }) as unknown as MetadataTable,
    leaders: new LeaderTable(),
    clock,
    timers,
    log: logger("test"),
    electionTimeoutMs: 1500,
    linkTo: (id) => {
      const link = linkFor(id);
      return {
        get connects() {
          return link.connects;
        },
        cast: (_: string, request: { leaders: Array<{ group: number }> }) => (link.sent.push(request.leaders.map((e) => e.group)), true),
      } as unknown as PeerLink;
    },
    hop: async () => ({ kind: "response", body: new Uint8Array() }),
    hosted: () => [{ groupId: 7, group }],
  });
  leadership.start();
  const report = () => timers.advance(1000);
  return { leadership, linkFor, report };
}

test("a node whose link connected again gets every group this shard leads at the next report, not at the tenth", () => {
  const { linkFor, report } = leadingShard([1, 2]);
  report(); // the first report is whole
  report(); // nothing changed: nothing sent
  expect(linkFor(1).sent).toEqual([[7]]);
  linkFor(1).connects++; // node 1 restarted; the link connected again
  report();
  expect(linkFor(1).sent).toEqual([[7], [7]]);
  expect(linkFor(2).sent).toEqual([[7], [7]]); // a report is whole for all: simpler, and rare
  report();
  expect(linkFor(1).sent).toHaveLength(2);
});

test("a node that joined gets every group this shard leads at the next report", () => {
  const nodes = [1];
  const { linkFor, report } = leadingShard(nodes);
  report();
  report();
  nodes.push(3); // joined
  report();
  expect(linkFor(3).sent).toEqual([[7]]);
});

test("a leader that stepped down in its term is no longer named by the table, but kept as the last one; another node's lost track is", () => {
  const table = new LeaderTable();
  expect(table.lastLeader(7)).toBeUndefined();
  table.update(7, { leader: 0, term: 3, inSync: [0, 1, 2] }, 0);
  expect(table.update(7, { leader: null, term: 3, inSync: [] }, 1)).toBe(false); // node 1 lost track of the leader: it is still known
  expect(table.get(7)!.leader).toBe(0);
  // Node 0 itself no longer leads (cut off, check-quorum): clients asking must not be sent back to it.
  expect(table.update(7, { leader: null, term: 3, inSync: [] }, 0)).toBe(true);
  expect(table.get(7)!.leader).toBeNull();
  expect(table.lastLeader(7)).toBe(0);
  expect(table.update(7, { leader: 2, term: 4, inSync: [2] }, 2)).toBe(true);
  expect(table.lastLeader(7)).toBe(2);
  expect(table.update(7, { leader: 1, term: 2, inSync: [1] }, 1)).toBe(false); // older term
  expect(table.lastLeader(7)).toBe(2);
});
