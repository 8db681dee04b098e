// The authorizer from the gateway's options: --authorizer none keeps the pipeline's allow-all (and no ACL store:
// the ACL APIs answer SECURITY_DISABLED); --authorizer acl opens the ACL store on the backend's documents and
// enforces it, with --super-users and --allow-everyone-if-no-acl-found.
import type { Config } from "../../configs/options.ts";
import type { Logger } from "../../log.ts";
import type { Storage } from "../../storage/storage.ts";
import { allowAll, type Authorizer } from "../../request/authorize.ts";
import { ACL_POLL_MS, AclStore } from "./store.ts";
import { AclAuthorizer } from "./authorizer.ts";
import { parsePrincipal } from "./model.ts";

type AclConfig = Pick<Config, "authorizer" | "superUsers" | "allowEveryoneIfNoAclFound">;

/**
 * --super-users as a set of "Type:name"; throws naming the flag on a malformed entry. Kafka's super.users is
 * ;-separated (SSL principals' DNs hold commas); a ,-separated list is accepted too, a piece without "Type:"
 * continuing the previous principal's DN ("User:CN=a,O=b,User:c" is two principals).
 */
export function superUsers(config: Pick<Config, "superUsers">): Set<string> {
  const raw = config.superUsers;
  const pieces = raw.includes(";") ? raw.split(";") : raw.split(",");
  const out: string[] = [];
  for (const piece of pieces) {
    const p = piece.trim();
    if (p === "") continue;
    if (/^[A-Za-z][\w.-]*:/.test(p) || raw.includes(";") || out.length === 0) out.push(p);
    else out[out.length - 1] += `,${p}`;
  }
  for (const p of out) {
    if (parsePrincipal(p) === null) {
      throw new Error(`--super-users: "${p}" is not a principal of the form Type:name (e.g. User:admin)`);
    }
  }
  return new Set(out);
}

export interface Authorization {
  readonly authorizer: Authorizer;
  /** null with --authorizer none. */
  readonly acls: AclStore | null;
}

export async function openAuthorization(
  config: AclConfig,
  storage: Storage,
  log: Logger,
): Promise<Authorization> {
  const supers = superUsers(config);
  if (config.authorizer !== "acl") return { authorizer: allowAll, acls: null };
  const acls = new AclStore(
    storage.documents(),
    { superUsers: supers, allowIfNoAcl: config.allowEveryoneIfNoAclFound },
    log,
    storage.kind === "seaweedmq" ? ACL_POLL_MS : 0,
  );
  await acls.load();
  acls.start();
  log.info("ACL authorizer: {n} ACLs, super users: {supers}, allow everyone if no ACL found: {allow}", {
    n: acls.all().length,
    supers: supers.size === 0 ? "none" : [...supers].join(","),
    allow: config.allowEveryoneIfNoAclFound,
  });
  return { authorizer: new AclAuthorizer(acls), acls };
}
