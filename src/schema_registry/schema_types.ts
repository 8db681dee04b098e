// The seam between the schema registry (registry.ts: subjects, versions, ids, compatibility levels) and the schema
// formats it accepts (avro.ts, protobuf.ts, json_schema.ts). A format parses a schema text with the texts of the
// schemas it references, gives the canonical text the registry stores and answers (and a normalized one for
// `normalize=true`), and says why a reader schema cannot read data written with a writer schema.

export const SCHEMA_TYPES = ["AVRO", "PROTOBUF", "JSON"] as const;
export type SchemaType = typeof SCHEMA_TYPES[number];

/** A reference as registered: the name the referring schema uses, and the subject/version holding it. */
export interface SchemaReference {
  readonly name: string;
  readonly subject: string;
  readonly version: number;
}

/** A referenced schema with its own references, resolved by the registry before parsing. */
export interface ResolvedReference {
  /** The name the referring schema uses (Avro: a full type name; Protobuf: an import path; JSON: a $ref URL). */
  readonly name: string;
  readonly schema: string;
  readonly references: readonly ResolvedReference[];
}

export interface SchemaInput {
  readonly schema: string;
  readonly references: readonly ResolvedReference[];
}

export interface ParsedSchema {
  readonly type: SchemaType;
  /** The text stored and answered (Confluent's canonical string: whitespace-free JSON for AVRO and JSON). */
  readonly canonical: string;
  /** The text `normalize=true` stores: equal for schemas that differ only in ways that cannot matter. */
  normalized(): string;
}

/** A schema text a format refuses; the message is answered with error code 42201. */
export class InvalidSchemaError extends Error {}

export interface SchemaFormat {
  readonly type: SchemaType;
  /** Throws InvalidSchemaError naming what is wrong. */
  parse(input: SchemaInput): ParsedSchema;
  /**
   * Why data written with `writer` cannot be read with `reader` (one message per problem); [] when it can.
   * BACKWARD checks (reader = new, writer = each old), FORWARD the other way round, FULL both.
   */
  incompatibilities(reader: ParsedSchema, writer: ParsedSchema): string[];
  /** The name RecordNameStrategy uses: Avro's named type, Protobuf's first message, JSON's title ("" if none). */
  recordName(schema: ParsedSchema): string;
  /** The schema in another output form (`?format=`), or null: the stored text (Protobuf: "serialized"). */
  render?(schema: ParsedSchema, format: string): string | null;
}
