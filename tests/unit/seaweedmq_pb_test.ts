// The SeaweedMQ codec (src/storage/seaweedmq/transport/messages.ts, record_codec.ts) checked against the hand-written .proto
// files in proto/ through @grpc/proto-loader (protobufjs): every RPC path exists with the right streaming shape,
// every request we encode decodes to the intended fields, every response we decode matches what protobufjs
// encodes, and the Kafka record <-> DataMessage mapping keeps keys, null values, headers and timestamps.
import { Buffer } from "node:buffer";
import * as protoLoader from "@grpc/proto-loader";
import * as m from "../../src/storage/seaweedmq/transport/messages.ts";
import * as fm from "../../src/storage/seaweedmq/transport/filer_messages.ts";
import { PbReader, PbWriter } from "../../src/storage/seaweedmq/transport/pb.ts";
import {
  buildBatches,
  decodeMessage,
  encodeAppend,
  ENVELOPE_MAGIC,
  ENVELOPE_V2,
  FLAG_HEADERS,
  type SmqRecord,
  StoredRecords,
} from "../../src/storage/seaweedmq/record_codec.ts";
import { buildBatch, validateBatches } from "../../src/records/batch.ts";
import { decodeBatchRecords, type RecordInput } from "../../src/records/record.ts";
import { fromPathName, pathName } from "../../src/storage/seaweedmq/meta.ts";
import { grpcAddress } from "../../src/storage/seaweedmq/transport/cluster.ts";
import { partitionDir, ringRange } from "../../src/storage/seaweedmq/partition.ts";
import { assert, assertEquals } from "./assert.ts";

const PROTO_DIR = new URL("../../proto/", import.meta.url).pathname;
const pkg = protoLoader.loadSync(
  ["mq_broker.proto", "mq_schema.proto", "master.proto", "filer.proto"].map((f) => PROTO_DIR + f),
  { includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: Number, defaults: false, oneofs: true },
);

interface Method {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(o: unknown): Buffer;
  requestDeserialize(b: Buffer): Record<string, unknown>;
  responseSerialize(o: unknown): Buffer;
  responseDeserialize(b: Buffer): Record<string, unknown>;
}

function method(path: string): Method {
  const [, svc, name] = /^\/(.+)\/(.+)$/.exec(path)!;
  const service = pkg[svc] as unknown as Record<string, Method> | undefined;
  assert(service, `service ${svc} is declared in proto/`);
  const def = service[name];
  assert(def, `rpc ${path} is declared in proto/`);
  assertEquals(def.path, path);
  return def;
}

const te = new TextEncoder();
const td = new TextDecoder();
const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const topic = { namespace: "kafka", name: "orders" };
const partition = { ringSize: 2520, rangeStart: 630, rangeStop: 1260, unixTimeNs: 1795280936414876421n };
const pbPartition = {
  ring_size: 2520,
  range_start: 630,
  range_stop: 1260,
  unix_time_ns: "1795280936414876421",
};

Deno.test("seaweedmq pb: every RPC the client calls is in proto/ with the same streaming shape", () => {
  const shapes: Record<string, [boolean, boolean]> = {
    PublishMessage: [true, true],
    SubscribeMessage: [true, true],
    ListEntries: [false, true],
  };
  for (const [name, path] of Object.entries(m.Rpc)) {
    const def = method(path);
    const [req, res] = shapes[name] ?? [false, false];
    assertEquals([def.requestStream, def.responseStream], [req, res], name);
  }
});

