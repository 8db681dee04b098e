// Which topics the SeaweedMQ backend stores typed, and how (storage/seaweedmq/topic/record_schema.ts): a topic
// whose value subject under TopicNameStrategy ("<topic>-value") holds live schemas, in the built-in registry or in
// an external one (--schema-registry-url). Its record type is the union of those versions' record types (fields
// added by evolution kept, types widened: record_type.ts mergeRecordTypes), its format the latest version's; each
// value is typed with the schema its own id names (the writer's). Topics whose name starts with "_" (internal,
// `_schemas`) and schemas whose top level is not a record stay untyped.
//
// Built-in registry: answered from memory, recomputed after a registry change. External registry: fetched over its
// REST API when a topic is first appended to (that append waits for it), then re-read in the background every
// EXTERNAL_TTL_MS while the cached answer keeps serving; a registry that does not answer leaves the topic untyped
// for EXTERNAL_RETRY_MS (records stay byte-exact for Kafka clients; only their typed form is missing) and is logged.
import type { Logger } from "../log.ts";
import type { TopicTyping, TopicTypings } from "../storage/seaweedmq/topic/record_schema.ts";
import type { ExternalSchemaLookup } from "./external.ts";
import {
  encodeRecordType,
  mergeRecordTypes,
  type RecordType,
  recordTypeOf,
  valueTyper,
} from "./record_type.ts";
import type { SchemaRegistry } from "./registry.ts";
import type { ParsedSchema, SchemaType } from "./schema_types.ts";

/** ConfigureTopic's schema_format for a registry schema type. */
const SCHEMA_FORMAT: Record<SchemaType, string> = { AVRO: "AVRO", PROTOBUF: "PROTOBUF", JSON: "JSON_SCHEMA" };

const EXTERNAL_TTL_MS = 30_000;
const EXTERNAL_RETRY_MS = 5_000;

type Versions = readonly { readonly id: number; readonly schema: ParsedSchema }[];

/** The typing of a topic whose value subject holds `versions` (oldest first); null when none is a record. */
function typingOf(
  versions: Versions,
  schemaById: (id: number) => ParsedSchema | undefined,
): TopicTyping | null {
  if (versions.length === 0) return null;
  let merged: RecordType | null = null;
  for (const v of versions) {
    let t: RecordType;
    try {
      t = recordTypeOf(v.schema);
    } catch {
      continue; // not a record at its top level: that version adds no columns
    }
    merged = merged === null ? t : mergeRecordTypes(merged, t);
  }
  if (merged === null || merged.fields.length === 0) return null;
  return {
    recordType: encodeRecordType(merged),
    schemaFormat: SCHEMA_FORMAT[versions.at(-1)!.schema.type],
    typeValue: valueTyper(merged, schemaById),
  };
}

/** Typings from the built-in registry. */
export function topicTypings(registry: SchemaRegistry): TopicTypings {
  let revision: object | null = null;
  const cache = new Map<string, TopicTyping | null>();
  return (topic: string) => {
    if (topic.startsWith("_")) return null;
    if (registry.revision !== revision) {
      revision = registry.revision;
      cache.clear();
    }
    let typing = cache.get(topic);
    if (typing === undefined) {
      typing = typingOf(registry.liveSchemas(`${topic}-value`), (id) => registry.schemaById(id));
      cache.set(topic, typing);
    }
    return typing;
  };
}

interface Cached {
  typing: TopicTyping | null;
  /** When to re-read. */
  until: number;
  loading: Promise<TopicTyping | null> | null;
}

/** Typings from an external registry (--schema-registry-url). */
export function externalTopicTypings(
  lookup: ExternalSchemaLookup,
  log: Logger,
  now: () => number = Date.now,
): TopicTypings {
  const cache = new Map<string, Cached>();
  const load = (topic: string, entry: Cached): Promise<TopicTyping | null> => {
    entry.loading ??= lookup.liveSchemas(`${topic}-value`).then(
      (versions) => {
        entry.typing = typingOf(versions, (id) => lookup.schemaById(id));
        entry.until = now() + EXTERNAL_TTL_MS;
        return entry.typing;
      },
      (e) => {
        entry.until = now() + EXTERNAL_RETRY_MS;
        log.warn(
          "schematized storage of topic {topic}: the schema registry did not answer ({reason}); " +
            "records are stored untyped until it does",
          { topic, reason: (e as Error).message },
        );
        return entry.typing;
      },
    ).finally(() => entry.loading = null);
    return entry.loading;
  };
  return (topic: string) => {
    if (topic.startsWith("_")) return null;
    let entry = cache.get(topic);
    if (entry === undefined) {
      entry = { typing: null, until: 0, loading: null };
      cache.set(topic, entry);
      return load(topic, entry); // the first append of a topic waits for its answer
    }
    if (entry.until <= now() && entry.loading === null) void load(topic, entry); // the cached one serves meanwhile
    return entry.loading !== null && entry.until === 0 ? entry.loading : entry.typing;
  };
}
