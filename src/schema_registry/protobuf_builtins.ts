// The imports a Protobuf schema may make without a reference: google/protobuf's well-known files, as protobufjs
// ships them, and Confluent's own small files (confluent/meta.proto, confluent/type/decimal.proto, a few
// google/type files), written out here, so that nothing is ever read from disk.
import protobuf from "protobufjs";
import descriptorModule from "protobufjs/ext/descriptor/index.js";

/** Confluent's and google/type's small files Confluent's registry resolves without references. */
export const BUILT_IN_TEXTS: Readonly<Record<string, string>> = {
  "confluent/meta.proto": `syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
option java_package = "io.confluent.protobuf";
option java_outer_classname = "MetaProto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
  repeated string tags = 3;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`,
  "confluent/type/decimal.proto": `syntax = "proto3";
package confluent.type;
message Decimal { bytes value = 1; int32 scale = 2; }
`,
  "google/type/date.proto": `syntax = "proto3";
package google.type;
message Date { int32 year = 1; int32 month = 2; int32 day = 3; }
`,
  "google/type/timeofday.proto": `syntax = "proto3";
package google.type;
message TimeOfDay { int32 hours = 1; int32 minutes = 2; int32 seconds = 3; int32 nanos = 4; }
`,
  "google/type/money.proto": `syntax = "proto3";
package google.type;
message Money { string currency_code = 1; int64 units = 2; int32 nanos = 3; }
`,
  "google/type/latlng.proto": `syntax = "proto3";
package google.type;
message LatLng { double latitude = 1; double longitude = 2; }
`,
  "google/type/dayofweek.proto": `syntax = "proto3";
package google.type;
enum DayOfWeek {
  DAY_OF_WEEK_UNSPECIFIED = 0; MONDAY = 1; TUESDAY = 2; WEDNESDAY = 3; THURSDAY = 4; FRIDAY = 5; SATURDAY = 6;
  SUNDAY = 7;
}
`,
};

type NestedJson = Record<string, protobuf.AnyNestedObject>;
const common = (protobuf as unknown as { common: { get(path: string): { nested?: NestedJson } | null } })
  .common;
const descriptorNamespace = descriptorModule as unknown as protobuf.Namespace;

/** google/protobuf's files as protobufjs ships them (descriptor.proto from its descriptor extension). */
export function wellKnownJson(path: string): NestedJson | null {
  if (path === "google/protobuf/descriptor.proto") {
    return { google: { nested: { protobuf: descriptorNamespace.toJSON() } } };
  }
  return common.get(path)?.nested ?? null;
}
