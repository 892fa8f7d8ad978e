/** The metadata table's lookups by topic id (Fetch v13+, Metadata v12) follow every change. */
import { expect, test } from "bun:test";
import { MetadataTable, type TopicRecord } from "./metadata.ts";

const topic = (name: string, id: string): TopicRecord => ({ name, id, shards: [0], configs: {} });
const OLD_ID = "11111111-1111-4111-8111-111111111111";
const NEW_ID = "22222222-2222-4222-8222-222222222222";

test("an id resolves while its topic lives: not after deletion, nor after its name is taken by a new topic", () => {
  const table = MetadataTable.fromSnapshot({ version: 1, shardCount: 1, topics: [topic("a", OLD_ID)] });
  expect(table.topicById(OLD_ID)?.name).toBe("a");
  table.apply({ version: 2, changes: [{ kind: "upsert_topic", topic: { ...topic("a", OLD_ID), configs: { "retention.ms": "1" } } }] });
  expect(table.topicById(OLD_ID)?.configs).toEqual({ "retention.ms": "1" });
  table.apply({ version: 3, changes: [{ kind: "delete_topic", name: "a" }] });
  expect(table.topicById(OLD_ID)).toBeUndefined();
  table.apply({ version: 4, changes: [{ kind: "upsert_topic", topic: topic("a", NEW_ID) }] });
  expect([table.topicById(OLD_ID), table.topicById(NEW_ID)?.name]).toEqual([undefined, "a"]);
  // Re-created in one update without a delete in between: the old id goes all the same.
  table.apply({ version: 5, changes: [{ kind: "upsert_topic", topic: topic("a", OLD_ID) }] });
  expect([table.topicById(NEW_ID), table.topicById(OLD_ID)?.name]).toEqual([undefined, "a"]);
});
