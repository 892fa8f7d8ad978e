import { expect, test } from "bun:test";
import { mapPrincipal, parsePrincipalRules, rfc2253 } from "./principal-mapping.ts";
import { defaultProperties, setProperty } from "./properties.ts";

// Cases from Kafka's SslPrincipalMapperTest.
test("Kafka's rules: the first that matches the whole DN names the user, with L / U", () => {
  const rules = parsePrincipalRules("RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT");
  expect(rules).toHaveLength(4);
  expect(mapPrincipal(rules, "CN=Duke,OU=ServiceUsers,O=Org,C=US")).toBe("Duke");
  expect(mapPrincipal(rules, "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US")).toBe("duke@sme");
  expect(mapPrincipal(rules, "cn=duke,OU=JavaSoft,O=Sun Microsystems")).toBe("DUKE");
  expect(mapPrincipal(rules, "OU=JavaSoft,O=Sun Microsystems,C=US")).toBe("OU=JavaSoft,O=Sun Microsystems,C=US");
});

test("no rule matching refuses the DN; DEFAULT alone (or nothing) keeps it", () => {
  expect(mapPrincipal(parsePrincipalRules("RULE:^CN=(.*?),OU=eng.*$/$1/"), "CN=bob,OU=ops,O=Acme")).toBeNull();
  expect(mapPrincipal(parsePrincipalRules("DEFAULT"), "CN=a,O=b")).toBe("CN=a,O=b");
  expect(mapPrincipal(parsePrincipalRules(""), "CN=a")).toBe("CN=a");
});

test("bad rules are errors naming the bad part", () => {
  expect(() => parsePrincipalRules("RULE:^CN=(.*$/$1/")).toThrow("regex");
  expect(() => parsePrincipalRules("DEFAULT,bogus")).toThrow("bogus");
  expect(() => parsePrincipalRules("RULE:^CN=(.*)$/$1/X")).toThrow("invalid principal mapping rule");
});

test("the subject as node prints it becomes RFC 2253 order", () => {
  expect(rfc2253("C=US\nO=Acme\nOU=eng\nCN=alice")).toBe("CN=alice,OU=eng,O=Acme,C=US");
});

test("kafka_mtls_principal_mapping_rules takes Kafka's comma form or a list and is checked", () => {
  const props = defaultProperties();
  expect(props.kafka_mtls_principal_mapping_rules).toBe("DEFAULT");
  setProperty(props, "kafka_mtls_principal_mapping_rules", '["RULE:^CN=(.*?),OU=(.*?)$/$1/L", "DEFAULT"]');
  expect(props.kafka_mtls_principal_mapping_rules).toBe("RULE:^CN=(.*?),OU=(.*?)$/$1/L,DEFAULT");
  expect(() => setProperty(props, "kafka_mtls_principal_mapping_rules", "RULE:nope")).toThrow("kafka_mtls_principal_mapping_rules");
});
