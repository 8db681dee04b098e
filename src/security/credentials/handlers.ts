// DescribeUserScramCredentials and AlterUserScramCredentials (KIP-554) over the credential store, with Kafka's
// checks and messages (ScramControlManager): one result per user, a user's changes applied all or none.
import { ErrorCode } from "../../protocol/errors.ts";
import type { Answer, Handler, RequestContext } from "../../request/context.ts";
import type {
  DescribeUserScramCredentialsRequest,
  DescribeUserScramCredentialsResponse,
} from "../../protocol/messages/describe_user_scram_credentials.ts";
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponse,
} from "../../protocol/messages/alter_user_scram_credentials.ts";
import {
  credentialFromSalted,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  SCRAM,
  scramMechanismById,
} from "../sasl/scram.ts";
import type { CredentialStore, StoredCredential } from "./store.ts";
import type { ScramMechanism } from "../sasl/scram.ts";

type DescribeResult = Answer<DescribeUserScramCredentialsResponse>["results"][number];
type AlterResult = Answer<AlterUserScramCredentialsResponse>["results"][number];

/** The store a handler works on: the broker's by default (tests may pass their own). */
export type StoreOf = (ctx: RequestContext) => CredentialStore | null;

const brokerStore: StoreOf = (ctx) => ctx.broker.credentials ?? null;

function unavailable(msg: string) {
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: msg };
}

export function describeUserScramCredentialsHandler(
  storeOf: StoreOf = brokerStore,
): Handler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse> {
  return async (ctx, req) => {
    const store = storeOf(ctx);
    if (store === null) return { ...unavailable("no credential store"), results: [] };
    // Read through: the answer reflects changes made through another gateway a moment ago.
    await store.load();
    const all = store.all();
    const infos = (user: string) =>
      [...(all.get(user) ?? new Map<ScramMechanism, StoredCredential>())].map(([m, c]) => ({
        mechanism: SCRAM[m].id,
        iterations: c.iterations,
      }));
    if (req.users === null || req.users.length === 0) {
      const results: DescribeResult[] = [...all.keys()].sort().map((user) => ({
        user,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        credentialInfos: infos(user),
      }));
      return { errorCode: ErrorCode.NONE, errorMessage: null, results };
    }
    const counts = new Map<string, number>();
    for (const u of req.users) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
    const results: DescribeResult[] = [];
    for (const [user, n] of counts) {
      if (n > 1) {
        results.push({
          user,
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: "Cannot describe SCRAM credentials for the same user twice in a single request",
          credentialInfos: [],
        });
      } else if (!all.has(user)) {
        results.push({
          user,
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: "Attempt to describe a user credential that does not exist",
          credentialInfos: [],
        });
      } else {
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) });
      }
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null, results };
  };
}

/** One user's requested changes, validated: what to delete and what to store. */
interface UserChange {
  readonly deletions: ScramMechanism[];
  readonly upsertions: Map<ScramMechanism, StoredCredential>;
  error: { code: number; message: string } | null;
}

export function alterUserScramCredentialsHandler(
  storeOf: StoreOf = brokerStore,
): Handler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse> {
  return async (ctx, req) => {
    const store = storeOf(ctx);
    const changes = new Map<string, UserChange>();
    const change = (user: string): UserChange => {
      let c = changes.get(user);
      if (c === undefined) {
        c = { deletions: [], upsertions: new Map(), error: null };
        changes.set(user, c);
      }
      return c;
    };
    const fail = (c: UserChange, code: number, message: string) => {
      if (c.error === null) c.error = { code, message };
    };
    // A user/mechanism pair named twice (deleted and upserted, or upserted twice) is refused for that user.
    const seen = new Set<string>();
    const pairs = [
      ...req.deletions.map((d) => ({ name: d.name, mechanism: d.mechanism })),
      ...req.upsertions.map((u) => ({ name: u.name, mechanism: u.mechanism })),
    ];
    for (const p of pairs) {
      const key = `${p.mechanism}\0${p.name}`;
      change(p.name); // results in the order users first appear
      if (seen.has(key)) {
        fail(
          change(p.name),
          ErrorCode.DUPLICATE_RESOURCE,
          "A user credential cannot be altered twice in the same request",
        );
      }
      seen.add(key);
    }
    for (const d of req.deletions) {
      const c = change(d.name);
      const m = scramMechanismById(d.mechanism);
      if (d.name === "") fail(c, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
      else if (m === undefined) fail(c, ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
      else c.deletions.push(m);
    }
    for (const u of req.upsertions) {
      const c = change(u.name);
      const m = scramMechanismById(u.mechanism);
      if (u.name === "") fail(c, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Username must not be empty");
      else if (m === undefined) fail(c, ErrorCode.UNSUPPORTED_SASL_MECHANISM, "Unknown SCRAM mechanism");
      else if (u.iterations < MIN_ITERATIONS) {
        fail(c, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too few iterations");
      } else if (u.iterations > MAX_ITERATIONS) {
        fail(c, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Too many iterations");
      } else if (u.saltedPassword.length === 0) {
        // Kafka checks only the name, the mechanism and the iterations: a salted password of any other length
        // (kafka-go sends 18 bytes) is an HMAC key like any other. An empty one cannot be (Java's and WebCrypto's
        // HMAC refuse an empty key), so it is refused here rather than failing the request.
        fail(c, ErrorCode.UNACCEPTABLE_CREDENTIAL, "Salted password must not be empty");
      } else {
        const cred = await credentialFromSalted(m, u.saltedPassword, u.salt, u.iterations);
        c.upsertions.set(m, { ...cred, origin: "api" });
      }
    }
    if (store === null) {
      return {
        results: [...changes.keys()].map((user) => ({ user, ...unavailable("no credential store") })),
      };
    }
    const outcome = await store.update((users) => {
      const out = new Map<string, AlterResult>();
      for (const [user, c] of changes) {
        const cur = users.get(user);
        // Checked against the set read in this attempt (mutate runs again after a concurrent write).
        const error = c.error ?? (c.deletions.some((m) => cur?.get(m) === undefined)
          ? {
            code: ErrorCode.RESOURCE_NOT_FOUND,
            message: "Attempt to delete a user credential that does not exist",
          }
          : null);
        if (error !== null) {
          out.set(user, { user, errorCode: error.code, errorMessage: error.message });
          continue;
        }
        const next = new Map(cur ?? []);
        for (const m of c.deletions) next.delete(m);
        for (const [m, cred] of c.upsertions) next.set(m, cred);
        if (next.size === 0) users.delete(user);
        else users.set(user, next);
        out.set(user, { user, errorCode: ErrorCode.NONE, errorMessage: null });
      }
      return out;
    });
    const results = [...changes.keys()].map((user) => outcome.get(user)!);
    for (const r of results) {
      if (r.errorCode === ErrorCode.NONE) {
        ctx.log.info("SCRAM credentials of user {user} altered by {principal}", {
          user: r.user,
          principal: `${ctx.principal.type}:${ctx.principal.name}`,
        });
      }
    }
    return { results };
  };
}
