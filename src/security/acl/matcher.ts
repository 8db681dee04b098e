// The ACL decision (Kafka's AclAuthorizer/StandardAuthorizer semantics) over an index of bindings: per resource
// type, literal names in a map and prefixes in a map keyed by prefix with the distinct prefix lengths kept
// sorted, so a check looks up the name, the wildcard "*" and one slice per prefix length, never scanning the
// ACL list. Decisions are cached per (principal, host, operation, resource) until the ACLs change (the index is
// immutable: a change builds a new one, and a new cache with it).
import {
  type AclBinding,
  AclOperation,
  PatternType,
  Permission,
  WILDCARD_HOST,
  WILDCARD_PRINCIPAL,
  WILDCARD_RESOURCE,
} from "./model.ts";

/** Operations whose ALLOW also allows the asked one (Kafka: READ/WRITE/DELETE/ALTER imply DESCRIBE, etc.). */
function allowingOps(op: number): readonly number[] {
  if (op === AclOperation.DESCRIBE) {
    return [
      AclOperation.ALL,
      AclOperation.DESCRIBE,
      AclOperation.READ,
      AclOperation.WRITE,
      AclOperation.DELETE,
      AclOperation.ALTER,
    ];
  }
  if (op === AclOperation.DESCRIBE_CONFIGS) {
    return [AclOperation.ALL, AclOperation.DESCRIBE_CONFIGS, AclOperation.ALTER_CONFIGS];
  }
  return [AclOperation.ALL, op];
}

/** Who is asking, as ACLs name it. */
export interface Subject {
  /** "Type:name". */
  readonly principal: string;
  /** Client IP address without Kafka's leading "/". */
  readonly host: string;
}

export interface MatcherOptions {
  /** Principals ("User:admin") allowed everything. */
  readonly superUsers: ReadonlySet<string>;
  /** A resource no ACL applies to is open to everyone (allow.everyone.if.no.acl.found). */
  readonly allowIfNoAcl: boolean;
}

interface TypeIndex {
  readonly literal: Map<string, AclBinding[]>;
  readonly prefixed: Map<string, AclBinding[]>;
  /** Distinct lengths of the prefixes, ascending. */
  prefixLengths: number[];
}

/** Largest number of cached decisions (cleared when full: the working set of a gateway is far smaller). */
const CACHE_MAX = 100_000;

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list === undefined) m.set(k, [v]);
  else list.push(v);
}

function applies(b: AclBinding, s: Subject): boolean {
  return (b.principal === s.principal || b.principal === WILDCARD_PRINCIPAL) &&
    (b.host === s.host || b.host === WILDCARD_HOST);
}

export class AclMatcher {
  private readonly byType = new Map<number, TypeIndex>();
  private readonly cache = new Map<string, boolean>();
  readonly size: number;

  constructor(bindings: readonly AclBinding[], readonly options: MatcherOptions) {
    for (const b of bindings) {
      let t = this.byType.get(b.resourceType);
      if (t === undefined) {
        t = { literal: new Map(), prefixed: new Map(), prefixLengths: [] };
        this.byType.set(b.resourceType, t);
      }
      if (b.patternType === PatternType.PREFIXED) push(t.prefixed, b.resourceName, b);
      else push(t.literal, b.resourceName, b);
    }
    for (const t of this.byType.values()) {
      t.prefixLengths = [...new Set([...t.prefixed.keys()].map((p) => p.length))].sort((a, b) => a - b);
    }
    this.size = bindings.length;
  }

  isSuperUser(principal: string): boolean {
    return this.options.superUsers.has(principal);
  }

  /** Every binding whose pattern covers resource (type, name): literal, wildcard and prefixes of the name. */
  private matching(type: number, name: string): AclBinding[] {
    const t = this.byType.get(type);
    if (t === undefined) return [];
    const out: AclBinding[] = [];
    const lit = t.literal.get(name);
    if (lit !== undefined) out.push(...lit);
    if (name !== WILDCARD_RESOURCE) {
      const wild = t.literal.get(WILDCARD_RESOURCE);
      if (wild !== undefined) out.push(...wild);
    }
    for (const len of t.prefixLengths) {
      if (len > name.length) break;
      const pre = t.prefixed.get(name.slice(0, len));
      if (pre !== undefined) out.push(...pre);
    }
    return out;
  }

  /** Whether `s` may perform `op` on resource (type, name). */
  authorize(s: Subject, op: number, type: number, name: string): boolean {
    if (this.options.superUsers.has(s.principal)) return true;
    const key = `${type}\u0000${op}\u0000${s.principal}\u0000${s.host}\u0000${name}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const result = this.decide(s, op, type, name);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }

  private decide(s: Subject, op: number, type: number, name: string): boolean {
    const acls = this.matching(type, name);
    if (acls.length === 0) return this.options.allowIfNoAcl;
    // DENY wins: a DENY of this operation (or ALL) for this principal and host refuses, whatever allows it.
    for (const b of acls) {
      if (
        b.permission === Permission.DENY && (b.operation === op || b.operation === AclOperation.ALL) &&
        applies(b, s)
      ) return false;
    }
    const ops = allowingOps(op);
    for (const b of acls) {
      if (b.permission === Permission.ALLOW && ops.includes(b.operation) && applies(b, s)) return true;
    }
    return false;
  }

  /**
   * Whether `s` may perform `op` on at least one resource of `type` (Kafka's Authorizer.authorizeByResourceType,
   * KIP-679: InitProducerId for an idempotent producer needs WRITE on some topic): an ALLOW pattern that no
   * DENY pattern of the principal covers.
   */
  authorizeAny(s: Subject, op: number, type: number): boolean {
    // Kafka checks a made-up name first: super users, wildcard ALLOWs and allow.everyone.if.no.acl.found.
    if (this.authorize(s, op, type, "hardcode")) return true;
    const t = this.byType.get(type);
    if (t === undefined) return false;
    const ops = allowingOps(op);
    const denyLiteral = new Set<string>();
    const denyPrefixes: string[] = [];
    const allows: AclBinding[] = [];
    for (const [lists, prefixed] of [[t.literal, false], [t.prefixed, true]] as const) {
      for (const bindings of lists.values()) {
        for (const b of bindings) {
          if (!applies(b, s)) continue;
          if (b.permission === Permission.DENY && (b.operation === op || b.operation === AclOperation.ALL)) {
            if (prefixed) denyPrefixes.push(b.resourceName);
            else denyLiteral.add(b.resourceName);
          } else if (b.permission === Permission.ALLOW && ops.includes(b.operation)) {
            allows.push(b);
          }
        }
      }
    }
    if (denyLiteral.has(WILDCARD_RESOURCE)) return false;
    const deniedByPrefix = (name: string) => denyPrefixes.some((p) => name.startsWith(p));
    return allows.some((b) =>
      !deniedByPrefix(b.resourceName) &&
      (b.patternType === PatternType.PREFIXED || !denyLiteral.has(b.resourceName))
    );
  }
}
