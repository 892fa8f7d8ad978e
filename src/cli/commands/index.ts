/** Every `skua` subcommand, in the order `skua --help` lists them. */
import type { Command } from "../context.ts";
import { aclCommands } from "./acl.ts";
import { clusterCommands } from "./cluster.ts";
import { completion } from "./completion.ts";
import { groupCommands } from "./group.ts";
import { quotaCommands } from "./quotas.ts";
import { shardCommands } from "./shard.ts";
import { consume } from "./topic-consume.ts";
import { produce } from "./topic-produce.ts";
import { topicCommands } from "./topic.ts";
import { unsupportedCommands } from "./unsupported.ts";

export const commands: Command[] = [...topicCommands, produce, consume, ...groupCommands, ...clusterCommands, ...quotaCommands, ...shardCommands, ...aclCommands, ...unsupportedCommands, completion];

/** What each command group is for, for help pages. */
export const groupSummaries: Record<string, string> = {
  topic: "Create, describe, alter, produce to and consume from topics.",
  group: "Consumer groups: members, offsets, lag.",
  cluster: "The cluster: info, health, broker configs, partitions.",
  "cluster config": "Broker configs.",
  "cluster quotas": "Client quotas: byte rates and request percentage per user and client id.",
  shard: "Shards (one per core): which partitions on which core, moves, rebalancing.",
  acl: "ACLs: who may do what on topics, groups, transactional ids and the cluster.",
};
