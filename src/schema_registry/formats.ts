// The schema formats the registry accepts, by type.
import { AVRO_FORMAT } from "./avro.ts";
import { JSON_FORMAT } from "./json_schema.ts";
import { PROTOBUF_FORMAT } from "./protobuf.ts";
import type { SchemaFormat, SchemaType } from "./schema_types.ts";

export const FORMATS: ReadonlyMap<SchemaType, SchemaFormat> = new Map<SchemaType, SchemaFormat>([
  ["AVRO", AVRO_FORMAT],
  ["PROTOBUF", PROTOBUF_FORMAT],
  ["JSON", JSON_FORMAT],
]);
