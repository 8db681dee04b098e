// Admin message schema tests (CreatePartitions, DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
// DescribeLogDirs, DeleteRecords): hand-written byte vectors from the Kafka wire grammar, built with helpers
// independent of src/protocol/codec.ts, and encode/decode round trips for every version.
import { type ApiSpec } from "../../src/protocol/schema.ts";
import {
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
  CreatePartitionsSpec,
} from "../../src/protocol/messages/create_partitions.ts";
import {
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  DescribeConfigsSpec,
} from "../../src/protocol/messages/describe_configs.ts";
import {
  type AlterConfigsRequest,
  type AlterConfigsResponse,
  AlterConfigsSpec,
} from "../../src/protocol/messages/alter_configs.ts";
import {
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsSpec,
} from "../../src/protocol/messages/incremental_alter_configs.ts";
import {
  type DescribeLogDirsRequest,
  type DescribeLogDirsResponse,
  DescribeLogDirsSpec,
} from "../../src/protocol/messages/describe_log_dirs.ts";
import {
  type DeleteRecordsRequest,
  type DeleteRecordsResponse,
  DeleteRecordsSpec,
} from "../../src/protocol/messages/delete_records.ts";
import { assertEquals } from "./assert.ts";
import {
  arr,
  assertCoversSpec,
  bool,
  carr,
  cat,
  cstr,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  i16,
  i32,
  i64,
  i8,
  NO_TAGS,
  project,
  requestVector,
  responseVector,
  str,
  withUnknownTags,
} from "./wire_vectors.ts";

// ---------------------------------------------------------------------------------------------------------
// Independent wire-grammar byte builders.

// ---------------------------------------------------------------------------------------------------------
// Codec harness.

Deno.test("admin message specs: keys, version ranges and flexible thresholds", () => {
  const table = [
    [DeleteRecordsSpec, 21, 0, 2, 2],
    [DescribeConfigsSpec, 32, 0, 4, 4],
    [AlterConfigsSpec, 33, 0, 2, 2],
    [DescribeLogDirsSpec, 35, 0, 4, 2],
    [CreatePartitionsSpec, 37, 0, 3, 2],
    [IncrementalAlterConfigsSpec, 44, 0, 1, 1],
  ] as const;
  for (const [spec, key, min, max, flex] of table) {
    assertEquals(
      [spec.key, spec.minVersion, spec.maxVersion, spec.flexibleFrom],
      [key, min, max, flex],
      spec.name,
    );
  }
});

// ---------------------------------------------------------------------------------------------------------
// Hand-written vectors.

