// One request's view of the ACLs: the principal and host it came from, asked per resource. Built per request
// (cheap: two strings); the matcher it reads is the store's current one.
import type { RequestContext } from "../../request/context.ts";
import type { Permissions } from "../../request/authorize.ts";
import type { AclMatcher, Subject } from "./matcher.ts";
import { AclOperation, CLUSTER_NAME, OPERATIONS_BY_TYPE, ResourceType } from "./model.ts";

/** ctx.clientHost is "/127.0.0.1" (as DescribeGroups shows it); ACLs name the bare address. */
export function subjectOf(ctx: RequestContext): Subject {
  const h = ctx.clientHost;
  return {
    principal: `${ctx.principal.type}:${ctx.principal.name}`,
    host: h.startsWith("/") ? h.slice(1) : h,
  };
}

/** The ACL authorizer's Permissions: what the APIs' rules ask, answered by the ACL matcher. */
export class Access implements Permissions {
  constructor(readonly matcher: AclMatcher, readonly subject: Subject) {}

  topic(op: number, name: string): boolean {
    return this.matcher.authorize(this.subject, op, ResourceType.TOPIC, name);
  }
  group(op: number, name: string): boolean {
    return this.matcher.authorize(this.subject, op, ResourceType.GROUP, name);
  }
  cluster(op: number): boolean {
    return this.matcher.authorize(this.subject, op, ResourceType.CLUSTER, CLUSTER_NAME);
  }
  transactionalId(op: number, id: string): boolean {
    return this.matcher.authorize(this.subject, op, ResourceType.TRANSACTIONAL_ID, id);
  }
  /** Some topic allows `op` (KIP-679). */
  anyTopic(op: number): boolean {
    return this.matcher.authorizeAny(this.subject, op, ResourceType.TOPIC);
  }
  /** CREATE on the cluster, or on the topic itself (what creating a topic needs). */
  mayCreateTopic(name: string): boolean {
    return this.cluster(AclOperation.CREATE) || this.topic(AclOperation.CREATE, name);
  }

  /** Kafka's authorized-operations bit field (KIP-430): bit `op` set for each operation allowed on the resource. */
  authorizedOperations(type: number, name: string): number {
    let bits = 0;
    for (const op of OPERATIONS_BY_TYPE.get(type) ?? []) {
      if (this.matcher.authorize(this.subject, op, type, name)) bits |= 1 << op;
    }
    return bits;
  }
}
