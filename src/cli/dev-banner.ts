/** The banner `skua start --dev` prints on stderr once the broker is ready: where it listens and how to try it. */
import type { HostPort } from "./args.ts";

export function devBanner(kafka: HostPort, admin: HostPort): string {
  const kafkaAddr = hostPort(kafka);
  const adminAddr = hostPort(admin);
  // The examples name the broker only when it is not where the CLI looks by default.
  const flags = `${kafkaAddr === "127.0.0.1:9092" ? "" : ` --brokers ${kafkaAddr}`}`;
  return [
    "",
    "skua is running in dev mode (topics are auto-created; data is fsync'ed as usual)",
    "",
    `  Kafka API:  ${kafkaAddr}`,
    `  Admin API:  http://${adminAddr}`,
    `  Console:    http://${adminAddr}/`,
    "",
    "Try:",
    `  skua topic create hello -p 3${flags}`,
    `  echo 'world' | skua topic produce hello${flags}`,
    `  skua topic consume hello -n 1 -f '%k %v\\n'${flags}`,
    "",
  ].join("\n") + "\n";
}

function hostPort(a: HostPort): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