Deno.test("seaweedmq pb: requests encode to the fields protobufjs reads from the .proto files", () => {
  const tp = m.encodeTopicPartition(topic, partition);
  assertEquals(
    method(m.Rpc.GetPartitionRangeInfo).requestDeserialize(buf(tp)),
    { topic: { namespace: "kafka", name: "orders" }, partition: pbPartition },
  );
  assertEquals(
    method(m.Rpc.FetchMessage).requestDeserialize(buf(m.encodeFetchMessageRequest({
      topicPartition: tp,
      startOffset: 12345678901,
      maxBytes: 1 << 20,
      maxMessages: 500,
      consumerGroup: "g",
      consumerId: "c",
    }))),
    {
      topic: { namespace: "kafka", name: "orders" },
      partition: pbPartition,
      start_offset: "12345678901",
      max_bytes: 1048576,
      max_messages: 500,
      consumer_group: "g",
      consumer_id: "c",
    },
  );
  assertEquals(
    method(m.Rpc.PublishMessage).requestDeserialize(buf(m.encodePublishInit({
      topic,
      partition,
      ackInterval: 1,
      publisherName: "kafka-gateway",
    }))),
    {
      init: {
        topic: { namespace: "kafka", name: "orders" },
        partition: pbPartition,
        ack_interval: 1,
        publisher_name: "kafka-gateway",
      },
      message: "init",
    },
  );
  assertEquals(
    method(m.Rpc.ConfigureTopic).requestDeserialize(buf(m.encodeConfigureTopicRequest({
      topic,
      partitionCount: 4,
      retention: { retentionSeconds: 1, enabled: false },
    }))),
    {
      topic: { namespace: "kafka", name: "orders" },
      partition_count: 4,
      retention: { retention_seconds: "1" },
    },
  );
  for (const p of [m.Rpc.TopicExists, m.Rpc.LookupTopicBrokers, m.Rpc.GetTopicConfiguration]) {
    assertEquals(method(p).requestDeserialize(buf(m.encodeTopicRequest(topic))), {
      topic: { namespace: "kafka", name: "orders" },
    });
  }
  assertEquals(
    method(m.Rpc.ClosePublishers).requestDeserialize(buf(m.encodeClosePublishersRequest(topic, 5n))),
    { topic: { namespace: "kafka", name: "orders" }, unix_time_ns: "5" },
  );
  assertEquals(
    method(m.Rpc.AssignTopicPartitions).requestDeserialize(buf(m.encodeAssignTopicPartitionsRequest(topic, [
      {
        partition: { ringSize: 2520, rangeStart: 0, rangeStop: 1260, unixTimeNs: 7n },
        leaderBroker: "b1:17777",
        followerBroker: "b2:17777",
      },
    ]))),
    {
      topic: { namespace: "kafka", name: "orders" },
      broker_partition_assignments: [{
        partition: { ring_size: 2520, range_stop: 1260, unix_time_ns: "7" },
        leader_broker: "b1:17777",
        follower_broker: "b2:17777",
      }],
    },
  );
  assertEquals(
    method(m.Rpc.ListClusterNodes).requestDeserialize(
      buf(fm.encodeListClusterNodesRequest("broker", "", 1000)),
    ),
    { client_type: "broker", limit: 1000 },
  );
  assertEquals(
    method(m.Rpc.LookupDirectoryEntry).requestDeserialize(
      buf(fm.encodeLookupDirectoryEntryRequest("/a/b", "c")),
    ),
    { directory: "/a/b", name: "c" },
  );
  assertEquals(
    method(m.Rpc.ListEntries).requestDeserialize(
      buf(fm.encodeListEntriesRequest({ directory: "/d", limit: 10, startFromFileName: "x" })),
    ),
    { directory: "/d", startFromFileName: "x", limit: 10, omit_chunks: true },
  );
  const create = method(m.Rpc.CreateEntry).requestDeserialize(buf(fm.encodeCreateEntryRequest("/d", {
    name: "offset",
    content: te.encode('{"a":1}'),
    now: 1700000000,
    extended: new Map([["offset_max", new Uint8Array([0, 0, 0, 0, 0, 0, 0, 7])]]),
  }, true)));
  const entry = create.entry as Record<string, unknown>;
  assertEquals(create.directory, "/d");
  assertEquals(create.o_excl, true);
  assertEquals(entry.name, "offset");
  assertEquals(td.decode(entry.content as Uint8Array), '{"a":1}');
  assertEquals(entry.attributes, {
    file_size: "7",
    mtime: "1700000000",
    file_mode: 0o644,
    crtime: "1700000000",
  });
  assertEquals([...(entry.extended as Record<string, Uint8Array>).offset_max], [0, 0, 0, 0, 0, 0, 0, 7]);
  assertEquals(
    method(m.Rpc.DeleteEntry).requestDeserialize(buf(fm.encodeDeleteEntryRequest("/d", "g", true))),
    { directory: "/d", name: "g", is_delete_data: true, is_recursive: true, ignore_recursive_error: true },
  );
  const update = method(m.Rpc.UpdateEntry).requestDeserialize(buf(fm.encodeUpdateEntryRequest(
    "/c",
    {
      name: "assignment",
      content: te.encode("{}"),
      now: 1700000000,
      extended: new Map([["v", te.encode("2")]]),
    },
    new Map([["v", te.encode("1")]]),
  )));
  assertEquals(update.directory, "/c");
  assertEquals((update.entry as Record<string, unknown>).name, "assignment");
  assertEquals(td.decode((update.entry as { extended: Record<string, Uint8Array> }).extended.v), "2");
  assertEquals(td.decode((update.expected_extended as Record<string, Uint8Array>).v), "1");
  assertEquals(
    method(m.Rpc.ObjectTransaction).requestDeserialize(
      buf(fm.encodeDeleteIfEtagRequest("/d/docs", "txn-1-ab", "v1")),
    ),
    {
      lock_key: "/d/docs/txn-1-ab",
      condition: { clauses: [{ kind: 3, etags: ["v1"] }] },
      mutations: [{ type: 1, directory: "/d/docs", name: "txn-1-ab" }],
    },
  );
  const txnRes = method(m.Rpc.ObjectTransaction).responseSerialize({
    error: "precondition failed",
    error_code: 6,
  });
  assertEquals(fm.decodeObjectTransactionResponse(new Uint8Array(txnRes)), {
    error: "precondition failed",
    errorCode: fm.PRECONDITION_FAILED,
  });
  assertEquals(
    method(m.Rpc.DistributedLock).requestDeserialize(buf(fm.encodeLockRequest({
      name: "kgw-controller/kafka",
      secondsToLock: 5,
      renewToken: "t",
      owner: "node 1",
    }))),
    { name: "kgw-controller/kafka", seconds_to_lock: "5", renew_token: "t", owner: "node 1" },
  );
  assertEquals(
    method(m.Rpc.DistributedUnlock).requestDeserialize(buf(fm.encodeUnlockRequest("n", "t"))),
    { name: "n", renew_token: "t" },
  );
});

