// `_schemas` on the embedded backend: the registry's state shown as Confluent Schema Registry's compacted Kafka
// store, so tools that read that topic (backups, mirrors, kcat dumps) find its records in Confluent's key/value
// format. The state document (state.ts) stays the one source of truth; the topic is derived from it
// (src/internal_topics/derived_topic.ts): every change appended as the records that differ, the whole partition
// compared with the state at start. Keys and values are Confluent's JSON:
//   {"keytype":"SCHEMA","subject":S,"version":V,"magic":1} → {"subject","version","id","schemaType"?,
//     "references"?,"schema","deleted"} (deleted: soft-deleted; a permanent delete leaves a tombstone)
//   {"keytype":"CONFIG","subject":S|null,"magic":0} → {"compatibilityLevel":L}
//   {"keytype":"MODE","subject":S|null,"magic":0} → {"mode":M}
// On SeaweedMQ the registry lives in the filer, shared by the gateways, and no such topic is kept.
import type { Logger } from "../log.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { Storage, TopicMeta } from "../storage/storage.ts";
import {
  type DerivedRecord,
  DerivedTopic,
  keyString,
  type LiveEntry,
  sameBytes,
} from "../internal_topics/derived_topic.ts";
import type { RegistryState } from "./state.ts";

export const SCHEMAS_TOPIC = "_schemas";
const OWNER = "schema-registry";
const DONE = Promise.resolve();
const encoder = new TextEncoder();

function record(key: unknown, value: unknown, timestamp: number): DerivedRecord {
  return {
    key: encoder.encode(JSON.stringify(key)),
    value: encoder.encode(JSON.stringify(value)),
    timestamp,
  };
}

/** Every record the state shows, one per key. */
export function schemaRecords(s: RegistryState, timestamp = Date.now()): DerivedRecord[] {
  const out: DerivedRecord[] = [];
  for (const [subject, versions] of s.subjects) {
    for (const v of versions) {
      const schema = s.schemas.get(v.id);
      if (schema === undefined) continue;
      out.push(record(
        { keytype: "SCHEMA", subject, version: v.version, magic: 1 },
        {
          subject,
          version: v.version,
          id: v.id,
          ...(schema.type === "AVRO" ? {} : { schemaType: schema.type }),
          ...(schema.references.length > 0 ? { references: schema.references } : {}),
          schema: schema.schema,
          deleted: v.deleted,
        },
        timestamp,
      ));
    }
  }
  out.push(
    record(
      { keytype: "CONFIG", subject: null, magic: 0 },
      { compatibilityLevel: s.compatibility },
      timestamp,
    ),
  );
  for (const [subject, level] of s.subjectCompatibility) {
    out.push(record({ keytype: "CONFIG", subject, magic: 0 }, { compatibilityLevel: level }, timestamp));
  }
  out.push(record({ keytype: "MODE", subject: null, magic: 0 }, { mode: s.mode }, timestamp));
  for (const [subject, mode] of s.subjectModes) {
    out.push(record({ keytype: "MODE", subject, magic: 0 }, { mode }, timestamp));
  }
  return out;
}

/** The records that turn what the topic shows (`live`) into `next`: changed or new keys, tombstones for gone ones. */
export function schemaRecordsDiff(
  live: ReadonlyMap<string, LiveEntry>,
  next: readonly DerivedRecord[],
  timestamp = Date.now(),
): DerivedRecord[] {
  const out: DerivedRecord[] = [];
  const seen = new Set<string>();
  for (const r of next) {
    const k = keyString(r.key);
    seen.add(k);
    if (!sameBytes(live.get(k)?.record.value ?? null, r.value)) out.push(r);
  }
  for (const [k, e] of live) if (!seen.has(k)) out.push({ key: e.record.key, value: null, timestamp });
  return out;
}

export class SchemasTopic {
  private readonly topic: DerivedTopic;

  constructor(opts: { readonly storage: Storage; readonly cluster: ClusterView; readonly log: Logger }) {
    this.topic = new DerivedTopic({
      storage: opts.storage,
      cluster: opts.cluster,
      topic: SCHEMAS_TOPIC,
      partitions: 1,
      partitionsFlag: "the schema registry (its topic has 1 partition; delete _schemas to recreate it)",
      source: "the schema registry",
      log: opts.log,
    });
  }

  /** Creates the topic (compacted) when it does not exist yet. */
  open(): Promise<TopicMeta> {
    return this.topic.open();
  }

  /** The state as loaded at start: the partition is compared with it and what differs appended. */
  loaded(state: RegistryState): void {
    this.topic.loaded(
      [0],
      schemaRecords(state).map((r): [number, LiveEntry] => [0, { owner: OWNER, record: r }]),
    );
  }

  /** The state changed (a registration, a delete, a level or mode): the records that differ are appended. */
  changed(state: RegistryState): void {
    this.topic.after(0, OWNER, DONE, (live) => schemaRecordsDiff(live, schemaRecords(state)));
  }

  close(): Promise<void> {
    return this.topic.close();
  }
}
