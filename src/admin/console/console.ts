/** Puts the web console on the admin server: its routes, the live feed and the Kafka view behind them. */
import type { Hono } from "hono";
import type { HostPort } from "../../client/client.ts";
import type { AdminBackend } from "../app.ts";
import { KafkaView } from "./kafka-view.ts";
import { LiveFeed } from "./live.ts";
import { createConsoleApp } from "./routes.ts";

export interface Console {
  close(): void;
}

/** `kafkaAddr` is the broker's own listener; a wildcard one is reached on loopback. */
export function mountConsole(app: Hono, backend: AdminBackend, kafkaAddr: HostPort, version: string): Console {
  const kafka = new KafkaView([reachable(kafkaAddr)]);
  const live = new LiveFeed({
    shardStats: () => backend.shardStats(),
    partitions: () => backend.partitions(),
    listGroups: () => kafka.listGroups(),
    committedOffsets: (group) => kafka.committedOffsets(group),
  });
  app.route("/", createConsoleApp({ partitions: () => backend.partitions(), kafka, live, version }));
  return {
    close: () => {
      live.close();
      kafka.close();
    },
  };
}

function reachable(addr: HostPort): HostPort {
  if (addr.host === "0.0.0.0") return { host: "127.0.0.1", port: addr.port };
  if (addr.host === "::") return { host: "::1", port: addr.port };
  return addr;
}