Deno.test("seaweedmq pb: responses encoded by protobufjs decode to the same values", () => {
  const assignment = { partition: pbPartition, leader_broker: "127.0.0.1:17777", follower_broker: "" };
  const a = m.decodeLookupTopicBrokersResponse(
    method(m.Rpc.LookupTopicBrokers).responseSerialize({
      topic: { namespace: "kafka", name: "orders" },
      broker_partition_assignments: [assignment],
    }),
  );
  assertEquals(a, [{ partition, leaderBroker: "127.0.0.1:17777", followerBroker: "" }]);
  const conf = m.decodeGetTopicConfigurationResponse(
    method(m.Rpc.GetTopicConfiguration).responseSerialize({
      partition_count: 1,
      broker_partition_assignments: [assignment],
      created_at_ns: "1795280936414876421",
      retention: { retention_seconds: "60", enabled: true },
    }),
  );
  assertEquals(conf.partitionCount, 1);
  assertEquals(conf.createdAtNs, 1795280936414876421n);
  assertEquals(conf.retention, { retentionSeconds: 60, enabled: true });
  assertEquals(
    m.decodeConfigureTopicResponse(
      method(m.Rpc.ConfigureTopic).responseSerialize({ broker_partition_assignments: [assignment] }),
    ).assignments.length,
    1,
  );
  assertEquals(conf.schema, m.NO_TOPIC_SCHEMA);
});

