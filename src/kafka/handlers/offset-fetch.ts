/**
 * OffsetFetch (9) v0–9: committed offsets (-1 where none) of the requested partitions, or of
 * every partition the group committed when topics is null (v2+). v8+ asks for many groups at
 * once; each goes to its own owner shard. A group needs DESCRIBE (else GROUP_AUTHORIZATION_FAILED),
 * a named topic DESCRIBE (else TOPIC_AUTHORIZATION_FAILED for its partitions); of "every
 * partition", topics the principal may not DESCRIBE are left out (as Kafka). v7+ require_stable:
 * a partition whose group holds a transactional offset not yet committed or aborted answers
 * UNSTABLE_OFFSET_COMMIT (retriable), as Kafka does, so a read_committed consumer starts from the
 * transaction's outcome.
 */
import type { OffsetFetchRequest } from "../../protocol/messages/offset-fetch.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { groupShard } from "../group-routing.ts";
import type { FetchedOffset, FetchOffsetsArgs, FetchOffsetsResult } from "../../group/types.ts";
import { defineHandler, scatterByShard, topicsAllowed, type BrokerContext } from "../handler.ts";

export const offsetFetchHandler = defineHandler({
  apiKey: 9,
  name: "OffsetFetch",
  minVersion: 0,
  maxVersion: 9,
  async handle(context: BrokerContext, request: OffsetFetchRequest, info) {
    const asked: FetchOffsetsArgs[] =
      info.apiVersion >= 8
        ? request.groups.map((g) => ({ groupId: g.groupId, topics: g.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) ?? null, requireStable: request.requireStable }))
        : [{ groupId: request.groupId, topics: request.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) ?? null, requireStable: info.apiVersion >= 7 && request.requireStable }];
    const allowed = asked.filter((g) => context.authorize("DESCRIBE", "group", g.groupId));
    const fetched = await scatterByShard(allowed, (g) => groupShard(context, g.groupId), (shard, groups) =>
      context.invoke(shard, "groupFetchOffsets", { groups }),
    );
    let next = 0;
    const results = asked.map((g) => (allowed[next] === g ? visible(context, fetched[next++], g.topics !== null) : refused(g)));
    if (info.apiVersion >= 8) {
      return { throttleTimeMs: 0, groups: results.map((r, i) => ({ groupId: asked[i].groupId, topics: byTopic(r), errorCode: r.errorCode })) };
    }
    return { throttleTimeMs: 0, topics: byTopic(results[0]), errorCode: results[0]?.errorCode ?? ErrorCode.NONE };
  },
});

/** A group the principal may not DESCRIBE: the error, also on each named partition (v0–1 have no top-level error). */
function refused(asked: FetchOffsetsArgs): FetchOffsetsResult {
  const errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
  const offsets = (asked.topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, offset: -1, leaderEpoch: -1, metadata: null, errorCode })));
  return { errorCode, offsets };
}

/** Offsets of topics the principal may DESCRIBE; the others' are TOPIC_AUTHORIZATION_FAILED when named, else left out. */
function visible(context: BrokerContext, result: FetchOffsetsResult, named: boolean): FetchOffsetsResult {
  const allowed = topicsAllowed(context, "DESCRIBE", result.offsets.map((o) => o.topic));
  const offsets = result.offsets.flatMap((o) => {
    if (allowed.has(o.topic)) return [o];
    return named ? [{ ...o, offset: -1, leaderEpoch: -1, metadata: null, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED }] : [];
  });
  return { ...result, offsets };
}

function byTopic(result: FetchOffsetsResult) {
  const topics = new Map<string, FetchedOffset[]>();
  for (const o of result.offsets) {
    const list = topics.get(o.topic);
    if (list) list.push(o);
    else topics.set(o.topic, [o]);
  }
  return [...topics].map(([name, offsets]) => ({
    name,
    partitions: offsets.map((o) => ({
      partitionIndex: o.partition,
      committedOffset: o.offset,
      committedLeaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      errorCode: o.errorCode,
    })),
  }));
}
