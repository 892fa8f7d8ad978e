/**
 * One authorization check (AclStore.allows, what context.authorize runs per topic of a request)
 * against what produce already does to every partition's payload: validateBatches (header checks
 * + CRC-32C) of a 16 KiB batch (baseline). Stores of 100 and 10,000 ACLs, half literal and half
 * prefixed decoys for other principals, plus the principal's own prefixed ALLOW.
 * Run: bun run bench/authz-check.ts
 */
import { bench, do_not_optimize, run, summary } from "mitata";
import { useNativeCrc32c } from "../src/base/crc32c.ts";
import { AclOperation, AclPermission, AclStore, PatternType, ResourceType } from "../src/cluster/acls.ts";
import { loadNativeCrc32c } from "../src/native/crc32c.ts";
import { buildBatch } from "../src/storage/batch-builder.ts";
import { validateBatches } from "../src/storage/record-batch.ts";

const native = loadNativeCrc32c();
if (native) useNativeCrc32c(native);
const batch = buildBatch({ records: Array.from({ length: 16 }, (_, i) => ({ value: "x".repeat(1000 + i) })) });
const subject = { principal: "User:bench", host: "127.0.0.1" };

function store(count: number): AclStore {
  const acls = new AclStore();
  acls.add({ resourceType: ResourceType.TOPIC, resourceName: "loadgen-", patternType: PatternType.PREFIXED, principal: subject.principal, host: "*", operation: AclOperation.ALL, permission: AclPermission.ALLOW });
  for (let i = 1; i < count; i++) {
    const prefixed = i % 2 === 1;
    acls.add({ resourceType: ResourceType.TOPIC, resourceName: prefixed ? `decoy-${i}-` : `decoy-topic-${i}`, patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL, principal: `User:decoy-${i}`, host: "*", operation: AclOperation.WRITE, permission: AclPermission.ALLOW });
  }
  return acls;
}

const small = store(100);
const large = store(10_000);

summary(() => {
  bench(`validateBatches 16 KiB, CRC-32C ${native ? "native" : "JS"} (baseline)`, () => do_not_optimize(validateBatches(batch))).baseline(true);
  bench("allows WRITE, 100 ACLs", () => do_not_optimize(small.allows(subject, AclOperation.WRITE, "topic", "loadgen-abc")));
  bench("allows DESCRIBE (implied), 100 ACLs", () => do_not_optimize(small.allows(subject, AclOperation.DESCRIBE, "topic", "loadgen-abc")));
  bench("allows WRITE, 10,000 ACLs", () => do_not_optimize(large.allows(subject, AclOperation.WRITE, "topic", "loadgen-abc")));
});

await run();
