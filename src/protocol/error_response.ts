// The response to a refused request, built from the API's schema for any API and version (Kafka's
// AbstractRequest.getErrorResponse, which each Kafka request class writes by hand). The error goes to the
// highest level that has an errorCode at that version: the top level when there is one (JoinGroup, Fetch v7+);
// otherwise the response lists the request's resources, each with the error (Produce: every partition of every
// topic; Metadata, CreateTopics: every topic). A response list is matched to the request list that shares its
// identifying fields: those Kafka's JSON marks mapKey (Field.mapKey, held to Kafka's by the spec check), and, for
// the lists it marks none in (a partition index in most, OffsetCommit's topics, a topic id beside a mapKey name),
// the fields named as identities (topic name or id, partition index, group id, resource name): request and response
// schemas name them alike, give or take topic/name/topicName and partition/partitionIndex/index.
import { type ApiSpec, defaults, type Field, type FieldType, inRange, type StructType } from "./schema.ts";

type Obj = Record<string, unknown>;

const TOPIC_NAMES: ReadonlySet<string> = new Set(["name", "topic", "topicName"]);
const PARTITION_NAMES: ReadonlySet<string> = new Set(["partitionIndex", "partition", "index"]);
/** Fields that say which resource an entry is about (copied from the request entry to the response entry). */
const IDENTITY: ReadonlySet<string> = new Set([
  ...TOPIC_NAMES,
  ...PARTITION_NAMES,
  "topicId",
  "groupId",
  "key",
  "resourceType",
  "resourceName",
  "transactionalId",
]);
/**
 * Inside lists, a producer id identifies an entry too (WriteTxnMarkers: one marker per producer). Not at the top
 * level: a refused InitProducerId answers NO_PRODUCER_ID, not the id the request named.
 */
const LIST_IDENTITY: ReadonlySet<string> = new Set([...IDENTITY, "producerId"]);
/** Error code fields: errorCode, and AddPartitionsToTxn v0-3's per-partition partitionErrorCode. */
const ERROR_FIELDS: ReadonlySet<string> = new Set(["errorCode", "partitionErrorCode"]);

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function structOf(t: FieldType): StructType | null {
  return typeof t !== "string" && t.kind === "array" && typeof t.of !== "string" ? t.of : null;
}

/** Whether `f` says which resource its entry is about: Kafka's mapKey, or one of the identity names. */
function identifies(f: Field, names: ReadonlySet<string>): boolean {
  return f.mapKey === true || names.has(f.name);
}

function present(fields: readonly Field[], v: number): Field[] {
  return fields.filter((f) => inRange(f.versions, v));
}

/** The request field holding the same identity as response field `name`, allowing Kafka's naming variants. */
function counterpart(name: string, req: readonly Field[]): Field | undefined {
  const same = req.find((f) => f.name === name);
  if (same) return same;
  const group = TOPIC_NAMES.has(name) ? TOPIC_NAMES : PARTITION_NAMES.has(name) ? PARTITION_NAMES : null;
  return group === null ? undefined : req.find((f) => group.has(f.name));
}

/** Whether an entry of `fields` carries an error code at `v`, itself or in a list below it. */
function carriesError(fields: readonly Field[], v: number): boolean {
  return present(fields, v).some((f) => {
    if (ERROR_FIELDS.has(f.name)) return true;
    const s = structOf(f.type);
    return s !== null && carriesError(s.fields, v);
  });
}

/** How well request list `q` matches a response list with entries `entry` (0: not at all). */
function matchScore(entry: readonly Field[], q: Field, v: number): number {
  if (typeof q.type === "string" || q.type.kind !== "array") return 0;
  const of = q.type.of;
  const ids = present(entry, v).filter((f) => identifies(f, LIST_IDENTITY) && typeof f.type === "string");
  if (typeof of === "string") return ids.some((f) => f.type === of) ? 1 : 0;
  const reqFields = present(of.fields, v);
  return ids.filter((f) => counterpart(f.name, reqFields)?.type === f.type).length;
}

interface Refusal {
  readonly version: number;
  readonly code: number;
  readonly message: string | undefined;
}

/**
 * A response struct for request struct `reqValue` (null when there is none to mirror); `inList`: an entry of a
 * list, not the response itself.
 */
function fill(
  res: readonly Field[],
  req: readonly Field[],
  reqValue: Obj | null,
  x: Refusal,
  inList = true,
): Obj {
  const v = x.version;
  const out = defaults(res, v);
  const fields = present(res, v);
  const reqFields = present(req, v);
  const ownError = fields.some((f) => ERROR_FIELDS.has(f.name));
  const identity = inList ? LIST_IDENTITY : IDENTITY;
  for (const f of fields) {
    if (ERROR_FIELDS.has(f.name)) out[f.name] = x.code;
    // Kafka answers a refused Fetch partition with empty records (MemoryRecords.EMPTY), never null: librdkafka
    // 2.x fails to parse a null record set ("invalid MessageSetSize -1") and never sees the error code.
    else if (f.type === "records") out[f.name] = new Uint8Array(0);
    else if (f.name === "errorMessage" && x.message !== undefined) out.errorMessage = x.message;
    else if (typeof f.type === "string") {
      if (reqValue === null || !identifies(f, identity)) continue;
      const q = counterpart(f.name, reqFields);
      if (q !== undefined && q.type === f.type && reqValue[q.name] !== undefined) {
        out[f.name] = reqValue[q.name];
      }
    } else if (!ownError && reqValue !== null) {
      const s = structOf(f.type);
      if (s !== null && carriesError(s.fields, v)) out[f.name] = mirror(s.fields, reqFields, reqValue, x);
    }
  }
  return out;
}

/** One response entry per entry of the best-matching request list (none when no request list matches). */
function mirror(entry: readonly Field[], req: readonly Field[], reqValue: Obj, x: Refusal): Obj[] {
  let best: Field | undefined;
  let bestScore = 0;
  for (const q of req) {
    const score = matchScore(entry, q, x.version);
    if (score > bestScore) [best, bestScore] = [q, score];
  }
  const list = best === undefined ? undefined : reqValue[best.name];
  if (
    best === undefined || !Array.isArray(list) || typeof best.type === "string" || best.type.kind !== "array"
  ) {
    return []; // also a null request list ("all topics"): nothing named, nothing to list
  }
  const of = best.type.of;
  if (typeof of === "string") {
    // A list of names or indexes (DeleteTopics v0-5, DescribeGroups): the value is the entry's identity.
    const id = present(entry, x.version).find((f) => LIST_IDENTITY.has(f.name) && f.type === of);
    return list.map((value) => {
      const o = fill(entry, [], null, x);
      if (id !== undefined) o[id.name] = value;
      return o;
    });
  }
  return list.map((e) => fill(entry, of.fields, isObj(e) ? e : null, x));
}

/** The response refusing `request` (as decoded for `spec` v`version`) with `code`. */
export function errorResponse(
  spec: ApiSpec,
  version: number,
  request: unknown,
  code: number,
  message?: string,
): Obj {
  return fill(
    spec.response,
    spec.request,
    isObj(request) ? request : null,
    { version, code, message },
    false,
  );
}