Deno.test("CreatePartitions v1 and v2 request bytes, v0 and v3 response bytes", () => {
  requestVector(
    CreatePartitionsSpec,
    1,
    cat(arr(1), str("t"), i32(3), arr(null), i32(30000), bool(true)),
    { topics: [{ name: "t", count: 3, assignments: null }], timeoutMs: 30000, validateOnly: true },
  );
  // deno-fmt-ignore
  const v2 = cat(
    carr(1),
    cstr("t"), i32(4), carr(1), carr(1), i32(1), NO_TAGS, NO_TAGS,
    i32(1000), bool(false), NO_TAGS,
  );
  requestVector(CreatePartitionsSpec, 2, v2, {
    topics: [{ name: "t", count: 4, assignments: [{ brokerIds: [1] }] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  const resp: CreatePartitionsResponse = {
    throttleTimeMs: 0,
    results: [
      { name: "a", errorCode: 0, errorMessage: null },
      { name: "b", errorCode: 37, errorMessage: "Topic already has 3 partitions." },
    ],
  };
  responseVector(
    CreatePartitionsSpec,
    0,
    cat(
      i32(0),
      arr(2),
      str("a"),
      i16(0),
      str(null),
      str("b"),
      i16(37),
      str("Topic already has 3 partitions."),
    ),
    resp,
  );
  // deno-fmt-ignore
  responseVector(CreatePartitionsSpec, 3, cat(
    i32(0), carr(2),
    cstr("a"), i16(0), cstr(null), NO_TAGS,
    cstr("b"), i16(37), cstr("Topic already has 3 partitions."), NO_TAGS,
    NO_TAGS,
  ), resp);
});

Deno.test("DescribeConfigs v0, v1 and v4 request bytes", () => {
  const req: DescribeConfigsRequest = {
    resources: [{ resourceType: 2, resourceName: "t", configurationKeys: null }],
    includeSynonyms: false,
    includeDocumentation: false,
  };
  requestVector(DescribeConfigsSpec, 0, cat(arr(1), i8(2), str("t"), arr(null)), req);
  requestVector(
    DescribeConfigsSpec,
    1,
    cat(arr(1), i8(4), str("1"), arr(1), str("num.partitions"), bool(true)),
    {
      ...req,
      resources: [{ resourceType: 4, resourceName: "1", configurationKeys: ["num.partitions"] }],
      includeSynonyms: true,
    },
  );
  requestVector(
    DescribeConfigsSpec,
    4,
    cat(carr(1), i8(2), cstr("t"), carr(null), NO_TAGS, bool(true), bool(true), NO_TAGS),
    { ...req, includeSynonyms: true, includeDocumentation: true },
  );
});

Deno.test("DescribeConfigs v0, v1 and v4 response bytes", () => {
  const entry = {
    name: "retention.ms",
    value: "1000",
    readOnly: false,
    isDefault: false,
    configSource: 1,
    isSensitive: false,
    synonyms: [{ name: "retention.ms", value: "1000", source: 1 }],
    configType: 5,
    documentation: "How long to keep data.",
  };
  const resp: DescribeConfigsResponse = {
    throttleTimeMs: 0,
    results: [{ errorCode: 0, errorMessage: null, resourceType: 2, resourceName: "t", configs: [entry] }],
  };
  // v0: IsDefault present; no source, synonyms, type or documentation.
  // deno-fmt-ignore
  const v0 = cat(
    i32(0), arr(1), i16(0), str(null), i8(2), str("t"),
    arr(1), str("retention.ms"), str("1000"), bool(false), bool(true), bool(false),
  );
  responseVector(DescribeConfigsSpec, 0, v0, {
    ...resp,
    results: [{
      ...resp.results[0],
      configs: [{
        ...entry,
        isDefault: true,
        configSource: -1,
        synonyms: [],
        configType: 0,
        documentation: null,
      }],
    }],
  });
  // deno-fmt-ignore
  const v1 = cat(
    i32(0), arr(1), i16(0), str(null), i8(2), str("t"),
    arr(1), str("retention.ms"), str("1000"), bool(false), i8(1), bool(false),
    arr(1), str("retention.ms"), str("1000"), i8(1),
  );
  responseVector(DescribeConfigsSpec, 1, v1, {
    ...resp,
    results: [{ ...resp.results[0], configs: [{ ...entry, configType: 0, documentation: null }] }],
  });
  // deno-fmt-ignore
  const v4 = cat(
    i32(0), carr(2),
    i16(0), cstr(null), i8(2), cstr("t"),
    carr(1), cstr("retention.ms"), cstr("1000"), bool(false), i8(1), bool(false),
    carr(1), cstr("retention.ms"), cstr("1000"), i8(1), NO_TAGS,
    i8(5), cstr("How long to keep data."), NO_TAGS,
    NO_TAGS,
    i16(3), cstr(null), i8(2), cstr("missing"), carr(0), NO_TAGS,
    NO_TAGS,
  );
  responseVector(DescribeConfigsSpec, 4, v4, {
    ...resp,
    results: [
      resp.results[0],
      { errorCode: 3, errorMessage: null, resourceType: 2, resourceName: "missing", configs: [] },
    ],
  });
});

Deno.test("AlterConfigs v0 and v2 bytes", () => {
  const req: AlterConfigsRequest = {
    resources: [{
      resourceType: 2,
      resourceName: "t",
      configs: [{ name: "retention.ms", value: "1000" }, { name: "cleanup.policy", value: null }],
    }],
    validateOnly: true,
  };
  // deno-fmt-ignore
  requestVector(AlterConfigsSpec, 0, cat(
    arr(1), i8(2), str("t"), arr(2), str("retention.ms"), str("1000"), str("cleanup.policy"), str(null),
    bool(true),
  ), req);
  // deno-fmt-ignore
  requestVector(AlterConfigsSpec, 2, cat(
    carr(1), i8(2), cstr("t"),
    carr(2), cstr("retention.ms"), cstr("1000"), NO_TAGS, cstr("cleanup.policy"), cstr(null), NO_TAGS,
    NO_TAGS,
    bool(true), NO_TAGS,
  ), req);
  const resp: AlterConfigsResponse = {
    throttleTimeMs: 5,
    responses: [{ errorCode: 40, errorMessage: "Invalid value", resourceType: 2, resourceName: "t" }],
  };
  responseVector(
    AlterConfigsSpec,
    1,
    cat(i32(5), arr(1), i16(40), str("Invalid value"), i8(2), str("t")),
    resp,
  );
  responseVector(
    AlterConfigsSpec,
    2,
    cat(i32(5), carr(1), i16(40), cstr("Invalid value"), i8(2), cstr("t"), NO_TAGS, NO_TAGS),
    resp,
  );
});

Deno.test("IncrementalAlterConfigs v0 and v1 bytes", () => {
  const req: IncrementalAlterConfigsRequest = {
    resources: [{
      resourceType: 4,
      resourceName: "",
      configs: [
        { name: "log.retention.ms", configOperation: 0, value: "1000" },
        { name: "log.cleanup.policy", configOperation: 1, value: null },
      ],
    }],
    validateOnly: false,
  };
  // deno-fmt-ignore
  requestVector(IncrementalAlterConfigsSpec, 0, cat(
    arr(1), i8(4), str(""),
    arr(2), str("log.retention.ms"), i8(0), str("1000"), str("log.cleanup.policy"), i8(1), str(null),
    bool(false),
  ), req);
  // deno-fmt-ignore
  requestVector(IncrementalAlterConfigsSpec, 1, cat(
    carr(1), i8(4), cstr(""),
    carr(2), cstr("log.retention.ms"), i8(0), cstr("1000"), NO_TAGS,
    cstr("log.cleanup.policy"), i8(1), cstr(null), NO_TAGS,
    NO_TAGS,
    bool(false), NO_TAGS,
  ), req);
  const resp: IncrementalAlterConfigsResponse = {
    throttleTimeMs: 0,
    responses: [{ errorCode: 0, errorMessage: null, resourceType: 4, resourceName: "" }],
  };
  responseVector(
    IncrementalAlterConfigsSpec,
    0,
    cat(i32(0), arr(1), i16(0), str(null), i8(4), str("")),
    resp,
  );
  responseVector(
    IncrementalAlterConfigsSpec,
    1,
    cat(i32(0), carr(1), i16(0), cstr(null), i8(4), cstr(""), NO_TAGS, NO_TAGS),
    resp,
  );
});

Deno.test("DescribeLogDirs v0 request, v1 and v4 response bytes", () => {
  requestVector(DescribeLogDirsSpec, 0, cat(arr(null)), { topics: null });
  requestVector(
    DescribeLogDirsSpec,
    2,
    cat(carr(1), cstr("t"), carr(2), i32(0), i32(1), NO_TAGS, NO_TAGS),
    { topics: [{ topic: "t", partitions: [0, 1] }] },
  );
  const resp: DescribeLogDirsResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    results: [{
      errorCode: 0,
      logDir: "/data",
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 0, partitionSize: 2 ** 33, offsetLag: 0, isFutureKey: false }],
      }],
      totalBytes: 10 ** 12,
      usableBytes: 10 ** 11,
    }],
  };
  // deno-fmt-ignore
  const v1 = cat(
    i32(0), arr(1), i16(0), str("/data"),
    arr(1), str("t"), arr(1), i32(0), i64(2 ** 33), i64(0), bool(false),
  );
  responseVector(DescribeLogDirsSpec, 1, v1, {
    ...resp,
    results: [{ ...resp.results[0], totalBytes: -1, usableBytes: -1 }],
  });
  // deno-fmt-ignore
  const v4 = cat(
    i32(0), i16(0), carr(1), i16(0), cstr("/data"),
    carr(1), cstr("t"), carr(1), i32(0), i64(2 ** 33), i64(0), bool(false), NO_TAGS, NO_TAGS,
    i64(10 ** 12), i64(10 ** 11), NO_TAGS,
    NO_TAGS,
  );
  responseVector(DescribeLogDirsSpec, 4, v4, resp);
});

