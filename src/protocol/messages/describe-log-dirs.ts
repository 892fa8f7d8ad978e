// DescribeLogDirs (API key 35). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Version 1 is the same as version 0.
 * Version 2 is the first flexible version.
 * Version 3 is the same as version 2 (new field in response).
 * Version 4 is the same as version 2 (new fields in response).
 */
export const DescribeLogDirsRequest = message<DescribeLogDirsRequest>("request", "DescribeLogDirsRequest", 35, "0-4", "2+", [
  f("Topics", "[]DescribableLogDirTopic", "0+", { nullable: "0+", fields: [
    f("Topic", "string", "0+"),
    f("Partitions", "[]int32", "0+"),
  ] }),
]);

/**
 * Starting in version 1, on quota violation, brokers send out responses before throttling.
 * Version 2 is the first flexible version.
 * Version 3 adds the top-level ErrorCode field
 * Version 4 adds the TotalBytes and UsableBytes fields
 */
export const DescribeLogDirsResponse = message<DescribeLogDirsResponse>("response", "DescribeLogDirsResponse", 35, "0-4", "2+", [
  f("ThrottleTimeMs", "int32", "0+"),
  f("ErrorCode", "int16", "3+"),
  f("Results", "[]DescribeLogDirsResult", "0+", { fields: [
    f("ErrorCode", "int16", "0+"),
    f("LogDir", "string", "0+"),
    f("Topics", "[]DescribeLogDirsTopic", "0+", { fields: [
      f("Name", "string", "0+"),
      f("Partitions", "[]DescribeLogDirsPartition", "0+", { fields: [
        f("PartitionIndex", "int32", "0+"),
        f("PartitionSize", "int64", "0+"),
        f("OffsetLag", "int64", "0+"),
        f("IsFutureKey", "bool", "0+"),
      ] }),
    ] }),
    f("TotalBytes", "int64", "4+", { default: "-1" }),
    f("UsableBytes", "int64", "4+", { default: "-1" }),
  ] }),
]);

export interface DescribeLogDirsRequest extends TaggedFields {
  topics: DescribableLogDirTopic[] | null;
}

export interface DescribableLogDirTopic extends TaggedFields {
  topic: string;
  partitions: number[];
}

export interface DescribeLogDirsResponse extends TaggedFields {
  throttleTimeMs: number;
  errorCode: number;
  results: DescribeLogDirsResult[];
}

export interface DescribeLogDirsResult extends TaggedFields {
  errorCode: number;
  logDir: string;
  topics: DescribeLogDirsTopic[];
  totalBytes: number;
  usableBytes: number;
}

export interface DescribeLogDirsTopic extends TaggedFields {
  name: string;
  partitions: DescribeLogDirsPartition[];
}

export interface DescribeLogDirsPartition extends TaggedFields {
  partitionIndex: number;
  partitionSize: number;
  offsetLag: number;
  isFutureKey: boolean;
}
