/**
 * DescribeLogDirs (35) v1–4: one log dir, the data dir, with each partition's size on disk
 * (from its owning shard) and offset lag 0 (there are no future replicas). Unknown topics and
 * partitions are left out, as Kafka does.
 */
import { statfsSync } from "node:fs";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, scatterByShard, type BrokerContext } from "../handler.ts";

export const describeLogDirsHandler = defineHandler({
  apiKey: 35,
  name: "DescribeLogDirs",
  minVersion: 1,
  maxVersion: 4,
  async handle(context: BrokerContext, request: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
    const table = context.metadata();
    const wanted = request.topics === null
      ? [...table.topics()].flatMap((t) => t.shards.map((shard, partition) => ({ topic: t.name, partition, shard })))
      : request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, shard: table.ownerOf(t.topic, partition) })));
    const known = wanted.filter((w): w is { topic: string; partition: number; shard: number } => w.shard !== undefined);
    const sizes = await scatterByShard(known, (w) => w.shard, (shard, items) =>
      context.invoke(shard, "sizes", { items: items.map(({ topic, partition }) => ({ topic, partition })) }),
    );
    const byTopic = new Map<string, Array<{ partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }>>();
    known.forEach((w, i) => {
      if (sizes[i].errorCode !== ErrorCode.NONE) return; // moved away meanwhile: not reported this time
      let partitions = byTopic.get(w.topic);
      if (!partitions) byTopic.set(w.topic, (partitions = []));
      partitions.push({ partitionIndex: w.partition, partitionSize: sizes[i].sizeBytes, offsetLag: 0, isFutureKey: false });
    });
    const space = diskSpace(context.dataDir);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{
        errorCode: ErrorCode.NONE,
        logDir: context.dataDir,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        totalBytes: space.totalBytes,
        usableBytes: space.usableBytes,
      }],
    };
  },
});

/** The data dir's file system size and free space (-1 when unknown). */
function diskSpace(dir: string): { totalBytes: number; usableBytes: number } {
  try {
    const stats = statfsSync(dir);
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1, usableBytes: -1 };
  }
}
