// InitProducerId and OffsetForLeaderEpoch message schemas: hand-written byte vectors (from the Kafka wire grammar,
// built with helpers independent of src/protocol/codec.ts) and encode/decode round trips for every version.
import { type ApiSpec } from "../../src/protocol/schema.ts";
import {
  type InitProducerIdRequest,
  type InitProducerIdResponse,
  InitProducerIdSpec,
} from "../../src/protocol/messages/init_producer_id.ts";
import {
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochSpec,
} from "../../src/protocol/messages/offset_for_leader_epoch.ts";
import { assertEquals } from "./assert.ts";
import {
  arr,
  assertCoversSpec,
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
  NO_TAGS,
  project,
  requestVector,
  responseVector,
  str,
  tagged,
  uv,
} from "./wire_vectors.ts";

// ---------------------------------------------------------------------------------------------------------
// Independent wire-grammar byte builders.

// ---------------------------------------------------------------------------------------------------------
// Codec harness.

Deno.test("producer message specs: keys, version ranges and flexible thresholds", () => {
  const table = [
    [InitProducerIdSpec, 22, 0, 5, 2],
    [OffsetForLeaderEpochSpec, 23, 0, 4, 4],
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

Deno.test("InitProducerId v0 and v1 request and response bytes", () => {
  const req: InitProducerIdRequest = {
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: -1,
    producerEpoch: -1,
  };
  for (const v of [0, 1]) {
    requestVector(InitProducerIdSpec, v, cat(str(null), i32(60000)), req);
    requestVector(InitProducerIdSpec, v, cat(str("txn-1"), i32(5000)), {
      ...req,
      transactionalId: "txn-1",
      transactionTimeoutMs: 5000,
    });
    // throttle_time_ms, error_code, producer_id, producer_epoch
    responseVector(InitProducerIdSpec, v, cat(i32(0), i16(0), i64(1000), i16(0)), {
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: 1000,
      producerEpoch: 0,
    });
  }
  // TRANSACTIONAL_ID_AUTHORIZATION_FAILED with the "no producer id" answer.
  responseVector(InitProducerIdSpec, 0, cat(i32(0), i16(53), i64(-1), i16(-1)), {
    throttleTimeMs: 0,
    errorCode: 53,
    producerId: -1,
    producerEpoch: -1,
  });
});

Deno.test("InitProducerId v2 (first flexible) and v3-v5 (ProducerId/ProducerEpoch) bytes", () => {
  // v2: compact nullable string, no ProducerId/ProducerEpoch, tag section.
  requestVector(InitProducerIdSpec, 2, cat(cstr(null), i32(2147483647), NO_TAGS), {
    transactionalId: null,
    transactionTimeoutMs: 2147483647,
    producerId: -1,
    producerEpoch: -1,
  });
  for (const v of [3, 4, 5]) {
    // KIP-360 re-init: the producer sends the id and epoch it holds.
    requestVector(InitProducerIdSpec, v, cat(cstr(null), i32(60000), i64(4242), i16(7), NO_TAGS), {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: 4242,
      producerEpoch: 7,
    });
    requestVector(InitProducerIdSpec, v, cat(cstr("tx"), i32(1000), i64(-1), i16(-1), NO_TAGS), {
      transactionalId: "tx",
      transactionTimeoutMs: 1000,
      producerId: -1,
      producerEpoch: -1,
    });
  }
  for (const v of [2, 3, 4, 5]) {
    responseVector(InitProducerIdSpec, v, cat(i32(5), i16(0), i64(4242), i16(8), NO_TAGS), {
      throttleTimeMs: 5,
      errorCode: 0,
      producerId: 4242,
      producerEpoch: 8,
    });
  }
  // PRODUCER_FENCED (90), v4+.
  responseVector(InitProducerIdSpec, 4, cat(i32(0), i16(90), i64(-1), i16(-1), NO_TAGS), {
    throttleTimeMs: 0,
    errorCode: 90,
    producerId: -1,
    producerEpoch: -1,
  });
  // Unknown tags are skipped.
  assertEquals(
    decodeRequest(
      InitProducerIdSpec,
      3,
      cat(cstr(null), i32(1), i64(1), i16(1), uv(1), tagged(9, [1, 2])),
    ),
    { transactionalId: null, transactionTimeoutMs: 1, producerId: 1, producerEpoch: 1 },
  );
});

Deno.test("OffsetForLeaderEpoch v0, v2 and v3 request bytes", () => {
  // v0/v1: partition, leader_epoch.
  for (const v of [0, 1]) {
    requestVector(
      OffsetForLeaderEpochSpec,
      v,
      cat(arr(1), str("orders"), arr(2), i32(0), i32(3), i32(4), i32(-1)),
      {
        replicaId: -2,
        topics: [{
          topic: "orders",
          partitions: [
            { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 3 },
            { partition: 4, currentLeaderEpoch: -1, leaderEpoch: -1 },
          ],
        }],
      },
    );
  }
  // v2: current_leader_epoch before leader_epoch.
  requestVector(OffsetForLeaderEpochSpec, 2, cat(arr(1), str("t"), arr(1), i32(2), i32(5), i32(4)), {
    replicaId: -2,
    topics: [{ topic: "t", partitions: [{ partition: 2, currentLeaderEpoch: 5, leaderEpoch: 4 }] }],
  });
  // v3: replica_id first (-1 = consumer).
  requestVector(
    OffsetForLeaderEpochSpec,
    3,
    cat(i32(-1), arr(1), str("t"), arr(1), i32(0), i32(-1), i32(0)),
    {
      replicaId: -1,
      topics: [{ topic: "t", partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }],
    },
  );
});

Deno.test("OffsetForLeaderEpoch v4 (flexible) request bytes", () => {
  const wire = cat(
    i32(-1), // replica_id
    carr(1),
    cstr("orders"),
    carr(1),
    i32(1), // partition
    i32(-1), // current_leader_epoch
    i32(7), // leader_epoch
    NO_TAGS, // partition tags
    NO_TAGS, // topic tags
    NO_TAGS,
  );
  requestVector(OffsetForLeaderEpochSpec, 4, wire, {
    replicaId: -1,
    topics: [{ topic: "orders", partitions: [{ partition: 1, currentLeaderEpoch: -1, leaderEpoch: 7 }] }],
  });
});

Deno.test("OffsetForLeaderEpoch v0, v1, v2 and v4 response bytes", () => {
  const body: OffsetForLeaderEpochResponse = {
    throttleTimeMs: 0,
    topics: [{
      topic: "orders",
      partitions: [
        { errorCode: 0, partition: 0, leaderEpoch: 7, endOffset: 1234 },
        { errorCode: 3, partition: 9, leaderEpoch: -1, endOffset: -1 },
      ],
    }],
  };
  // v0: error_code, partition, end_offset (no leader epoch: it decodes as -1).
  responseVector(
    OffsetForLeaderEpochSpec,
    0,
    cat(arr(1), str("orders"), arr(2), i16(0), i32(0), i64(1234), i16(3), i32(9), i64(-1)),
    {
      ...body,
      topics: [{
        topic: "orders",
        partitions: [
          { errorCode: 0, partition: 0, leaderEpoch: -1, endOffset: 1234 },
          { errorCode: 3, partition: 9, leaderEpoch: -1, endOffset: -1 },
        ],
      }],
    },
  );
  // v1: leader_epoch between partition and end_offset.
  const v1 = cat(
    arr(1),
    str("orders"),
    arr(2),
    i16(0),
    i32(0),
    i32(7),
    i64(1234),
    i16(3),
    i32(9),
    i32(-1),
    i64(-1),
  );
  responseVector(OffsetForLeaderEpochSpec, 1, v1, body);
  // v2/v3: throttle_time_ms first.
  for (const v of [2, 3]) {
    responseVector(OffsetForLeaderEpochSpec, v, cat(i32(0), v1), body);
  }
  // v4: compact and tagged.
  const v4 = cat(
    i32(0),
    carr(1),
    cstr("orders"),
    carr(2),
    i16(0),
    i32(0),
    i32(7),
    i64(1234),
    NO_TAGS,
    i16(3),
    i32(9),
    i32(-1),
    i64(-1),
    NO_TAGS,
    NO_TAGS,
    NO_TAGS,
  );
  responseVector(OffsetForLeaderEpochSpec, 4, v4, body);
});

// ---------------------------------------------------------------------------------------------------------
// Round trips for every version.

function roundTrip(spec: ApiSpec, request: unknown, response: unknown): void {
  assertCoversSpec(spec.request, request, `${spec.name}Request`);
  assertCoversSpec(spec.response, response, `${spec.name}Response`);
  for (let v = spec.minVersion; v <= spec.maxVersion; v++) {
    const rq = encodeRequest(spec, v, request);
    const rqObj = decodeRequest(spec, v, rq);
    assertEquals(rqObj, project(spec.request, v, request), `${spec.name} v${v} request round trip`);
    assertEquals(encodeRequest(spec, v, rqObj), rq, `${spec.name} v${v} request re-encode`);
    const rs = encodeResponse(spec, v, response);
    const rsObj = decodeResponse(spec, v, rs);
    assertEquals(rsObj, project(spec.response, v, response), `${spec.name} v${v} response round trip`);
    assertEquals(encodeResponse(spec, v, rsObj), rs, `${spec.name} v${v} response re-encode`);
  }
}

Deno.test("round trip: InitProducerId v0-5", () => {
  const req: InitProducerIdRequest = {
    transactionalId: "orders-tx",
    transactionTimeoutMs: 90000,
    producerId: 2 ** 40 + 3,
    producerEpoch: 12,
  };
  const resp: InitProducerIdResponse = {
    throttleTimeMs: 7,
    errorCode: 47,
    producerId: 2 ** 40 + 3,
    producerEpoch: 13,
  };
  roundTrip(InitProducerIdSpec, req, resp);
  roundTrip(InitProducerIdSpec, { ...req, transactionalId: null }, resp);
});

Deno.test("round trip: OffsetForLeaderEpoch v0-4", () => {
  const req: OffsetForLeaderEpochRequest = {
    replicaId: 3,
    topics: [{
      topic: "events",
      partitions: [{ partition: 5, currentLeaderEpoch: 9, leaderEpoch: 8 }, {
        partition: 6,
        currentLeaderEpoch: -1,
        leaderEpoch: 2,
      }],
    }, { topic: "other", partitions: [{ partition: 0, currentLeaderEpoch: 1, leaderEpoch: 1 }] }],
  };
  const resp: OffsetForLeaderEpochResponse = {
    throttleTimeMs: 11,
    topics: [{
      topic: "events",
      partitions: [{ errorCode: 74, partition: 5, leaderEpoch: 8, endOffset: 2 ** 35 }],
    }],
  };
  roundTrip(OffsetForLeaderEpochSpec, req, resp);
});
