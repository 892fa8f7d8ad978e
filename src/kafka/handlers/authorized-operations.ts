/**
 * Authorized operations as Metadata, DescribeCluster and DescribeGroups report them: a 32-bit
 * field with bit N set for Kafka AclOperation code N. skua has no ACLs yet, so every principal
 * may do everything: each field lists all operations Kafka's authorizer supports on that
 * resource type, which is what Kafka reports for a superuser.
 */

/** Kafka's AclOperation codes. */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;

/** What a client gets when it did not ask for authorized operations (Kafka: Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

/** The operations that apply to each resource type (Kafka's AclEntry.supportedOperations). */
const supported = {
  topic: [READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS],
  cluster: [CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE],
  group: [READ, DELETE, DESCRIBE],
} as const;

export type AclResource = keyof typeof supported;

export function operationsBitField(operations: readonly number[]): number {
  return operations.reduce((bits, code) => bits | (1 << code), 0);
}

/** The field for `resource` when the client asked for it, else the omitted marker. */
export function authorizedOperations(resource: AclResource, asked: boolean): number {
  return asked ? operationsBitField(supported[resource]) : AUTHORIZED_OPERATIONS_OMITTED;
}
