import { describe, expect, test } from "bun:test";
import { parseArgs, UsageError, type StartOptions } from "./args.ts";
import { applyConfigFile } from "./config-file.ts";
import { resolveListeners } from "./listeners.ts";

const startOptions = (argv: string[] = []) => (parseArgs(["start", ...argv]) as { options: StartOptions }).options;
const asIs = (address: { host: string; port: number }) => ({ host: address.host, port: address.port });

/** The listener part of a redpanda.yaml as Redpanda's docs write it, with rpk's section beside it. */
const REDPANDA_YAML = `
redpanda:
  data_directory: /var/lib/redpanda/data
  node_id: 1
  rack: rack-a
  developer_mode: true
  seed_servers:
    - host:
        address: 10.0.0.2
        port: 33145
  rpc_server:
    address: 0.0.0.0
    port: 33145
  kafka_api:
    - address: 0.0.0.0
      port: 9092
      name: internal
    - address: 0.0.0.0
      port: 9093
      name: external
      authentication_method: sasl
  advertised_kafka_api:
    - address: 10.0.0.1
      port: 9092
      name: internal
    - address: broker.example.com
      port: 9093
      name: external
  kafka_api_tls:
    - name: external
      enabled: true
      cert_file: /etc/redpanda/certs/node.crt
      key_file: /etc/redpanda/certs/node.key
      truststore_file: /etc/redpanda/certs/ca.crt
      require_client_auth: false
  admin:
    - address: 127.0.0.1
      port: 9644
  admin_api_tls:
    enabled: false
  auto_create_topics_enabled: true
rpk:
  kafka_api:
    brokers: [127.0.0.1:9092]
default_topic_partitions: 3
superusers: [admin, ops]
`;

describe("config file", () => {
  test("a redpanda.yaml: node settings, listeners and properties at either level; other services' sections ignored", () => {
    const options = startOptions();
    const file = applyConfigFile(options, REDPANDA_YAML);
    expect(file.flatText).toBeNull();
    expect(file.properties).toEqual([["auto_create_topics_enabled", "true"], ["default_topic_partitions", "3"], ["superusers", "admin,ops"]]);
    expect(file.ignored).toEqual(["redpanda.developer_mode", "rpk"]);
    expect(options).toMatchObject({ dataDir: "/var/lib/redpanda/data", rack: "rack-a", nodeId: 1, rpcAddr: { host: "0.0.0.0", port: 33145 }, seeds: [{ host: "10.0.0.2", port: 33145 }] });
    const { kafka, admin } = resolveListeners(options, options.listenerSections, false, asIs);
    expect(kafka).toEqual([
      { name: "internal", address: { host: "0.0.0.0", port: 9092 }, advertised: { host: "10.0.0.1", port: 9092 }, authentication: "none", tls: null },
      {
        name: "external", address: { host: "0.0.0.0", port: 9093 }, advertised: { host: "broker.example.com", port: 9093 }, authentication: "sasl",
        tls: { certFile: "/etc/redpanda/certs/node.crt", keyFile: "/etc/redpanda/certs/node.key", truststoreFile: "/etc/redpanda/certs/ca.crt", crlFile: null, requireClientAuth: false },
      },
    ]);
    expect(admin).toEqual([{ name: "", address: { host: "127.0.0.1", port: 9644 }, tls: null }]);
  });

  test("flat name=value lines are read as before", () => {
    const options = startOptions();
    const file = applyConfigFile(options, "node_id = 4\nauto_create_topics_enabled=true\n");
    expect(options.nodeId).toBe(4);
    expect(file.flatText?.split("\n")).toEqual(["", "auto_create_topics_enabled=true", ""]);
  });

  test("flags win over the file: --kafka-addr replaces its listeners and keeps a same-named one's authentication and TLS", () => {
    const options = startOptions(["--kafka-addr", "external://127.0.0.1:19093", "--data-dir", "/d", "--node-id", "9"]);
    applyConfigFile(options, REDPANDA_YAML);
    expect(options).toMatchObject({ dataDir: "/d", nodeId: 9 });
    const { kafka } = resolveListeners(options, options.listenerSections, false, asIs);
    expect(kafka).toHaveLength(1);
    expect(kafka[0]).toMatchObject({ name: "external", address: { host: "127.0.0.1", port: 19093 }, advertised: { host: "broker.example.com", port: 9093 }, authentication: "sasl" });
    expect(kafka[0].tls?.certFile).toBe("/etc/redpanda/certs/node.crt");
  });

  test("no config: one plaintext listener on 127.0.0.1:9092, SASL when enable_sasl; the old --advertise-kafka-addr HOST:PORT still applies", () => {
    const options = startOptions(["--advertise-kafka-addr", "proxy:1"]);
    const { kafka, admin } = resolveListeners(options, options.listenerSections, true, asIs);
    expect(kafka).toEqual([{ name: "", address: { host: "127.0.0.1", port: 9092 }, advertised: { host: "proxy", port: 1 }, authentication: "sasl", tls: null }]);
    expect(admin).toEqual([{ name: "", address: { host: "127.0.0.1", port: 9644 }, tls: null }]);
  });

  test.each([
    ["redpanda:\n  kafka_api:\n    - address: 0.0.0.0\n      port: 99999\n", "redpanda.kafka_api[0].port"],
    ["redpanda:\n  kafka_api:\n    - address: 0.0.0.0\n      authentication_method: kerberos\n", "authentication_method must be one of sasl, mtls_identity, none"],
    ["redpanda:\n  kafka_api:\n    - address: 0.0.0.0\n      adress: x\n", "unknown setting 'adress'"],
    ["redpanda:\n  kafka_api_tls:\n    - name: x\n      enabled: true\n      cert_file: /c\n", "needs cert_file and key_file"],
    ["redpanda:\n  kafka_api_tls:\n    - enabled: true\n      cert_file: /c\n      key_file: /k\n      require_client_auth: true\n", "needs truststore_file"],
    ["redpanda:\n  node_id: -1\n", "redpanda.node_id"],
    ["redpanda: 3\n", "'redpanda' must be a mapping"],
    ["superusers:\n  a: b\n", "superusers must be a value or a list"],
  ])("%p is a usage error naming %p", (text, named) => {
    const options = startOptions();
    expect(() => {
      applyConfigFile(options, text);
      resolveListeners(options, options.listenerSections, false, asIs);
    }).toThrow(named);
  });

  test("listener names must match: TLS or advertised entries for no listener, and mtls_identity without client auth, are usage errors", () => {
    const check = (text: string) => {
      const options = startOptions();
      applyConfigFile(options, text);
      return () => resolveListeners(options, options.listenerSections, false, asIs);
    };
    const tls = "  kafka_api_tls:\n    - name: ext\n      enabled: true\n      cert_file: /c\n      key_file: /k\n";
    expect(check(`redpanda:\n  kafka_api:\n    - address: 0.0.0.0\n      name: int\n${tls}`)).toThrow("no listener is named 'ext'");
    expect(check("redpanda:\n  kafka_api:\n    - {address: a, name: x}\n    - {address: b, name: y}\n  advertised_kafka_api:\n    - {address: c, name: z}\n")).toThrow("no kafka_api listener is named 'z'");
    expect(check(`redpanda:\n  kafka_api:\n    - address: 0.0.0.0\n      name: ext\n      authentication_method: mtls_identity\n${tls}`)).toThrow(UsageError);
    expect(check(`redpanda:\n  kafka_api:\n    - address: 0.0.0.0\n      name: ext\n      authentication_method: mtls_identity\n${tls}`)).toThrow("require_client_auth: true");
  });
});
