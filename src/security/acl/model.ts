// Kafka's ACL model (org.apache.kafka.common.acl / resource): the codes the ACL APIs carry on the wire, ACL
// bindings (resource pattern + entry) and the filters DescribeAcls/DeleteAcls match them with. One table per
// enum; names are Kafka's, as kafka-acls and the admin clients print them.

/** AclOperation codes. */
export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
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
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperation = (typeof AclOperation)[keyof typeof AclOperation];

/** ResourceType codes (the ones an ACL may name here: Topic, Group, Cluster, TransactionalId). */
export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceType = (typeof ResourceType)[keyof typeof ResourceType];

/** PatternType codes; ANY and MATCH are filters only. */
export const PatternType = {
  UNKNOWN: 0,
  ANY: 1,
  MATCH: 2,
  LITERAL: 3,
  PREFIXED: 4,
} as const;
export type PatternType = (typeof PatternType)[keyof typeof PatternType];

/** AclPermissionType codes. */
export const Permission = {
  UNKNOWN: 0,
  ANY: 1,
  DENY: 2,
  ALLOW: 3,
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

/** Resource types this gateway authorizes (an ACL on another type is refused at creation). */
export const SUPPORTED_RESOURCE_TYPES: ReadonlySet<number> = new Set([
  ResourceType.TOPIC,
  ResourceType.GROUP,
  ResourceType.CLUSTER,
  ResourceType.TRANSACTIONAL_ID,
]);

/** Operations an ACL may grant or deny on each resource type (Kafka's ResourceType -> supported ops). */
export const OPERATIONS_BY_TYPE: ReadonlyMap<number, readonly AclOperation[]> = new Map<
  number,
  readonly AclOperation[]
>([
  [ResourceType.TOPIC, [
    AclOperation.READ,
    AclOperation.WRITE,
    AclOperation.CREATE,
    AclOperation.DESCRIBE,
    AclOperation.DELETE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ]],
  [ResourceType.GROUP, [
    AclOperation.READ,
    AclOperation.DESCRIBE,
    AclOperation.DELETE,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
  ]],
  [ResourceType.CLUSTER, [
    AclOperation.CREATE,
    AclOperation.CLUSTER_ACTION,
    AclOperation.DESCRIBE_CONFIGS,
    AclOperation.ALTER_CONFIGS,
    AclOperation.IDEMPOTENT_WRITE,
    AclOperation.ALTER,
    AclOperation.DESCRIBE,
  ]],
  [ResourceType.TRANSACTIONAL_ID, [AclOperation.DESCRIBE, AclOperation.WRITE]],
]);

/** The one name of the Cluster resource. */
export const CLUSTER_NAME = "kafka-cluster";
/** A literal resource name matching every resource of its type. */
export const WILDCARD_RESOURCE = "*";
/** The principal matching every principal. */
export const WILDCARD_PRINCIPAL = "User:*";
/** The host matching every host. */
export const WILDCARD_HOST = "*";

/** One ACL: who (principal, host) may or may not (permission) do what (operation) to which resources. */
export interface AclBinding {
  readonly resourceType: ResourceType;
  readonly resourceName: string;
  /** LITERAL or PREFIXED. */
  readonly patternType: PatternType;
  /** "Type:name", e.g. "User:alice" or "User:*". */
  readonly principal: string;
  /** A client IP address or "*". */
  readonly host: string;
  readonly operation: AclOperation;
  /** ALLOW or DENY. */
  readonly permission: Permission;
}

/** What DescribeAcls and DeleteAcls select with: null strings and ANY codes match everything. */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permission: number;
}

/** A stable identity of a binding (set membership, deduplication). */
export function bindingKey(b: AclBinding): string {
  return JSON.stringify([
    b.resourceType,
    b.patternType,
    b.resourceName,
    b.principal,
    b.host,
    b.operation,
    b.permission,
  ]);
}

