// Broker-side schema validation, as Confluent Server does it: a topic with confluent.value.schema.validation=true
// (or .key.) accepts a record only when its value (key) is in Confluent's wire format — magic byte 0, a 4-byte
// big-endian schema id, the payload — and the id is registered under the record's subject, named by the topic's
// subject-name strategy: TopicNameStrategy "<topic>-value", RecordNameStrategy "<record name>",
// TopicRecordNameStrategy "<topic>-<record name>" (the record name: Avro's named type, Protobuf's first message,
// JSON Schema's title). A batch holding a refused record is refused whole with INVALID_RECORD and one record error
// per refused record (Produce v8+ record_errors), as Kafka refuses a batch. Null keys and values (tombstones) pass.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";

export const SUBJECT_NAME_STRATEGIES = [
  "TopicNameStrategy",
  "RecordNameStrategy",
  "TopicRecordNameStrategy",
] as const;
export type SubjectNameStrategy = typeof SUBJECT_NAME_STRATEGIES[number];
/** Confluent's class names for the strategies (the topic configs hold them). */
export const STRATEGY_PACKAGE = "io.confluent.kafka.serializers.subject.";

/** A topic's validation: per side, the subject-name strategy, or null when that side is not validated. */
export interface SchemaValidationPolicy {
  readonly key: SubjectNameStrategy | null;
  readonly value: SubjectNameStrategy | null;
}

/** The strategy a topic config value names (the class name or its short form); null when none of them. */
export function parseStrategy(value: string): SubjectNameStrategy | null {
  const short = value.startsWith(STRATEGY_PACKAGE) ? value.slice(STRATEGY_PACKAGE.length) : value;
  return (SUBJECT_NAME_STRATEGIES as readonly string[]).includes(short) ? short as SubjectNameStrategy : null;
}

/** What validation needs of the registry: in-memory lookups, and a re-read for ids another gateway just gave. */
export interface SchemaLookup {
  /** The record name of schema `id` (for the record strategies), "" when it has none; undefined: unknown id. */
  recordName(id: number): string | undefined;
  /** Whether a live version of `subject` holds schema `id`. */
  holds(subject: string, id: number): boolean;
  refresh(): Promise<void>;
}

/** One refused record: its index in the partition's records and why (Produce's record_errors). */
export interface RecordError {
  readonly batchIndex: number;
  readonly batchIndexErrorMessage: string | null;
}

/** INVALID_RECORD carrying the per-record errors the Produce response lists. */
export class InvalidRecordsError extends KafkaError {
  constructor(message: string, readonly recordErrors: readonly RecordError[]) {
    super(ErrorCode.INVALID_RECORD, message);
  }
}

/** The subject a record with schema `id` must be registered under; undefined when the id is unknown. */
function subjectOf(
  lookup: SchemaLookup,
  strategy: SubjectNameStrategy,
  topic: string,
  side: "key" | "value",
  id: number,
): string | undefined {
  if (strategy === "TopicNameStrategy") {
    return lookup.recordName(id) === undefined ? undefined : `${topic}-${side}`;
  }
  const name = lookup.recordName(id);
  if (name === undefined) return undefined;
  return strategy === "RecordNameStrategy" ? name : `${topic}-${name}`;
}

/** Why `bytes` may not be written to `topic`'s `side`, or null when it may. */
function problem(
  lookup: SchemaLookup,
  strategy: SubjectNameStrategy,
  topic: string,
  side: "key" | "value",
  bytes: Uint8Array,
): string | null {
  if (bytes.length < 5 || bytes[0] !== 0) {
    return `the ${side} is not in Confluent's wire format (magic byte 0 and a schema id)`;
  }
  const id = ((bytes[1] << 24) | (bytes[2] << 16) | (bytes[3] << 8) | bytes[4]) >>> 0;
  const subject = subjectOf(lookup, strategy, topic, side, id);
  if (subject === undefined) return `the ${side}'s schema id ${id} is not registered`;
  if (strategy !== "TopicNameStrategy" && lookup.recordName(id) === "") {
    return `the ${side}'s schema ${id} has no record name for ${strategy}`;
  }
  if (!lookup.holds(subject, id)) {
    return `the ${side}'s schema id ${id} is not registered under subject ${subject}`;
  }
  return null;
}

interface RecordView {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
}

/**
 * Checks every record against the topic's policy; throws InvalidRecordsError naming each refused record. A schema id
 * unknown here is looked for once more after re-reading the registry (another gateway may have just given it).
 */
export async function validateRecords(
  lookup: SchemaLookup | null,
  policy: SchemaValidationPolicy,
  topic: string,
  records: readonly RecordView[],
): Promise<void> {
  if (lookup === null) {
    throw new InvalidRecordsError(
      `topic ${topic} asks for schema validation, and this gateway has no schema registry ` +
        "(--schema-registry-listen or --schema-registry-url)",
      [],
    );
  }
  const check = () => {
    const errors: RecordError[] = [];
    records.forEach((r, i) => {
      for (const side of ["key", "value"] as const) {
        const strategy = policy[side];
        const bytes = r[side];
        if (strategy === null || bytes === null) continue;
        const why = problem(lookup, strategy, topic, side, bytes);
        if (why !== null) {
          errors.push({ batchIndex: i, batchIndexErrorMessage: why });
          break;
        }
      }
    });
    return errors;
  };
  let errors = check();
  if (errors.some((e) => e.batchIndexErrorMessage?.includes("not registered"))) {
    await lookup.refresh();
    errors = check();
  }
  if (errors.length > 0) {
    throw new InvalidRecordsError(
      `${errors.length} record(s) refused by topic ${topic}'s schema validation: ${
        errors[0].batchIndexErrorMessage
      }`,
      errors,
    );
  }
}
