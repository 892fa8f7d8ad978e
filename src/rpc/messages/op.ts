/**
 * A shard op run on another node (transactions in a cluster): the transaction coordinator sends
 * markers to each partition's leader and outcomes to each group's coordinator, and a partition's
 * leader asks the transaction coordinator to verify a transaction (KIP-890). The header's Shard
 * names the shard that serves it. Name and bodies travel as JSON, as the controller calls do: the
 * ops are few and their shapes are the shard ops' own (`kafka/ops.ts`); the receiver serves only
 * the ops it lists.
 */
import { f, message, type TaggedFields } from "../../protocol/schema.ts";

export const OpCallRequest = message<OpCallRequest>("request", "OpCallRequest", 11, "0", "0+", [
  f("Name", "string", "0+"),
  f("Request", "string", "0+"),
]);
export interface OpCallRequest extends TaggedFields {
  name: string;
  request: string;
}

export const OpCallResponse = message<OpCallResponse>("response", "OpCallResponse", 11, "0", "0+", [
  /** Empty when the op ran; else why not. */
  f("Refusal", "string", "0+"),
  f("Response", "string", "0+"),
]);
export interface OpCallResponse extends TaggedFields {
  refusal: string;
  response: string;
}
