/**
 * Reads the topics out of a consumer-protocol member's subscription blob
 * ([int16 version][ConsumerProtocolSubscription]). Newer versions only append fields, so a
 * version past the one we know is read as the one we know.
 */
import { decode } from "../protocol/codec.ts";
import { ConsumerProtocolSubscription } from "../protocol/messages/consumer-protocol.ts";
import { Reader } from "../protocol/reader.ts";

export function subscribedTopics(metadata: Uint8Array): string[] {
  if (metadata.length < 2) return [];
  try {
    const reader = new Reader(metadata);
    const version = Math.min(Math.max(reader.int16(), ConsumerProtocolSubscription.valid[0]), ConsumerProtocolSubscription.valid[1]);
    return decode(ConsumerProtocolSubscription, version, reader).topics;
  } catch {
    return []; // not a consumer subscription we can read: it pins no topic
  }
}
