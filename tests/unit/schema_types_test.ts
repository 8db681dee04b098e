// Type-level tests of the message types inferred from the specs (src/protocol/schema.ts RequestOf/ResponseOf)
// and of the API table's handler and rule typing. They are checked by `deno check` / `deno test`: each
// `@ts-expect-error` line must be a type error, or the check fails.
import {
  type ApiSpec,
  arrayOf,
  defineApi,
  field,
  type RecordsValue,
  type RequestOf,
  type ResponseOf,
} from "../../src/protocol/schema.ts";
import { ApiRegistry } from "../../src/handlers/registry.ts";
import { ALLOW } from "../../src/request/authorize.ts";
import { produce as produceRule } from "../../src/security/acl/rules/topics.ts";
import type { Handler } from "../../src/request/context.ts";
import { type FetchRequest, type FetchResponse, FetchSpec } from "../../src/protocol/messages/fetch.ts";
import {
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartition,
  ProduceSpec,
} from "../../src/protocol/messages/produce.ts";
import type {
  OffsetFetchResponse,
  OffsetFetchResponseGroupPartition,
} from "../../src/protocol/messages/offset_fetch.ts";
import type { MetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { type HeartbeatResponse, HeartbeatSpec } from "../../src/protocol/messages/heartbeat.ts";
import { assertEquals } from "./assert.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Compiles only for `true`. */
function expectType<T extends true>(_ok?: T): void {}
type IsOptional<T, K extends keyof T> = Record<never, never> extends Pick<T, K> ? true : false;
type Elem<A> = NonNullable<A> extends readonly (infer E)[] ? E : never;

Deno.test("inferred types: required, optional, nullable", () => {
  // In every version of the API: required. Fetch v0-17: maxWaitMs "0+"; maxBytes "3+", topicId "13+",
  // replicaId "0-14" (absent at the top of the range) are optional.
  expectType<Equal<IsOptional<FetchRequest, "maxWaitMs">, false>>();
  expectType<Equal<IsOptional<FetchRequest, "maxBytes">, true>>();
  expectType<Equal<IsOptional<FetchRequest, "replicaId">, true>>();
  expectType<Equal<FetchRequest["maxBytes"], number | undefined>>();
  type FetchTopic = FetchRequest["topics"][number];
  expectType<Equal<IsOptional<FetchTopic, "topic">, true>>();
  expectType<Equal<IsOptional<FetchTopic, "topicId">, true>>();
  expectType<Equal<IsOptional<FetchTopic, "partitions">, false>>();
  // A single version ("1"): optional.
  type CommitPartition = RequestOf<typeof OffsetCommitLike>["topics"][number];
  expectType<Equal<IsOptional<CommitPartition, "commitTimestamp">, true>>();

  // Nullable in some versions: includes null; never nullable: does not.
  expectType<Equal<ProduceRequest["transactionalId"], string | null | undefined>>();
  expectType<Equal<MetadataRequest["topics"], { topicId?: string; name: string | null }[] | null>>();
  type FetchPartition = FetchResponse["responses"][number]["partitions"][number];
  expectType<
    Equal<
      FetchPartition["abortedTransactions"],
      { producerId: number; firstOffset: number }[] | null | undefined
    >
  >();
  expectType<Equal<ProduceResponsePartition["errorCode"], number>>();

  // Primitives: records are a view (or null) when decoded, one buffer or several when encoded.
  expectType<
    Equal<ProduceRequest["topicData"][number]["partitionData"][number]["records"], Uint8Array | null>
  >();
  expectType<Equal<FetchPartition["records"], RecordsValue>>();
  expectType<Equal<FetchRequest["topics"][number]["partitions"][number]["fetchOffset"], number>>();

  // Inside a struct, "in every version" means every version of the enclosing field: the shared
  // LeaderIdAndEpoch and NodeEndpoint have required fields wherever they appear; the struct field is optional.
  expectType<Equal<IsOptional<FetchPartition, "currentLeader">, true>>();
  expectType<
    Equal<NonNullable<FetchPartition["currentLeader"]>, { leaderId: number; leaderEpoch: number }>
  >();
  expectType<Equal<ProduceResponsePartition["currentLeader"], FetchPartition["currentLeader"]>>();
  expectType<
    Equal<
      Elem<FetchResponse["nodeEndpoints"]>,
      { nodeId: number; host: string; port: number; rack: string | null }
    >
  >();
  expectType<Equal<Elem<FetchResponse["nodeEndpoints"]>, Elem<ProduceResponse["nodeEndpoints"]>>>();
  // OffsetFetch: v8+ groups have a leader epoch in every version of theirs; v0-7 topics only from v5.
  expectType<Equal<IsOptional<OffsetFetchResponseGroupPartition, "committedLeaderEpoch">, false>>();
  type OldPartition = Elem<OffsetFetchResponse["topics"]>["partitions"][number];
  expectType<Equal<IsOptional<OldPartition, "committedLeaderEpoch">, true>>();

  // A spec seen only as ApiSpec has no literal fields: the untyped view.
  expectType<Equal<RequestOf<ApiSpec>, unknown>>();
  expectType<Equal<ResponseOf<ApiSpec>, unknown>>();
  assertEquals(OffsetCommitLike.request.length, 1);
});

/** A cut-down OffsetCommit, for a field that exists in one version only. */
const OffsetCommitLike = defineApi({
  key: 8,
  name: "OffsetCommitLike",
  minVersion: 0,
  maxVersion: 9,
  flexibleFrom: 8,
  request: [
    field(
      "topics",
      arrayOf([
        field("name", "string"),
        field("commitTimestamp", "int64", "1", { default: -1 }),
      ]),
    ),
  ],
  response: [],
});

const produce: Handler<ProduceRequest, ProduceResponse> = (_ctx, req) => ({
  responses: req.topicData.map((t) => ({
    name: t.name,
    partitionResponses: t.partitionData.map((p) => ({ index: p.index, errorCode: 0, baseOffset: -1 })),
  })),
});

Deno.test("the API table types handlers from the spec", () => {
  const r = new ApiRegistry();
  r.register(ProduceSpec, produce, ALLOW);
  r.register(HeartbeatSpec, (_ctx, req) => ({ errorCode: req.generationId < 0 ? 22 : 0 }), ALLOW);
  assertEquals(r.versions().map((v) => v.apiKey), [ProduceSpec.key, HeartbeatSpec.key]);
});

/** Never called (registering twice throws): each line below must fail to type-check. */
export function mismatchedHandlers(other: ApiRegistry): HeartbeatResponse {
  // @ts-expect-error a Produce handler is not a Fetch handler
  other.register(FetchSpec, produce, ALLOW);
  // @ts-expect-error a required response field is missing (Heartbeat's errorCode)
  other.register(HeartbeatSpec, () => ({ throttleTimeMs: 0 }), ALLOW);
  // @ts-expect-error a response field of the wrong type
  other.register(HeartbeatSpec, () => ({ errorCode: "none" }), ALLOW);
  // @ts-expect-error a misspelled field (errorCode missing)
  other.register(HeartbeatSpec, () => ({ errorcode: 0 }), ALLOW);
  // @ts-expect-error null in a field that is never nullable (Produce topic name)
  other.register(ProduceSpec, () => ({ responses: [{ name: null, partitionResponses: [] }] }), ALLOW);
  other.register(HeartbeatSpec, (_ctx, req) => ({
    // @ts-expect-error a request field that does not exist
    errorCode: req.memberEpoch,
  }), ALLOW);
  other.register(FetchSpec, (_ctx, req) => ({
    // @ts-expect-error an optional (v3+) request field read as if always present
    throttleTimeMs: Math.max(0, req.maxBytes),
    responses: [],
  }), ALLOW);
  // Returned literals are not checked for excess properties (TypeScript's rule for inferred return types);
  // annotated objects are.
  // @ts-expect-error a field Heartbeat's response does not have
  const extra: HeartbeatResponse = { errorCode: 0, errorMessage: null };
  return extra;
}

/** Never called: an API's authorization rule is a required part of its registration, typed by the same spec. */
export function mismatchedRules(other: ApiRegistry): void {
  const heartbeat = () => ({ errorCode: 0 });
  // @ts-expect-error no rule: an API cannot be registered without one (ALLOW must be written out)
  other.register(HeartbeatSpec, heartbeat);
  // @ts-expect-error a Produce rule is not a Heartbeat rule
  other.register(HeartbeatSpec, heartbeat, produceRule);
  other.register(HeartbeatSpec, heartbeat, (_p, _ctx, req) =>
    // @ts-expect-error a request field that Heartbeat does not have
    req.topicData.length > 0 ? ALLOW : ALLOW);
  // @ts-expect-error a narrowed request must keep the API's request type
  other.register(HeartbeatSpec, heartbeat, (_p, _ctx, req) => ({
    kind: "narrow",
    request: { ...req, generationId: "1" },
  }));
  // @ts-expect-error a completed answer must keep the API's response type
  other.register(HeartbeatSpec, heartbeat, (_p, _ctx, req) => ({
    kind: "narrow",
    request: req,
    complete: (res) => ({ ...res, errorCode: null }),
  }));
}