Deno.test("seaweedmq pb: a topic's record schema read from the broker is passed back unchanged by ConfigureTopic", () => {
  const recordType = {
    fields: [
      { name: "id", field_index: 0, type: { scalar_type: 3 } }, // INT64
      {
        name: "tags",
        field_index: 1,
        type: { list_type: { element_type: { scalar_type: 7 } } }, // STRING
        is_repeated: true,
      },
    ],
  };
  const read = m.decodeGetTopicConfigurationResponse(
    method(m.Rpc.GetTopicConfiguration).responseSerialize({
      partition_count: 2,
      message_record_type: recordType,
      key_columns: ["id"],
      schema_format: "AVRO",
    }),
  );
  assertEquals(read.schema.keyColumns, ["id"]);
  assertEquals(read.schema.schemaFormat, "AVRO");
  const sent = method(m.Rpc.ConfigureTopic).requestDeserialize(buf(m.encodeConfigureTopicRequest({
    topic,
    partitionCount: 2,
    schema: read.schema,
  }))) as Record<string, unknown>;
  // as protobufjs reads it back: oneofs name their case in `kind`
  assertEquals(sent.message_record_type, {
    fields: [
      { name: "id", field_index: 0, type: { scalar_type: 3, kind: "scalar_type" } },
      {
        name: "tags",
        field_index: 1,
        type: { list_type: { element_type: { scalar_type: 7, kind: "scalar_type" } }, kind: "list_type" },
        is_repeated: true,
      },
    ],
  });
  assertEquals(sent.key_columns, ["id"]);
  assertEquals(sent.schema_format, "AVRO");
  const answered = m.decodeConfigureTopicResponse(
    method(m.Rpc.ConfigureTopic).responseSerialize({
      message_record_type: recordType,
      schema_format: "JSON_SCHEMA",
    }),
  );
  assertEquals(answered.schema.recordType, read.schema.recordType);
  assertEquals(answered.schema.schemaFormat, "JSON_SCHEMA");
  assertEquals(
    m.decodeListTopicsResponse(
      method(m.Rpc.ListTopics).responseSerialize({
        topics: [{ namespace: "kafka", name: "a" }, { namespace: "x", name: "b" }],
      }),
    ),
    [{ namespace: "kafka", name: "a" }, { namespace: "x", name: "b" }],
  );
  assertEquals(
    m.decodeTopicExistsResponse(method(m.Rpc.TopicExists).responseSerialize({ exists: true })),
    true,
  );
  const pub = method(m.Rpc.PublishMessage);
  assertEquals(
    m.ackOffset(pub.responseSerialize({ ack_ts_ns: "5", assigned_offset: "123456789012" })),
    123456789012,
  );
  assertEquals(m.ackOffset(pub.responseSerialize({ ack_ts_ns: "5" })), 0);
  assertEquals(m.ackOffset(pub.responseSerialize({ error: "not leader", error_code: 6 })), -1);
  assertEquals(
    m.decodePublishMessageResponse(
      pub.responseSerialize({ error: "not leader", error_code: 6, should_close: true }),
    ),
    { ackTsNs: 0, error: "not leader", shouldClose: true, errorCode: 6, assignedOffset: 0 },
  );
  const f = m.decodeFetchMessageResponse(
    method(m.Rpc.FetchMessage).responseSerialize({
      messages: [{ key: Buffer.from("k"), value: Buffer.from("v"), ts_ns: "1795280936414876421" }, {
        value: Buffer.from("w"),
      }],
      high_water_mark: "42",
      log_start_offset: "3",
      end_of_partition: true,
      error_code: 2,
      error: "offset",
      next_offset: "40",
    }),
  );
  assertEquals(f.messages.map((x) => [td.decode(x.key), td.decode(x.value)]), [["k", "v"], ["", "w"]]);
  assertEquals(Math.floor(f.messages[0].tsNs / 1e6), 1795280936414);
  assertEquals([f.highWaterMark, f.logStartOffset, f.endOfPartition, f.errorCode, f.error, f.nextOffset], [
    42,
    3,
    true,
    2,
    "offset",
    40,
  ]);
  assertEquals(
    m.decodeGetPartitionRangeInfoResponse(
      method(m.Rpc.GetPartitionRangeInfo).responseSerialize({
        offset_range: { earliest_offset: "1", latest_offset: "9", high_water_mark: "10" },
        record_count: "10",
      }),
    ),
    { earliestOffset: 1, latestOffset: 9, highWaterMark: 10, recordCount: 10, error: "" },
  );
  assertEquals(
    fm.decodeListClusterNodesResponse(
      method(m.Rpc.ListClusterNodes).responseSerialize({
        cluster_nodes: [{ address: "127.0.0.1:17777", version: "4.48", created_at_ns: "99" }],
      }),
    ),
    [{ address: "127.0.0.1:17777", version: "4.48", createdAtNs: 99n }],
  );
  const e = fm.decodeLookupDirectoryEntryResponse(
    method(m.Rpc.LookupDirectoryEntry).responseSerialize({
      entry: {
        name: "offset",
        attributes: { file_size: "3", mtime: "1700000000", file_mode: 420 },
        extended: { offset_max: Buffer.from([0, 0, 0, 0, 0, 0, 1, 0]) },
        content: Buffer.from("abc"),
      },
    }),
  )!;
  assertEquals([e.name, e.isDirectory, td.decode(e.content), e.attributes?.fileSize, e.hasChunks], [
    "offset",
    false,
    "abc",
    3,
    false,
  ]);
  assertEquals([...e.extended.get("offset_max")!], [0, 0, 0, 0, 0, 0, 1, 0]);
  const listed = fm.decodeListEntriesResponse(
    method(m.Rpc.ListEntries).responseSerialize({
      entry: {
        name: "2026-11-21-17-19-20",
        chunks: [
          {
            file_id: "4,e80ff30ad3",
            size: "8388552",
            modified_ts_ns: "1795287837649000000",
            is_compressed: true,
          },
          { offset: "8388552", size: "10", fid: { volume_id: 6, file_key: "234", cookie: 2298968970 } },
        ],
      },
    }),
  )!;
  assertEquals(listed.chunks, [
    {
      fileId: "4,e80ff30ad3",
      offset: 0,
      size: 8388552,
      modifiedTsNs: 1795287837649000000,
      isCompressed: true,
      encrypted: false,
      isManifest: false,
    },
    {
      fileId: "6,ea89077b8a",
      offset: 8388552,
      size: 10,
      modifiedTsNs: 0,
      isCompressed: false,
      encrypted: false,
      isManifest: false,
    },
  ]);
  assertEquals(
    method(m.Rpc.LookupVolume).requestDeserialize(buf(fm.encodeLookupVolumeRequest(["4", "6"]))),
    { volume_ids: ["4", "6"] },
  );
  assertEquals(
    [
      ...fm.decodeLookupVolumeResponse(
        method(m.Rpc.LookupVolume).responseSerialize({
          locations_map: { "4": { locations: [{ url: "127.0.0.1:8080", public_url: "x" }] } },
        }),
      ),
    ],
    [["4", ["127.0.0.1:8080"]]],
  );
  assertEquals(
    fm.decodeCreateEntryResponse(method(m.Rpc.CreateEntry).responseSerialize({ error: "x", error_code: 5 })),
    { error: "x", errorCode: 5 },
  );
  assertEquals(
    fm.decodeDeleteEntryResponse(method(m.Rpc.DeleteEntry).responseSerialize({ error: "y" })),
    "y",
  );
  assertEquals(
    fm.decodeLockResponse(
      method(m.Rpc.DistributedLock).responseSerialize({
        renew_token: "r",
        lock_owner: "o",
        lock_host_moved_to: "f:8888",
        error: "lock already owned by o",
        generation: 7,
      }),
    ),
    { renewToken: "r", lockOwner: "o", movedTo: "f:8888", error: "lock already owned by o", generation: 7 },
  );
  assertEquals(
    fm.decodeUnlockResponse(method(m.Rpc.DistributedUnlock).responseSerialize({ error: "e", moved_to: "m" })),
    { error: "e", movedTo: "m" },
  );
});

