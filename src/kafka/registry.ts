/** Every Kafka API skua serves, with its version range. ApiVersions answers from this list. */
import type { ApiHandler } from "./handler.ts";
import { apiVersionsHandler } from "./handlers/api-versions.ts";
import { createTopicsHandler } from "./handlers/create-topics.ts";
import { fetchHandler } from "./handlers/fetch.ts";
import { listOffsetsHandler } from "./handlers/list-offsets.ts";
import { metadataHandler } from "./handlers/metadata.ts";
import { produceHandler } from "./handlers/produce.ts";

export const handlers: ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler(() => handlers),
  createTopicsHandler,
].sort((a, b) => a.apiKey - b.apiKey);

export const handlersByKey = new Map(handlers.map((h) => [h.apiKey, h]));
