// DescribeLogDirs (key 35), versions 0-4, flexible from v2 (Kafka 3.9 DescribeLogDirsRequest/Response.json).
// v1 is v0; v3 adds the top-level ErrorCode; v4 adds TotalBytes and UsableBytes of the volume.
import { ApiKey } from "../api_keys.ts";
import { type ApiSpec, arrayOf, field } from "../schema.ts";

export interface DescribableLogDirTopic {
  topic: string;
  partitions: number[];
}

export interface DescribeLogDirsRequest {
  /** Null = every topic. */
  topics: DescribableLogDirTopic[] | null;
}

export interface DescribeLogDirsPartition {
  partitionIndex: number;
  /** Bytes of the partition's log segments. */
  partitionSize: number;
  /** LEO minus HW of the current log (0 on a single node). */
  offsetLag: number;
  isFutureKey: boolean;
}

export interface DescribeLogDirsTopic {
  name: string;
  partitions: DescribeLogDirsPartition[];
}

export interface DescribeLogDirsResult {
  errorCode: number;
  /** Absolute path of the log directory. */
  logDir: string;
  topics: DescribeLogDirsTopic[];
  /** v4+: volume size in bytes, -1 when unknown. */
  totalBytes: number;
  /** v4+: usable bytes of the volume, -1 when unknown. */
  usableBytes: number;
}

export interface DescribeLogDirsResponse {
  throttleTimeMs: number;
  /** v3+. */
  errorCode: number;
  results: DescribeLogDirsResult[];
}

export const DescribeLogDirsSpec: ApiSpec = {
  key: ApiKey.DescribeLogDirs,
  name: "DescribeLogDirs",
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 2,
  request: [
    field(
      "topics",
      arrayOf([
        field("topic", "string"),
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
        field("logDir", "string"),
        field(
          "topics",
          arrayOf([
            field("name", "string"),
            field(
              "partitions",
              arrayOf([
                field("partitionIndex", "int32"),
                field("partitionSize", "int64"),
                field("offsetLag", "int64"),
                field("isFutureKey", "bool"),
              ]),
            ),
          ]),
        ),
        field("totalBytes", "int64", "4+", { default: -1 }),
        field("usableBytes", "int64", "4+", { default: -1 }),
      ]),
    ),
  ],
};