Deno.test("seaweedmq pb: varints, negative int64 and unknown fields", () => {
  const w = new PbWriter(4).int(1, -1).int(2, 2 ** 53 - 1).bigint(3, -5n).bytes(9, new Uint8Array(300))
    .string(4, "é");
  const r = new PbReader(w.finish());
  const got: unknown[] = [];
  while (r.next()) {
    if (r.field === 1 || r.field === 2) got.push(r.varint());
    else if (r.field === 3) got.push(r.varintBig());
    else if (r.field === 4) got.push(r.string());
    else r.skip();
  }
  assertEquals(got, [-1, 2 ** 53 - 1, -5n, "é"]);
});

const RECORDS: RecordInput[] = [
  { key: te.encode("k0"), value: te.encode("plain value"), timestamp: 1_700_000_000_123 },
  { key: null, value: te.encode("no key"), timestamp: 1_700_000_000_100 },
  { key: te.encode("tomb"), value: null, timestamp: 5 },
  { key: new Uint8Array(0), value: new Uint8Array(0), timestamp: 1_700_000_000_200 },
  // over 128 bytes: copied into batches with one set() rather than byte by byte
  { key: te.encode("k".repeat(300)), value: te.encode("v".repeat(1000)), timestamp: 1_700_000_000_201 },
  {
    key: new Uint8Array([0xff, 0x4b, 0x47, 0x01, 9]), // a key that starts like our envelope
    value: te.encode("v"),
    headers: [{ key: "h1", value: te.encode("x") }, { key: "nul", value: null }, {
      key: "",
      value: new Uint8Array(0),
    }],
    timestamp: -1,
  },
];

/** A stand-in for a schema's typer: values starting with "p" get a typed form, the others none. */
const fakeTyper = (v: Uint8Array) => v[0] === 0x70 ? te.encode(`typed:${td.decode(v)}`) : null;