/** Whether `filter`'s resource-pattern part selects binding `b` (Kafka's ResourcePatternFilter.matches). */
function patternMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType === PatternType.ANY) {
    return f.resourceName === null || f.resourceName === b.resourceName;
  }
  if (f.patternType === PatternType.MATCH) {
    // Every binding that would apply to the named resource: its literal, the wildcard, a prefix of it.
    if (f.resourceName === null) return true;
    if (b.patternType === PatternType.LITERAL) {
      return b.resourceName === f.resourceName || b.resourceName === WILDCARD_RESOURCE;
    }
    return b.patternType === PatternType.PREFIXED && f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

/** Whether `filter` selects binding `b` (Kafka's AclBindingFilter.matches). */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  return patternMatches(f, b) &&
    (f.principal === null || f.principal === b.principal) &&
    (f.host === null || f.host === b.host) &&
    (f.operation === AclOperation.ANY || f.operation === b.operation) &&
    (f.permission === Permission.ANY || f.permission === b.permission);
}

/** Why a filter cannot be used (Kafka's AclBindingFilter.findIndefiniteField and unknown codes), or null. */
export function filterProblem(f: AclFilter): string | null {
  if (!isCode(ResourceType, f.resourceType) || f.resourceType === ResourceType.UNKNOWN) {
    return `unknown resource type ${f.resourceType}`;
  }
  if (!isCode(PatternType, f.patternType) || f.patternType === PatternType.UNKNOWN) {
    return `unknown pattern type ${f.patternType}`;
  }
  if (!isCode(AclOperation, f.operation) || f.operation === AclOperation.UNKNOWN) {
    return `unknown operation ${f.operation}`;
  }
  if (!isCode(Permission, f.permission) || f.permission === Permission.UNKNOWN) {
    return `unknown permission type ${f.permission}`;
  }
  return null;
}

/** Why a binding cannot be created (Kafka's AclControlManager.validateNewAcl), or null. */
export function bindingProblem(b: AclBinding): string | null {
  if (!SUPPORTED_RESOURCE_TYPES.has(b.resourceType)) {
    return `resource type ${
      resourceTypeName(b.resourceType)
    } is not supported (Topic, Group, Cluster, TransactionalId)`;
  }
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) {
    return `pattern type ${patternTypeName(b.patternType)} is not valid in an ACL (LITERAL or PREFIXED)`;
  }
  if (b.resourceName === "") return "the resource name is empty";
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== CLUSTER_NAME) {
    return `the Cluster resource is named ${CLUSTER_NAME}, not ${JSON.stringify(b.resourceName)}`;
  }
  if (b.permission !== Permission.ALLOW && b.permission !== Permission.DENY) {
    return `permission type ${b.permission} is not valid in an ACL (ALLOW or DENY)`;
  }
  if (b.operation === AclOperation.ANY || !isCode(AclOperation, b.operation) || b.operation === 0) {
    return `operation ${operationName(b.operation)} is not valid in an ACL`;
  }
  if (parsePrincipal(b.principal) === null) {
    return `principal ${JSON.stringify(b.principal)} is not of the form Type:name (e.g. User:alice)`;
  }
  if (b.host === "") return "the host is empty (use * for every host)";
  return null;
}

/** "User:alice" -> {type, name}; null when it has no "Type:" part. */
export function parsePrincipal(s: string): { type: string; name: string } | null {
  const i = s.indexOf(":");
  if (i <= 0) return null;
  return { type: s.slice(0, i), name: s.slice(i + 1) };
}

function isCode(table: Record<string, number>, code: number): boolean {
  return Object.values(table).includes(code);
}

function nameOf(table: Record<string, number>, code: number): string {
  for (const [k, v] of Object.entries(table)) if (v === code) return k;
  return `UNKNOWN(${code})`;
}

export function operationName(op: number): string {
  return nameOf(AclOperation, op);
}
export function resourceTypeName(t: number): string {
  return nameOf(ResourceType, t);
}
export function patternTypeName(p: number): string {
  return nameOf(PatternType, p);
}
export function permissionName(p: number): string {
  return nameOf(Permission, p);
}
