/**
 * The partition ops of a shard in a cluster: partitions of topics with assignments go to the
 * replicated partitions, the rest (none, once every topic is placed by the cluster's
 * controller) to the single-node path. A node without RPC does not use this: its ops go
 * straight to LocalPartitions, exactly as before.
 */
import type { Servers } from "../base/calls.ts";
import type { MetadataTable } from "../cluster/metadata.ts";
import type { PartitionOps, PartitionRef, ReplicaOps } from "../kafka/ops.ts";

type ItemOp = "produce" | "read" | "listOffsets" | "deleteRecords" | "sizes" | "writeTxnMarkers" | "describeProducers";

export function routePartitionOps(
  table: () => MetadataTable,
  local: Servers<PartitionOps>,
  replicated: Servers<PartitionOps & ReplicaOps>,
): Servers<PartitionOps & ReplicaOps> {
  const isReplicated = (ref: PartitionRef) => table().assignment(ref.topic, ref.partition) !== undefined;

  function split<Op extends ItemOp>(op: Op) {
    type Item = PartitionOps[Op]["request"]["items"][number];
    type Answer = PartitionOps[Op]["response"][number];
    const run = (servers: Servers<PartitionOps>, items: Item[]) => (servers[op] as (r: { items: Item[] }) => Promise<Answer[]>)({ items });
    return async (request: { items: Item[] }): Promise<Answer[]> => {
      const flags = request.items.map(isReplicated);
      if (flags.every((f) => f)) return run(replicated, request.items);
      if (!flags.some((f) => f)) return run(local, request.items);
      const [r, l] = await Promise.all([run(replicated, request.items.filter((_, i) => flags[i])), run(local, request.items.filter((_, i) => !flags[i]))]);
      let ri = 0;
      let li = 0;
      return flags.map((f) => (f ? r[ri++]! : l[li++]!));
    };
  }

  return {
    produce: split("produce"),
    read: split("read"),
    listOffsets: split("listOffsets"),
    deleteRecords: split("deleteRecords"),
    sizes: split("sizes"),
    writeTxnMarkers: split("writeTxnMarkers"),
    describeProducers: split("describeProducers"),
    watch: async (request) => {
      const mine = request.items.filter(isReplicated);
      const theirs = request.items.filter((item) => !isReplicated(item));
      if (theirs.length === 0) return replicated.watch(request);
      if (mine.length === 0) return local.watch(request);
      // Both halves under the same id (each side keeps its own watches); the first to wake ends the other.
      const answer = await Promise.race([replicated.watch({ ...request, items: mine }), local.watch({ ...request, items: theirs })]);
      await Promise.all([replicated.unwatch({ watchId: request.watchId }), local.unwatch({ watchId: request.watchId })]);
      return answer;
    },
    unwatch: async (request) => {
      await Promise.all([replicated.unwatch(request), local.unwatch(request)]);
      return null;
    },
    epochEnds: replicated.epochEnds,
    transferLeader: replicated.transferLeader,
  };
}
