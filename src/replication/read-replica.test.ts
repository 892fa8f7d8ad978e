import { expect, test } from "bun:test";
import { NO_PREFERRED_REPLICA, preferredReadReplica, type ReadReplicaView } from "./read-replica.ts";

const racks: Record<number, string | null> = { 1: "a", 2: "b", 3: "c", 4: "b", 5: null };
const view = (over: Partial<ReadReplicaView>): ReadReplicaView => ({
  clientRack: "b", leader: 1, inSync: [1, 2, 3, 4], rackOf: (n) => racks[n] ?? null,
  matchIndexOf: (n) => ({ 2: 9, 3: 9, 4: 9 } as Record<number, number>)[n], fetchOffset: 5, ...over,
});

test("a consumer in another rack than the leader is sent to the in-sync follower in its rack", () => {
  expect(preferredReadReplica(view({}))).toBe(2); // 2 and 4 are in rack b, equally caught up: the lower id
  expect(preferredReadReplica(view({ matchIndexOf: (n) => (n === 4 ? 12 : 9) }))).toBe(4); // the one holding the most
});

test("no preferred replica: no client rack, the leader in the client's rack, no replica there", () => {
  expect(preferredReadReplica(view({ clientRack: "" }))).toBe(NO_PREFERRED_REPLICA);
  expect(preferredReadReplica(view({ clientRack: "a" }))).toBe(NO_PREFERRED_REPLICA);
  expect(preferredReadReplica(view({ clientRack: "z" }))).toBe(NO_PREFERRED_REPLICA);
});

test("followers out of the ISR, short of the fetch offset, or unknown to the leader are never chosen", () => {
  expect(preferredReadReplica(view({ inSync: [1, 3, 4] }))).toBe(4);
  expect(preferredReadReplica(view({ inSync: [1, 3] }))).toBe(NO_PREFERRED_REPLICA);
  // Node 2 holds up to offset 3: it cannot serve offset 5; node 4 holds 4..: offset 5 is its log end, which it answers (empty) as Kafka.
  expect(preferredReadReplica(view({ matchIndexOf: (n) => (n === 2 ? 3 : n === 4 ? 4 : 9) }))).toBe(4);
  expect(preferredReadReplica(view({ matchIndexOf: (n) => (n === 4 ? undefined : n === 2 ? 3 : 9) }))).toBe(NO_PREFERRED_REPLICA);
});
