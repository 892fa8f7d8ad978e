/** Errors the client raises: a Kafka error code from the broker, or a transport problem. */
import { ErrorCode } from "../protocol/errors.ts";

const namesByCode = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** The Kafka name of an error code, e.g. 3 → UNKNOWN_TOPIC_OR_PARTITION. */
export function errorName(code: number): string {
  return namesByCode.get(code) ?? `ERROR_${code}`;
}

/** The broker answered with a non-zero error code. */
export class KafkaError extends Error {
  override name = "KafkaError";
  constructor(
    readonly code: number,
    what: string,
    detail: string | null = null,
  ) {
    super(`${what}: ${errorName(code)}${detail ? ` (${detail})` : ""}`);
  }
}

/** Could not reach the broker, or the connection broke, or no answer in time. */
export class TransportError extends Error {
  override name = "TransportError";
}

/** Throws a KafkaError when `code` is not NONE. */
export function check(code: number, what: string, detail: string | null = null): void {
  if (code !== ErrorCode.NONE) throw new KafkaError(code, what, detail);
}
