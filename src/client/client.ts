/**
 * The cluster as a client sees it: a bootstrap connection, Metadata, and one connection per
 * broker node, opened on first use. Requests go to a topic partition's leader or a group's
 * coordinator. The versions sent are fixed (`Version`): the newest skua serves for each API.
 */
import type { MetadataResponse, MetadataResponseTopic } from "../protocol/messages/index.ts";
import { Connection } from "./connection.ts";
import { check, KafkaError, TransportError } from "./errors.ts";
import type { SaslLogin } from "./sasl.ts";

export const ApiKey = {
  Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10,
  JoinGroup: 11, Heartbeat: 12, LeaveGroup: 13, SyncGroup: 14, DescribeGroups: 15, ListGroups: 16,
  CreateTopics: 19, DeleteTopics: 20, DeleteRecords: 21, DescribeConfigs: 32, CreatePartitions: 37,
  DeleteGroups: 42, IncrementalAlterConfigs: 44, DescribeClientQuotas: 48, AlterClientQuotas: 49, DescribeCluster: 60, DescribeAcls: 29, CreateAcls: 30, DeleteAcls: 31,
} as const;

/** The version this client sends of each API (all served by skua; see the top-level README). */
export const Version: Record<keyof typeof ApiKey, number> = {
  Produce: 9, Fetch: 12, ListOffsets: 7, Metadata: 12, OffsetCommit: 8, OffsetFetch: 8, FindCoordinator: 4,
  JoinGroup: 9, Heartbeat: 4, LeaveGroup: 5, SyncGroup: 5, DescribeGroups: 5, ListGroups: 5,
  CreateTopics: 7, DeleteTopics: 6, DeleteRecords: 2, DescribeConfigs: 4, CreatePartitions: 3,
  DeleteGroups: 2, IncrementalAlterConfigs: 1, DescribeClientQuotas: 1, AlterClientQuotas: 1, DescribeCluster: 1, DescribeAcls: 3, CreateAcls: 3, DeleteAcls: 3,
};

export type Api = keyof typeof ApiKey;

export interface HostPort {
  host: string;
  port: number;
}

export class KafkaClient {
  private bootstrap: Promise<Connection> | null = null;
  /** Promises, so concurrent callers share one connection per node. */
  private readonly byNode = new Map<number, Promise<Connection>>();
  private nodes = new Map<number, HostPort>();

  constructor(
    private readonly seeds: HostPort[],
    private readonly clientId = "skua-cli",
    /** Every connection logs in with this first (SASL); null: none. */
    private readonly login: SaslLogin | null = null,
  ) {}

  /** Sends `body` as `api` to any broker (the first seed that answers). */
  async call<T = any>(api: Api, body: object): Promise<T> {
    return (await this.any()).request<T>(ApiKey[api], Version[api], body);
  }

  /** Sends `body` as `api` to broker `nodeId` (from the last Metadata). */
  async callNode<T = any>(nodeId: number, api: Api, body: object, timeoutMs?: number): Promise<T> {
    return (await this.node(nodeId)).request<T>(ApiKey[api], Version[api], body, timeoutMs);
  }

  node(nodeId: number): Promise<Connection> {
    let open = this.byNode.get(nodeId);
    if (open === undefined) {
      open = this.connect(nodeId);
      this.byNode.set(nodeId, open);
      open.catch(() => this.byNode.delete(nodeId));
    }
    return open;
  }

  private async connect(nodeId: number): Promise<Connection> {
    if (!this.nodes.has(nodeId)) await this.metadata([]);
    const address = this.nodes.get(nodeId);
    if (address === undefined) throw new TransportError(`broker ${nodeId} is not in the cluster's metadata`);
    return Connection.open(address.host, address.port, this.clientId, this.login);
  }

  /** Metadata for `topics` (null: every topic); remembers the brokers' addresses. */
  async metadata(topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
    const response = await this.call<MetadataResponse>("Metadata", {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation,
    });
    this.nodes = new Map(response.brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
    return response;
  }

  /** One topic's metadata; UNKNOWN_TOPIC_OR_PARTITION and others become a KafkaError. */
  async topic(name: string): Promise<MetadataResponseTopic> {
    const response = await this.metadata([name]);
    const topic = response.topics.find((t) => t.name === name);
    if (topic === undefined) throw new KafkaError(3, `topic '${name}'`);
    check(topic.errorCode, `topic '${name}'`);
    return topic;
  }

  /** The node coordinating `groupId`. */
  async coordinator(groupId: string): Promise<number> {
    const response = await this.call("FindCoordinator", { keyType: 0, coordinatorKeys: [groupId] });
    const found = response.coordinators[0];
    if (found === undefined) throw new TransportError(`FindCoordinator answered no coordinator for '${groupId}'`);
    check(found.errorCode, `coordinator of group '${groupId}'`, found.errorMessage);
    this.nodes.set(found.nodeId, { host: found.host, port: found.port });
    return found.nodeId;
  }

  close(): void {
    this.bootstrap?.then((c) => c.close(), () => {});
    for (const connection of this.byNode.values()) connection.then((c) => c.close(), () => {});
    this.byNode.clear();
  }

  private any(): Promise<Connection> {
    if (this.bootstrap === null) {
      this.bootstrap = this.firstSeed();
      this.bootstrap.catch(() => (this.bootstrap = null));
    }
    return this.bootstrap;
  }

  private async firstSeed(): Promise<Connection> {
    const problems: string[] = [];
    for (const seed of this.seeds) {
      try {
        return await Connection.open(seed.host, seed.port, this.clientId, this.login);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    throw new TransportError(problems.join("; "));
  }
}