Deno.test("seaweedmq records: Kafka batches -> DataMessages -> Kafka batches keep everything", async () => {
  for (
    const [compression, typer] of [[0, null], [1, null], [4, null], [0, fakeTyper], [4, fakeTyper]] as const
  ) {
    const batch = await buildBatch({ records: RECORDS, compression });
    const enc = await encodeAppend({ payload: batch, batches: validateBatches(batch) }, "envelope", typer);
    assertEquals(enc.count, RECORDS.length);
    const pub = method(m.Rpc.PublishMessage);
    const views: m.DataMessageView[] = [];
    for (let i = 0; i < enc.count; i++) {
      const start = i === 0 ? 0 : enc.ends[i - 1];
      const f = enc.frames.subarray(start, enc.ends[i]);
      assertEquals(f[0], 0);
      assertEquals(new DataView(f.buffer, f.byteOffset).getUint32(1), f.length - 5);
      const req = pub.requestDeserialize(buf(f.subarray(5)));
      assertEquals(req.message, "data");
      const data = req.data as { key?: Uint8Array; value?: Uint8Array; ts_ns?: string };
      assertEquals(data.ts_ns, undefined, "ts_ns is left to the broker");
      const rec = RECORDS[i];
      if (typer === null) {
        // the value is stored as is: SMQ-native consumers read Kafka values unchanged
        assertEquals(td.decode(data.value ?? new Uint8Array(0)), td.decode(rec.value ?? new Uint8Array(0)));
        assertEquals([...data.key!.subarray(0, 4)], [...ENVELOPE_MAGIC]);
      } else {
        // schematized: DataMessage.value is the typed form (empty without one), the value is in envelope v2
        const t = rec.value == null ? null : typer(rec.value);
        assertEquals(td.decode(data.value ?? new Uint8Array(0)), t === null ? "" : td.decode(t));
        assertEquals([...data.key!.subarray(0, 4)], [...ENVELOPE_MAGIC.slice(0, 3), ENVELOPE_V2]);
      }
      assertEquals((data.key![4] & FLAG_HEADERS) !== 0, (rec.headers?.length ?? 0) > 0);
      views.push({ key: data.key ?? new Uint8Array(0), value: data.value ?? new Uint8Array(0), tsNs: 1e18 });
    }
    const recs = views.map(decodeMessage);
    const offsets = recs.map((_, i) => 100 + i);
    const built = buildBatches(StoredRecords.of(recs, offsets), 1 << 20, true);
    assertEquals(built.used, RECORDS.length);
    // as a log file is read: keys and values at their positions in one shared buffer, no view per record
    const file = new Uint8Array(3 + views.reduce((n, v) => n + v.key.length + v.value.length, 0));
    const inFile = new StoredRecords(2); // grows
    let at = 3;
    views.forEach(({ key, value }, i) => {
      file.set(key, at);
      file.set(value, at + key.length);
      const end = at + key.length + value.length;
      inFile.add(offsets[i], file, at, at + key.length, file, at + key.length, end, 1e18);
      at = end;
    });
    assertEquals(inFile.length, recs.length);
    assertEquals(buildBatches(inFile, 1 << 20, true).batches, built.batches);
    const plain = (r: SmqRecord) =>
      Object.entries(r).map(([k, v]) => [k, v instanceof Uint8Array ? [...v] : v]);
    assertEquals(inFile.records().map(plain), recs.map(plain));
    const back = (await decodeBatchRecords(built.batches[0], { verifyCrc: true })).records;
    assertEquals(back.length, RECORDS.length);
    back.forEach((r, i) => {
      const e = RECORDS[i];
      assertEquals(r.offset, 100 + i);
      assertEquals(r.timestamp, e.timestamp);
      assertEquals(r.key === null ? null : [...r.key], e.key === null ? null : [...e.key!]);
      assertEquals(r.value === null ? null : [...r.value], e.value === null ? null : [...e.value!]);
      assertEquals(
        r.headers.map((h) => [h.key, h.value === null ? null : td.decode(h.value)]),
        (e.headers ?? []).map((h) => [h.key, h.value === null ? null : td.decode(h.value)]),
      );
    });
  }
});

