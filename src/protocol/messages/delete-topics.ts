// DeleteTopics (API key 20). Written once from the Apache Kafka message definitions (Apache
// License 2.0) by a one-off generator and committed; this file is now the source.
import { f, message, type TaggedFields } from "../schema.ts";

/**
 * Versions 0, 1, 2, and 3 are the same.
 *
 * Version 4 is the first flexible version.
 *
 * Version 5 adds ErrorMessage in the response and may return a THROTTLING_QUOTA_EXCEEDED error
 * in the response if the topics deletion is throttled (KIP-599).
 *
 * Version 6 reorganizes topics, adds topic IDs and allows topic names to be null.
 */
export const DeleteTopicsRequest = message<DeleteTopicsRequest>("request", "DeleteTopicsRequest", 20, "0-6", "4+", [
  f("Topics", "[]DeleteTopicState", "6+", { fields: [
    f("Name", "string", "6+", { nullable: "6+", default: "null" }),
    f("TopicId", "uuid", "6+"),
  ] }),
  f("TopicNames", "[]string", "0-5"),
  f("TimeoutMs", "int32", "0+"),
]);

/**
 * Version 1 adds the throttle time.
 *
 * Starting in version 2, on quota violation, brokers send out responses before throttling.
 *
 * Starting in version 3, a TOPIC_DELETION_DISABLED error code may be returned.
 *
 * Version 4 is the first flexible version.
 *
 * Version 5 adds ErrorMessage in the response and may return a THROTTLING_QUOTA_EXCEEDED error
 * in the response if the topics deletion is throttled (KIP-599).
 *
 * Version 6 adds topic ID to responses. An UNSUPPORTED_VERSION error code will be returned when attempting to
 * delete using topic IDs when IBP < 2.8. UNKNOWN_TOPIC_ID error code will be returned when IBP is at least 2.8, but
 * the topic ID was not found.
 */
export const DeleteTopicsResponse = message<DeleteTopicsResponse>("response", "DeleteTopicsResponse", 20, "0-6", "4+", [
  f("ThrottleTimeMs", "int32", "1+"),
  f("Responses", "[]DeletableTopicResult", "0+", { fields: [
    f("Name", "string", "0+", { nullable: "6+" }),
    f("TopicId", "uuid", "6+"),
    f("ErrorCode", "int16", "0+"),
    f("ErrorMessage", "string", "5+", { nullable: "5+", default: "null" }),
  ] }),
]);

export interface DeleteTopicsRequest extends TaggedFields {
  topics: DeleteTopicState[];
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicState extends TaggedFields {
  name: string | null;
  topicId: string;
}

export interface DeleteTopicsResponse extends TaggedFields {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}

export interface DeletableTopicResult extends TaggedFields {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}
