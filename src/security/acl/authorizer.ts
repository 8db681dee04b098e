// The ACL authorizer (--authorizer acl): the pipeline's Authorizer over the ACL store. Each request is checked by
// its API's rule (registered with the API's handler in src/handlers/apis.ts; the rules are in rules/), which asks
// the ACLs as last read, for the connection's principal and host; the handlers never see ACLs. Only
// ctx.principal and ctx.clientHost are read, so it works the same for PLAINTEXT (User:ANONYMOUS), SSL and SASL
// principals.
import type { RequestContext } from "../../request/context.ts";
import type { Authorizer, RequestRule, Verdict } from "../../request/authorize.ts";
import { ALLOW } from "../../request/authorize.ts";
import { Access, subjectOf } from "./access.ts";
import type { AclMatcher, Subject } from "./matcher.ts";

export class AclAuthorizer implements Authorizer {
  /** `acls` is read per request: the store replaces its matcher when the ACLs change. */
  constructor(private readonly acls: { readonly matcher: AclMatcher }) {}

  authorize(ctx: RequestContext, request: unknown, rule: RequestRule): Verdict | Promise<Verdict> {
    const matcher = this.acls.matcher;
    const subject = subjectOf(ctx);
    if (matcher.isSuperUser(subject.principal)) return ALLOW;
    const v = rule.check(new Access(matcher, subject), ctx, request);
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