Deno.test("seaweedmq records: --seaweedmq-record-format plain stores the Kafka key as the message key", async () => {
  const records = [
    {
      key: te.encode("k1"),
      value: te.encode("v1"),
      headers: [{ key: "h", value: te.encode("x") }],
      timestamp: 7,
    },
    { key: null, value: te.encode("no key"), timestamp: 8 },
  ];
  const batch = await buildBatch({ records, compression: 1 });
  const enc = await encodeAppend({ payload: batch, batches: validateBatches(batch) }, "plain");
  assertEquals(enc.count, 2);
  const pub = method(m.Rpc.PublishMessage);
  const views: m.DataMessageView[] = [];
  for (let i = 0; i < enc.count; i++) {
    const f = enc.frames.subarray(i === 0 ? 0 : enc.ends[i - 1], enc.ends[i]);
    assertEquals(new DataView(f.buffer, f.byteOffset).getUint32(1), f.length - 5);
    const data = pub.requestDeserialize(buf(f.subarray(5))).data as { key?: Uint8Array; value?: Uint8Array };
    // What SeaweedFS's gateway and SMQ-native readers expect: the key and the value, nothing else.
    assertEquals(td.decode(data.key ?? new Uint8Array(0)), i === 0 ? "k1" : "");
    assertEquals(td.decode(data.value!), i === 0 ? "v1" : "no key");
    views.push({ key: data.key ?? new Uint8Array(0), value: data.value ?? new Uint8Array(0), tsNs: 5e9 });
  }
  // Read back as any plain message: key and value kept, headers and producer timestamps are not stored.
  const recs = views.map(decodeMessage);
  assertEquals(recs.map((r) => r.key === null ? null : td.decode(r.key)), ["k1", null]);
  assertEquals(recs.map((r) => r.headers), [null, null]);
  assertEquals(recs.map((r) => r.timestamp), [5000, 5000]);
});

Deno.test("seaweedmq records: plain messages of other producers, gaps, size limits, LogAppendTime runs", async () => {
  const plain = decodeMessage({
    key: new Uint8Array(0),
    value: te.encode("v"),
    tsNs: 1_700_000_000_123_456_789,
  });
  assertEquals([plain.key, td.decode(plain.value!), plain.timestamp, plain.headers], [
    null,
    "v",
    1_700_000_000_123,
    null,
  ]);
  const fake = decodeMessage({
    key: new Uint8Array([0xff, 0x4b, 0x47, 0x01, 0x04, 0x02, 0x7f]),
    value: te.encode(""),
    tsNs: 0,
  });
  assertEquals(fake.key?.length, 7, "a plain key that only looks like an envelope is kept whole");
  const recs = Array.from({ length: 10 }, (_, i) => ({
    key: null,
    value: new Uint8Array(100).fill(i),
    headers: null,
    timestamp: 1000 + i,
    logAppendTime: i >= 6,
    producerId: -1,
    producerEpoch: -1,
    sequence: -1,
    batchStart: false,
    transactional: false,
    control: false,
  }));
  const offsets = recs.map((_, i) => i * 2); // offsets with gaps
  const all = buildBatches(StoredRecords.of(recs, offsets), 1 << 20, true);
  assertEquals(all.batches.length, 2, "a new batch where the timestamp type changes");
  const first = (await decodeBatchRecords(all.batches[0])).records;
  assertEquals(first.map((r) => r.offset), [0, 2, 4, 6, 8, 10]);
  const lat = await decodeBatchRecords(all.batches[1]);
  assertEquals(lat.header.timestampType, 1);
  const small = buildBatches(StoredRecords.of(recs, offsets), 300, true);
  assertEquals(small.used, 2, "as many records as fit in 300 bytes");
  assert(small.bytes <= 300);
  assertEquals(buildBatches(StoredRecords.of(recs, offsets), 10, false).used, 0);
  assertEquals(
    buildBatches(StoredRecords.of(recs, offsets), 10, true).used,
    1,
    "the first record always goes with minOneBatch",
  );
});

Deno.test("seaweedmq layout: ring ranges, partition directories, names in paths, SeaweedFS addresses", () => {
  assertEquals([0, 1, 2, 3].map((i) => ringRange(i, 4)), [
    { start: 0, stop: 630 },
    { start: 630, stop: 1260 },
    { start: 1260, stop: 1890 },
    { start: 1890, stop: 2520 },
  ]);
  assertEquals(ringRange(2, 3), { start: 1680, stop: 2520 });
  assertEquals(ringRange(6, 7), { start: 2160, stop: 2520 });
  assertEquals(
    partitionDir(topic, { ringSize: 2520, rangeStart: 0, rangeStop: 630, unixTimeNs: 1763740800123456789n }),
    "/topics/kafka/orders/v2025-11-21-16-00-00/0000-0630",
  );
  for (const name of ["group-1", "a/b", ".", "..", "", "~kgw~x", "日本"]) {
    assertEquals(fromPathName(pathName(name)), name);
  }
  assertEquals(pathName("group-1"), "group-1");
  assert(!pathName("a/b").includes("/"));
  assertEquals(grpcAddress("127.0.0.1:9333"), "127.0.0.1:19333");
  assertEquals(grpcAddress("filer:8888.18889"), "filer:18889");
  assertEquals(grpcAddress("[::1]:8888"), "[::1]:18888");
});