Deno.test("DeleteRecords v0 and v2 bytes", () => {
  const req: DeleteRecordsRequest = {
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, offset: 42 }, { partitionIndex: 1, offset: -1 }],
    }],
    timeoutMs: 30000,
  };
  requestVector(
    DeleteRecordsSpec,
    0,
    cat(arr(1), str("t"), arr(2), i32(0), i64(42), i32(1), i64(-1), i32(30000)),
    req,
  );
  // deno-fmt-ignore
  requestVector(DeleteRecordsSpec, 2, cat(
    carr(1), cstr("t"), carr(2), i32(0), i64(42), NO_TAGS, i32(1), i64(-1), NO_TAGS, NO_TAGS,
    i32(30000), NO_TAGS,
  ), req);
  const resp: DeleteRecordsResponse = {
    throttleTimeMs: 0,
    topics: [{
      name: "t",
      partitions: [{ partitionIndex: 0, lowWatermark: 42, errorCode: 0 }, {
        partitionIndex: 1,
        lowWatermark: -1,
        errorCode: 1,
      }],
    }],
  };
  responseVector(
    DeleteRecordsSpec,
    1,
    cat(i32(0), arr(1), str("t"), arr(2), i32(0), i64(42), i16(0), i32(1), i64(-1), i16(1)),
    resp,
  );
  // deno-fmt-ignore
  responseVector(DeleteRecordsSpec, 2, cat(
    i32(0), carr(1), cstr("t"), carr(2), i32(0), i64(42), i16(0), NO_TAGS, i32(1), i64(-1), i16(1), NO_TAGS,
    NO_TAGS, NO_TAGS,
  ), resp);
});

