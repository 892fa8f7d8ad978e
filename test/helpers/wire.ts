/**
 * A raw Kafka protocol client over one TCP connection, built on skua's own codec
 * (`src/protocol`). Requests may be pipelined; responses are matched by correlation
 * id and the order they arrived in is recorded, so tests can check response order.
 * Also sends arbitrary bytes, for bad-input tests.
 */
import type { Socket } from "bun";
import { decodeResponseBody, FrameSplitter, responseCorrelationId, type PendingRequest } from "../../src/client/connection.ts";
import { encodeRequestFrame } from "../../src/protocol/frame.ts";
import { apis } from "../../src/protocol/messages/index.ts";
import {
  type FetchResponse,
  type ListOffsetsResponse,
  type MetadataResponse,
  type ProduceResponse,
} from "../../src/protocol/messages/index.ts";
import { batchesEndOffset, decodeBatches, type FetchedRecord } from "./records.ts";

export const ApiKey = { Produce: 0, Fetch: 1, ListOffsets: 2, Metadata: 3, ApiVersions: 18, CreateTopics: 19 } as const;

const REQUEST_TIMEOUT_MS = 15_000;

export class WireClient {
  private socket: Socket<undefined> | null = null;
  private readonly frames = new FrameSplitter();
  private outbox: Uint8Array[] = [];
  private readonly pending = new Map<number, PendingRequest>();
  private nextCorrelationId = 1;
  /** Correlation ids of responses in the order they arrived. */
  readonly receivedCorrelationIds: number[] = [];
  readonly closed: Promise<void>;
  private markClosed!: () => void;
  isClosed = false;

  private constructor(private readonly clientId: string) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve));
  }

  static async connect(port: number, host = "127.0.0.1", clientId = "skua-e2e-wire"): Promise<WireClient> {
    const client = new WireClient(clientId);
    client.socket = await Bun.connect<undefined>({
      hostname: host,
      port,
      socket: {
        data: (_socket, chunk) => client.onData(chunk),
        drain: () => client.flush(),
        close: () => client.onClose(new Error("connection closed by the broker")),
        error: (_socket, error) => client.onClose(error),
        end: () => client.onClose(new Error("connection ended by the broker")),
      },
    });
    return client;
  }

  /** Sends raw bytes as they are. */
  sendRaw(bytes: Uint8Array): void {
    if (this.isClosed) throw new Error("connection is closed");
    this.outbox.push(bytes);
    this.flush();
  }

  /** Sends one request without waiting; returns the correlation id and the promise of its decoded response body. */
  send<T = any>(apiKey: number, apiVersion: number, body: object): { correlationId: number; response: Promise<T> } {
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(apiKey, apiVersion, correlationId, this.clientId, body);
    const response = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new Error(`no response to ${apis[apiKey].name} v${apiVersion} (correlation ${correlationId}) within ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject, timer });
    });
    this.sendRaw(frame);
    return { correlationId, response };
  }

  request<T = any>(apiKey: number, apiVersion: number, body: object): Promise<T> {
    return this.send<T>(apiKey, apiVersion, body).response;
  }

  close(): void {
    this.socket?.end();
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === null) return;
    while (this.outbox.length > 0) {
      const head = this.outbox[0];
      const written = socket.write(head);
      if (written < 0) return;
      if (written < head.length) {
        this.outbox[0] = head.subarray(written);
        return;
      }
      this.outbox.shift();
    }
  }

  private onData(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(chunk);
    } catch (error) {
      this.onClose(error as Error);
      this.socket?.end();
      return;
    }
    for (const frame of frames) this.onFrame(frame);
  }

  private onFrame(frame: Uint8Array): void {
    const correlationId = responseCorrelationId(frame);
    this.receivedCorrelationIds.push(correlationId);
    const pending = this.pending.get(correlationId);
    if (pending === undefined) return; // a response nobody waits for: the test sees it in receivedCorrelationIds
    this.pending.delete(correlationId);
    clearTimeout(pending.timer);
    try {
      pending.resolve(decodeResponseBody(pending.apiKey, pending.apiVersion, frame));
    } catch (error) {
      pending.reject(error as Error);
    }
  }

  private onClose(error: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      pending.reject(new Error(`${error.message} (correlation ${id} unanswered)`));
    }
    this.pending.clear();
    this.markClosed();
  }
}

// ---- typed helpers over the common APIs ------------------------------------------

export async function metadata(client: WireClient, topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
  return client.request<MetadataResponse>(ApiKey.Metadata, 9, {
    topics: topics === null ? null : topics.map((name) => ({ name })),
    allowAutoTopicCreation,
  });
}

export async function produce(
  client: WireClient,
  topic: string,
  partitions: Array<{ partition: number; records: Uint8Array }>,
  acks = -1,
): Promise<ProduceResponse> {
  return client.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null,
    acks,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: partitions.map((p) => ({ index: p.partition, records: p.records })) }],
  });
}

export async function fetchOnce(
  client: WireClient,
  topic: string,
  partitions: Array<{ partition: number; offset: number }>,
  maxWaitMs = 0,
  partitionMaxBytes = 4 * 1024 * 1024,
): Promise<FetchResponse> {
  return client.request<FetchResponse>(ApiKey.Fetch, 12, {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 32 * 1024 * 1024,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: partitions.map((p) => ({
          partition: p.partition,
          currentLeaderEpoch: -1,
          fetchOffset: p.offset,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: "",
  });
}

/** ListOffsets v7 for one partition: -1 latest, -2 earliest, else a timestamp. */
export async function listOffset(client: WireClient, topic: string, partition: number, timestamp: number): Promise<{ errorCode: number; offset: number }> {
  const response = await client.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp }] }],
  });
  const p = response.topics[0].partitions[0];
  return { errorCode: p.errorCode, offset: p.offset };
}

/**
 * Fetches every record of `partitions` from offset 0 up to each partition's high
 * watermark at the time it is reached, with the raw protocol. Bounded in rounds and time.
 */
export async function fetchAll(client: WireClient, topic: string, partitions: number[], timeoutMs = 20_000): Promise<Map<number, FetchedRecord[]>> {
  const result = new Map<number, FetchedRecord[]>(partitions.map((p) => [p, []]));
  const next = new Map<number, number>(partitions.map((p) => [p, 0]));
  const open = new Set(partitions);
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; open.size > 0; round++) {
    if (round > 100_000 || Date.now() > deadline) throw new Error(`fetchAll(${topic}) did not finish: partitions ${[...open]} open`);
    const response = await fetchOnce(client, topic, [...open].map((p) => ({ partition: p, offset: next.get(p)! })));
    if (response.errorCode !== 0) throw new Error(`fetch error ${response.errorCode}`);
    for (const topicResponse of response.responses) {
      for (const p of topicResponse.partitions) {
        if (p.errorCode !== 0) throw new Error(`fetch ${topic}/${p.partitionIndex} error ${p.errorCode}`);
        const from = next.get(p.partitionIndex)!;
        const records = decodeBatches(p.records).filter((r) => r.offset >= from);
        result.get(p.partitionIndex)!.push(...records);
        if (records.length > 0) next.set(p.partitionIndex, records[records.length - 1].offset + 1);
        // Batches a compaction emptied or thinned at their end: go on after them.
        next.set(p.partitionIndex, Math.max(next.get(p.partitionIndex)!, batchesEndOffset(p.records)));
        if (next.get(p.partitionIndex)! >= p.highWatermark) open.delete(p.partitionIndex);
      }
    }
  }
  return result;
}
