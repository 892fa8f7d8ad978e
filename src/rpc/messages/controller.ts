/**
 * A controller call forwarded to the controller leader (issue 11): a node that does not lead
 * the controller group sends the call (CreateTopics, a node registering, ...) to the leader's
 * shard 0, which hands it to its main thread. Name and bodies travel as JSON: the calls are few
 * and their shapes are the controller's own (`cluster/controller-calls.ts`).
 */
import { f, message, type TaggedFields } from "../../protocol/schema.ts";

export const ControllerCallRequest = message<ControllerCallRequest>("request", "ControllerCallRequest", 10, "0", "0+", [
  f("Name", "string", "0+"),
  f("Request", "string", "0+"),
  f("Relay", "bool", "0+"),
]);
export interface ControllerCallRequest extends TaggedFields {
  name: string;
  request: string;
  /** A node outside the cluster asks (to join): a node that does not lead passes it on to the leader. */
  relay: boolean;
}

export const ControllerCallResponse = message<ControllerCallResponse>("response", "ControllerCallResponse", 10, "0", "0+", [
  /** Empty when the call ran; else why not (e.g. the node no longer leads), and the caller retries. */
  f("Refusal", "string", "0+"),
  f("Response", "string", "0+"),
  f("Version", "int64", "0+"),
]);
export interface ControllerCallResponse extends TaggedFields {
  refusal: string;
  response: string;
  /** The leader's metadata version once the call ran: the caller's node answers once it has applied that far. */
  version: number;
}