// ---------------------------------------------------------------------------------------------------------
// Round trips for every version of every API.

function roundTrip(spec: ApiSpec, request: unknown, response: unknown): void {
  assertCoversSpec(spec.request, request, `${spec.name}Request`);
  assertCoversSpec(spec.response, response, `${spec.name}Response`);
  for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
    const flexible = v >= spec.flexibleFrom;
    const rq = encodeRequest(spec, v, request);
    const rqObj = decodeRequest(spec, v, rq);
    assertEquals(rqObj, project(spec.request, v, request), `${spec.name} v${v} request round trip`);
    assertEquals(encodeRequest(spec, v, rqObj), rq, `${spec.name} v${v} request re-encode`);
    const rs = encodeResponse(spec, v, response);
    const rsObj = decodeResponse(spec, v, rs);
    assertEquals(rsObj, project(spec.response, v, response), `${spec.name} v${v} response round trip`);
    assertEquals(encodeResponse(spec, v, rsObj), rs, `${spec.name} v${v} response re-encode`);
    if (flexible) {
      assertEquals(decodeRequest(spec, v, withUnknownTags(rq)), rqObj, `${spec.name} v${v} request tags`);
      assertEquals(decodeResponse(spec, v, withUnknownTags(rs)), rsObj, `${spec.name} v${v} response tags`);
    }
  }
}