Deno.test("seaweedmq records: idempotent batches keep producer id, epoch and sequences", async () => {
  const one = await buildBatch({
    records: RECORDS.slice(0, 3),
    producerId: 7,
    producerEpoch: 2,
    baseSequence: 100,
  });
  const two = await buildBatch({
    records: RECORDS.slice(0, 2),
    producerId: 7,
    producerEpoch: 2,
    baseSequence: 103,
  });
  const three = await buildBatch({
    records: RECORDS.slice(0, 1),
    producerId: 9,
    producerEpoch: 0,
    baseSequence: 0,
  });
  const recs: ReturnType<typeof decodeMessage>[] = [];
  for (const b of [one, two, three]) {
    const enc = await encodeAppend({ payload: b, batches: validateBatches(b) });
    const pub = method(m.Rpc.PublishMessage);
    for (let i = 0; i < enc.count; i++) {
      const f = enc.frames.subarray(i === 0 ? 0 : enc.ends[i - 1], enc.ends[i]);
      const data = pub.requestDeserialize(buf(f.subarray(5))).data as {
        key?: Uint8Array;
        value?: Uint8Array;
      };
      recs.push(
        decodeMessage({
          key: data.key ?? new Uint8Array(0),
          value: data.value ?? new Uint8Array(0),
          tsNs: 0,
        }),
      );
    }
  }
  assertEquals(recs.map((r) => [r.producerId, r.producerEpoch, r.sequence]), [
    [7, 2, 100],
    [7, 2, 101],
    [7, 2, 102],
    [7, 2, 103],
    [7, 2, 104],
    [9, 0, 0],
  ]);
  const built = buildBatches(StoredRecords.of(recs, recs.map((_, i) => i)), 1 << 20, true);
  assertEquals(built.batches.length, 3, "fetched batches are the produced ones");
  const h = await Promise.all(built.batches.map((b) => decodeBatchRecords(b, { verifyCrc: true })));
  assertEquals(
    h.map((x) => [x.header.producerId, x.header.producerEpoch, x.header.baseSequence, x.records.length]),
    [
      [7, 2, 100, 3],
      [7, 2, 103, 2],
      [9, 0, 0, 1],
    ],
  );
  // without batch marks (records of other publishers) consecutive sequences of one producer share a batch
  const unmarked = recs.map((r) => ({ ...r, batchStart: false }));
  assertEquals(
    buildBatches(StoredRecords.of(unmarked, recs.map((_, i) => i)), 1 << 20, true).batches.length,
    2,
  );
});

Deno.test("seaweedmq pb: one reader over back-to-back messages; skipped negative varints; field positions", () => {
  // two LogEntry-shaped messages: ts (1), a negative int32 key hash (2: ten-byte varint), data (3), key (4), offset (5)
  const entry = (offset: number, value: string) =>
    new PbWriter().bigint(1, 1_796_592_164_525_000_000n).int(2, -123456).bytes(
      3,
      new TextEncoder().encode(value),
    )
      .bytes(4, new TextEncoder().encode("k")).int(5, offset).finish().slice();
  const a = entry(7, "first"), b = entry(8, "second!");
  const buf = new Uint8Array(a.length + b.length);
  buf.set(a);
  buf.set(b, a.length);
  const r = new PbReader(buf, 0, 0);
  const seen: [number, string, number][] = [];
  for (const [start, end] of [[0, a.length], [a.length, buf.length]]) {
    r.reset(start, end);
    let offset = -1, value = "", hashSkipped = false;
    while (r.next()) {
      if (r.field === 3) {
        const s = r.lengthDelimited();
        value = new TextDecoder().decode(buf.subarray(s, r.pos));
      } else if (r.field === 5) offset = r.varint();
      else {
        if (r.field === 2) hashSkipped = true;
        r.skip();
      }
    }
    assert(hashSkipped);
    seen.push([offset, value, r.pos]);
  }
  assertEquals(seen, [[7, "first", a.length], [8, "second!", buf.length]]);
  // a truncated varint is an error, not a read past the range
  const bad = new PbReader(new Uint8Array([0x10, 0xff, 0xff]), 0, 3);
  assert(bad.next());
  let threw = false;
  try {
    bad.skip();
  } catch {
    threw = true;
  }
  assert(threw, "truncated varint skipped");
});
