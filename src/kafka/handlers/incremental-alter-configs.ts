/**
 * IncrementalAlterConfigs (44) v0–1: SET, DELETE (back to the default), APPEND and SUBTRACT
 * (list configs only) on topic configs, through the controller. Broker configs are read-only.
 */
import type { AlterTopicConfigsCommand } from "../../cluster/controller-calls.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from "../../protocol/messages/index.ts";
import { defineHandler, type BrokerContext } from "../handler.ts";
import { alterResources, type ResourceChange } from "./alter-resources.ts";
import { inheritedTopicConfig, items, topicConfigDefs } from "../../cluster/topic-config.ts";
import { listConfigs, ResourceType } from "./configs.ts";

const Op = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

type Resource = IncrementalAlterConfigsRequest["resources"][number];

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: 44,
  name: "IncrementalAlterConfigs",
  minVersion: 0,
  maxVersion: 1,
  async handle(context: BrokerContext, request: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
    const changes = request.resources.map((resource): ResourceChange => ({
      resourceType: resource.resourceType,
      resourceName: resource.resourceName,
      command: resource.resourceType === ResourceType.TOPIC ? topicCommand(context, resource) : { name: resource.resourceName, set: {}, remove: [], replace: false },
      names: resource.configs.map((c) => c.name),
    }));
    return { throttleTimeMs: 0, responses: await alterResources(context, changes, request.validateOnly) };
  },
});

/** Turns the operations into overrides to set and remove, or the error the resource gets. */
function topicCommand(context: BrokerContext, resource: Resource): ResourceChange["command"] {
  const invalid = (errorCode: number, errorMessage: string) => ({ errorCode, errorMessage });
  const command: AlterTopicConfigsCommand = { name: resource.resourceName, set: {}, remove: [], replace: false };
  const current = context.metadata().topic(resource.resourceName)?.configs ?? {};
  const names = new Set<string>();
  for (const config of resource.configs) {
    if (names.has(config.name)) return invalid(ErrorCode.INVALID_REQUEST, `config '${config.name}' appears twice`);
    names.add(config.name);
    if (!Object.hasOwn(topicConfigDefs, config.name)) return invalid(ErrorCode.INVALID_CONFIG, `unknown topic config '${config.name}'`);
    switch (config.configOperation) {
      case Op.SET:
        if (config.value === null) return invalid(ErrorCode.INVALID_CONFIG, `config '${config.name}' needs a value to SET`);
        command.set[config.name] = config.value;
        break;
      case Op.DELETE:
        command.remove.push(config.name);
        break;
      case Op.APPEND:
      case Op.SUBTRACT: {
        if (!listConfigs.has(config.name)) return invalid(ErrorCode.INVALID_CONFIG, `config '${config.name}' is not a list; APPEND and SUBTRACT apply to lists only`);
        const inherited = inheritedTopicConfig(context.props, config.name);
        const values = new Set(items(current[config.name] ?? inherited));
        for (const v of items(config.value ?? "")) {
          if (config.configOperation === Op.APPEND) values.add(v);
          else values.delete(v);
        }
        command.set[config.name] = [...values].join(",");
        break;
      }
      default:
        return invalid(ErrorCode.INVALID_REQUEST, `unknown config operation ${config.configOperation} for '${config.name}'`);
    }
  }
  return command;
}
