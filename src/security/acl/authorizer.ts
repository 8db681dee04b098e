// The ACL authorizer (--authorizer acl): the pipeline's Authorizer over the ACL store. Each request is checked
// by its API's policy (policies.ts) against the ACLs as last read, for the connection's principal and host; the
// handlers never see ACLs. Only ctx.principal and ctx.clientHost are read, so it works the same for PLAINTEXT
// (User:ANONYMOUS), SSL and SASL principals.
import type { RequestContext } from "../../request/context.ts";
import type { Authorizer, Verdict } from "../../request/authorize.ts";
import { ALLOW } from "../../request/authorize.ts";
import { Access, subjectOf } from "./access.ts";
import type { AclMatcher, Subject } from "./matcher.ts";
import { isObj } from "./narrow.ts";
import { POLICIES, UNLISTED } from "./policies.ts";

export class AclAuthorizer implements Authorizer {
  /** `acls` is read per request: the store replaces its matcher when the ACLs change. */
  constructor(private readonly acls: { readonly matcher: AclMatcher }) {}

  authorize(ctx: RequestContext, request: unknown): Verdict | Promise<Verdict> {
    const matcher = this.acls.matcher;
    const subject = subjectOf(ctx);
    if (matcher.isSuperUser(subject.principal)) return ALLOW;
    const policy = POLICIES.get(ctx.header.apiKey) ?? UNLISTED;
    const v = policy(new Access(matcher, subject), ctx, isObj(request) ? request : {});
    if (v instanceof Promise) return v.then((x) => this.note(ctx, subject, x));
    return v === ALLOW ? v : this.note(ctx, subject, v);
  }

  /** Whole-request refusals at debug level (Kafka's kafka.authorizer.logger); per-resource ones are not logged. */
  private note(ctx: RequestContext, subject: Subject, v: Verdict): Verdict {
    if (v.kind === "deny") {
      ctx.log.debug("authorization: {principal} from {host} refused {api} (error {code})", {
        principal: subject.principal,
        host: subject.host,
        api: ctx.header.apiKey,
        code: v.errorCode ?? -1,
      });
    }
    return v;
  }
}
