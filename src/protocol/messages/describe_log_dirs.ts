// DescribeLogDirs (key 35), versions 0-4, flexible from v2 (Kafka 3.9 DescribeLogDirsRequest/Response.json).
// v1 is v0; v3 adds the top-level ErrorCode; v4 adds TotalBytes and UsableBytes of the volume.
import { ApiKey } from "../api_keys.ts";
import { arrayOf, defineApi, field, type RequestOf, type ResponseOf } from "../schema.ts";

export const DescribeLogDirsSpec = defineApi({
  key: ApiKey.DescribeLogDirs,
  name: "DescribeLogDirs",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 2,
  request: [
    // Null = every topic.
    field(
      "topics",
      arrayOf([
        field("topic", "string", "0+", { mapKey: true }),
        field("partitions", arrayOf("int32")),
      ]),
      "0+",
      { nullable: "0+" },
    ),
  ],
  response: [
    field("throttleTimeMs", "int32"),
    field("errorCode", "int16", "3+"),
    field(
      "results",
      arrayOf([
        field("errorCode", "int16"),
        // Absolute path of the log directory.
        field("logDir", "string"),
        field(
          "topics",
          arrayOf([
            field("name", "string"),
            field(
              "partitions",
              arrayOf([
                field("partitionIndex", "int32"),
                // Bytes of the partition's log segments.
                field("partitionSize", "int64"),
                // LEO minus HW of the current log (0 on a single node).
                field("offsetLag", "int64"),
                field("isFutureKey", "bool"),
              ]),
            ),
          ]),
        ),
        // Volume size and usable bytes, -1 when unknown.
        field("totalBytes", "int64", "4+", { default: -1 }),
        field("usableBytes", "int64", "4+", { default: -1 }),
      ]),
    ),
  ],
});

export type DescribeLogDirsRequest = RequestOf<typeof DescribeLogDirsSpec>;
export type DescribeLogDirsResponse = ResponseOf<typeof DescribeLogDirsSpec>;
export type DescribeLogDirsTopic = DescribeLogDirsResponse["results"][number]["topics"][number];
export type DescribeLogDirsPartition = DescribeLogDirsTopic["partitions"][number];
