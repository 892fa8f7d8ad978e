/** kafkajs clients for the tests: no logging, short retries, so a failure shows fast. */
import { Kafka, logLevel, type KafkaConfig } from "kafkajs";
import type { Broker } from "./broker.ts";

export function kafkaClient(broker: Broker | { brokers: string[] }, overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: "skua-e2e",
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 500 },
    ...overrides,
  });
}

/** Runs `body` with a connected admin client and always disconnects it. */
export async function withAdmin<T>(kafka: Kafka, body: (admin: ReturnType<Kafka["admin"]>) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await body(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Runs `body` with a connected producer (no auto topic creation) and always disconnects it. */
export async function withProducer<T>(kafka: Kafka, body: (producer: ReturnType<Kafka["producer"]>) => Promise<T>): Promise<T> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    return await body(producer);
  } finally {
    await producer.disconnect();
  }
}

export async function createTopic(kafka: Kafka, topic: string, numPartitions: number): Promise<void> {
  const created = await withAdmin(kafka, (admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true }),
  );
  if (!created) throw new Error(`createTopics(${topic}) answered false (already exists?)`);
}
