/**
 * DescribeLogDirs (35) v0–4: one log dir, the data dir, with each partition's size on disk
 * (from its owning shard) and offset lag 0 (there are no future replicas). Unknown topics and
 * partitions are left out, as Kafka does. Needs DESCRIBE on the cluster: without it the answer
 * has no log dirs (and from v3 CLUSTER_AUTHORIZATION_FAILED), as Kafka.
 */
import { CLUSTER_RESOURCE_NAME } from "../../cluster/acls.ts";
import { statfsSync } from "node:fs";
import { ErrorCode } from "../../protocol/errors.ts";
import type { DescribeLogDirsRequest, DescribeLogDirsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, invokeOnOwners, type BrokerContext } from "../handler.ts";

export const describeLogDirsHandler = defineHandler({
  apiKey: 35,
  name: "DescribeLogDirs",
  minVersion: 0,
  maxVersion: 4,
  async handle(context: BrokerContext, request: DescribeLogDirsRequest): Promise<DescribeLogDirsResponse> {
    if (!context.authorize("DESCRIBE", "cluster", CLUSTER_RESOURCE_NAME)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const wanted = request.topics === null
      ? [...context.metadata().topics()].flatMap((t) => t.shards.map((_, partition) => ({ topic: t.name, partition })))
      : request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
    const sizes = await invokeOnOwners(context, "sizes", wanted, { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, sizeBytes: -1 });
    const byTopic = new Map<string, Array<{ partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }>>();
    wanted.forEach((w, i) => {
      if (sizes[i].errorCode !== ErrorCode.NONE) return; // unknown, or moved away meanwhile: not reported
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
