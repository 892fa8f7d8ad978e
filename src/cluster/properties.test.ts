import { expect, test } from "bun:test";
import { defaultProperties, parseConfigFile, setProperty } from "./properties.ts";

test("defaults follow Redpanda: auto-create off, one partition", () => {
  const props = defaultProperties();
  expect(props.auto_create_topics_enabled).toBe(false);
  expect(props.default_topic_partitions).toBe(1);
  expect(props.kafka_request_max_bytes).toBe(100 * 1024 * 1024);
});

test("set parses by kind and rejects unknown names and bad values, naming them", () => {
  const props = defaultProperties();
  setProperty(props, "auto_create_topics_enabled", "true");
  setProperty(props, "default_topic_partitions", "4");
  expect(props.auto_create_topics_enabled).toBe(true);
  expect(props.default_topic_partitions).toBe(4);
  expect(() => setProperty(props, "no_such_thing", "1")).toThrow("no_such_thing");
  expect(() => setProperty(props, "default_topic_partitions", "x")).toThrow("default_topic_partitions");
  expect(() => setProperty(props, "default_topic_partitions", "0")).toThrow(">= 1");
  expect(() => setProperty(props, "auto_create_topics_enabled", "yes")).toThrow("true or false");
  expect(() => setProperty(props, "log_cleanup_policy", "shred")).toThrow("delete");
  setProperty(props, "log_cleanup_policy", "compact,delete");
  expect(props.log_cleanup_policy).toBe("compact,delete");
});

test("config file: name: value lines with comments", () => {
  const props = defaultProperties();
  parseConfigFile("# skua\nauto_create_topics_enabled: true\n\ndefault_topic_partitions = 3 # trailing\n", props);
  expect(props.auto_create_topics_enabled).toBe(true);
  expect(props.default_topic_partitions).toBe(3);
  expect(() => parseConfigFile("just words", props)).toThrow("line 1");
});