Deno.test("round trip: CreatePartitions v0-3", () => {
  const req: CreatePartitionsRequest = {
    topics: [{ name: "orders", count: 12, assignments: [{ brokerIds: [1, 2] }, { brokerIds: [3] }] }],
    timeoutMs: 25000,
    validateOnly: true,
  };
  const resp: CreatePartitionsResponse = {
    throttleTimeMs: 7,
    results: [{ name: "orders", errorCode: 37, errorMessage: "nope" }],
  };
  roundTrip(CreatePartitionsSpec, req, resp);
});

Deno.test("round trip: DescribeConfigs v0-4", () => {
  const req: DescribeConfigsRequest = {
    resources: [{
      resourceType: 2,
      resourceName: "orders",
      configurationKeys: ["retention.ms", "segment.ms"],
    }],
    includeSynonyms: true,
    includeDocumentation: true,
  };
  const resp: DescribeConfigsResponse = {
    throttleTimeMs: 3,
    results: [{
      errorCode: 0,
      errorMessage: "fine",
      resourceType: 2,
      resourceName: "orders",
      configs: [{
        name: "segment.ms",
        value: "1000",
        readOnly: true,
        isDefault: true,
        configSource: 4,
        isSensitive: true,
        synonyms: [{ name: "log.roll.ms", value: "1000", source: 4 }, {
          name: "log.roll.hours",
          value: null,
          source: 5,
        }],
        configType: 5,
        documentation: "segment roll age",
      }],
    }],
  };
  roundTrip(DescribeConfigsSpec, req, resp);
});

Deno.test("round trip: AlterConfigs v0-2", () => {
  const req: AlterConfigsRequest = {
    resources: [{ resourceType: 4, resourceName: "1", configs: [{ name: "log.retention.ms", value: "5" }] }],
    validateOnly: true,
  };
  const resp: AlterConfigsResponse = {
    throttleTimeMs: 1,
    responses: [{ errorCode: 42, errorMessage: "x", resourceType: 4, resourceName: "1" }],
  };
  roundTrip(AlterConfigsSpec, req, resp);
});

Deno.test("round trip: IncrementalAlterConfigs v0-1", () => {
  const req: IncrementalAlterConfigsRequest = {
    resources: [{
      resourceType: 2,
      resourceName: "t",
      configs: [{ name: "cleanup.policy", configOperation: 2, value: "compact" }],
    }],
    validateOnly: true,
  };
  const resp: IncrementalAlterConfigsResponse = {
    throttleTimeMs: 2,
    responses: [{ errorCode: 40, errorMessage: "bad", resourceType: 2, resourceName: "t" }],
  };
  roundTrip(IncrementalAlterConfigsSpec, req, resp);
});

Deno.test("round trip: DescribeLogDirs v0-4", () => {
  const req: DescribeLogDirsRequest = { topics: [{ topic: "t", partitions: [0, 5] }] };
  const resp: DescribeLogDirsResponse = {
    throttleTimeMs: 4,
    errorCode: 56,
    results: [{
      errorCode: 57,
      logDir: "/var/lib/kgw",
      topics: [{
        name: "t",
        partitions: [{ partitionIndex: 5, partitionSize: 123456789012, offsetLag: 3, isFutureKey: true }],
      }],
      totalBytes: 2 ** 40,
      usableBytes: 2 ** 39,
    }],
  };
  roundTrip(DescribeLogDirsSpec, req, resp);
});

Deno.test("round trip: DeleteRecords v0-2", () => {
  const req: DeleteRecordsRequest = {
    topics: [{ name: "t", partitions: [{ partitionIndex: 2, offset: 2 ** 40 }] }],
    timeoutMs: 1234,
  };
  const resp: DeleteRecordsResponse = {
    throttleTimeMs: 6,
    topics: [{ name: "t", partitions: [{ partitionIndex: 2, lowWatermark: 2 ** 40, errorCode: 0 }] }],
  };
  roundTrip(DeleteRecordsSpec, req, resp);
});
