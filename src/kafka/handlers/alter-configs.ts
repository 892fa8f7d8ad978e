/**
 * AlterConfigs (33) v0–2: replaces a topic's whole set of overrides (what is not named reverts
 * to the cluster default), through the controller; the owning shards apply it to open logs.
 * Broker configs are cluster properties set at start and are refused as read-only.
 */
import type { AlterTopicConfigsCommand } from "../../cluster/controller-calls.ts";
import type { AlterConfigsRequest, AlterConfigsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { alterResources, type ResourceChange } from "./alter-resources.ts";

export const alterConfigsHandler = defineHandler({
  apiKey: 33,
  name: "AlterConfigs",
  minVersion: 0,
  maxVersion: 2,
  async handle(context: BrokerContext, request: AlterConfigsRequest): Promise<AlterConfigsResponse> {
    const changes = request.resources.map((resource): ResourceChange => {
      const set: Record<string, string> = {};
      for (const c of resource.configs) if (c.value !== null) set[c.name] = c.value;
      const command: AlterTopicConfigsCommand = { name: resource.resourceName, set, remove: [], replace: true };
      return { resourceType: resource.resourceType, resourceName: resource.resourceName, command, names: resource.configs.map((c) => c.name) };
    });
    return { throttleTimeMs: 0, responses: await alterResources(context, changes, request.validateOnly) };
  },
});
