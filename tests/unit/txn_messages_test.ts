// Transaction coordinator message schemas (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, DescribeTransactions,
// ListTransactions): hand-written byte vectors from Kafka's JSON specs and wire grammar, both directions.
import { AddPartitionsToTxnSpec } from "../../src/protocol/messages/add_partitions_to_txn.ts";
import { AddOffsetsToTxnSpec } from "../../src/protocol/messages/add_offsets_to_txn.ts";
import { EndTxnSpec } from "../../src/protocol/messages/end_txn.ts";
import { DescribeTransactionsSpec } from "../../src/protocol/messages/describe_transactions.ts";
import { ListTransactionsSpec } from "../../src/protocol/messages/list_transactions.ts";
import { assertEquals } from "./assert.ts";
import {
  arr,
  bool,
  carr,
  cat,
  cstr,
  i16,
  i32,
  i64,
  NO_TAGS,
  project,
  requestVector,
  responseVector,
  str,
} from "./wire_vectors.ts";

Deno.test("txn message specs: keys, version ranges and flexible thresholds", () => {
  const table = [
    [AddPartitionsToTxnSpec, 24, 0, 4, 3],
    [AddOffsetsToTxnSpec, 25, 0, 4, 3],
    [EndTxnSpec, 26, 0, 4, 3],
    [DescribeTransactionsSpec, 65, 0, 0, 0],
    [ListTransactionsSpec, 66, 0, 1, 0],
  ] as const;
  for (const [spec, key, min, max, flex] of table) {
    assertEquals(
      [spec.key, spec.minVersion, spec.maxVersion, spec.flexibleFrom],
      [key, min, max, flex],
      spec.name,
    );
  }
});

Deno.test("AddPartitionsToTxn v0-3 (client form) request and response bytes", () => {
  const full = {
    transactions: [],
    v3AndBelowTransactionalId: "tx",
    v3AndBelowProducerId: 5,
    v3AndBelowProducerEpoch: 2,
    v3AndBelowTopics: [{ name: "t", partitions: [0, 3] }],
  };
  const res = {
    throttleTimeMs: 0,
    errorCode: 0,
    resultsByTransaction: [],
    resultsByTopicV3AndBelow: [{
      name: "t",
      resultsByPartition: [{ partitionIndex: 3, partitionErrorCode: 51 }],
    }],
  };
  for (const v of [0, 1, 2]) {
    requestVector(
      AddPartitionsToTxnSpec,
      v,
      cat(str("tx"), i64(5), i16(2), arr(1), str("t"), arr(2), i32(0), i32(3)),
      project(AddPartitionsToTxnSpec.request, v, full),
    );
    responseVector(
      AddPartitionsToTxnSpec,
      v,
      cat(i32(0), arr(1), str("t"), arr(1), i32(3), i16(51)),
      project(AddPartitionsToTxnSpec.response, v, res),
    );
  }
  requestVector(
    AddPartitionsToTxnSpec,
    3,
    cat(cstr("tx"), i64(5), i16(2), carr(1), cstr("t"), carr(2), i32(0), i32(3), NO_TAGS, NO_TAGS),
    project(AddPartitionsToTxnSpec.request, 3, full),
  );
  responseVector(
    AddPartitionsToTxnSpec,
    3,
    cat(i32(0), carr(1), cstr("t"), carr(1), i32(3), i16(51), NO_TAGS, NO_TAGS, NO_TAGS),
    project(AddPartitionsToTxnSpec.response, 3, res),
  );
});

Deno.test("AddPartitionsToTxn v4 (batched, verify_only) request and response bytes", () => {
  const req = {
    transactions: [{
      transactionalId: "tx",
      producerId: 9,
      producerEpoch: 1,
      verifyOnly: true,
      topics: [{ name: "t", partitions: [2] }],
    }],
    v3AndBelowTransactionalId: "",
    v3AndBelowProducerId: 0,
    v3AndBelowProducerEpoch: 0,
    v3AndBelowTopics: [],
  };
  requestVector(
    AddPartitionsToTxnSpec,
    4,
    cat(
      carr(1),
      cstr("tx"),
      i64(9),
      i16(1),
      bool(true),
      carr(1),
      cstr("t"),
      carr(1),
      i32(2),
      NO_TAGS,
      NO_TAGS,
      NO_TAGS,
    ),
    project(AddPartitionsToTxnSpec.request, 4, req),
  );
  const res = {
    throttleTimeMs: 0,
    errorCode: 0,
    resultsByTransaction: [{
      transactionalId: "tx",
      topicResults: [{ name: "t", resultsByPartition: [{ partitionIndex: 2, partitionErrorCode: 48 }] }],
    }],
    resultsByTopicV3AndBelow: [],
  };
  responseVector(
    AddPartitionsToTxnSpec,
    4,
    cat(
      i32(0),
      i16(0),
      carr(1),
      cstr("tx"),
      carr(1),
      cstr("t"),
      carr(1),
      i32(2),
      i16(48),
      NO_TAGS,
      NO_TAGS,
      NO_TAGS,
      NO_TAGS,
    ),
    project(AddPartitionsToTxnSpec.response, 4, res),
  );
});

Deno.test("AddOffsetsToTxn and EndTxn bytes (v0-2 classic, v3-4 flexible)", () => {
  for (const v of [0, 1, 2]) {
    requestVector(AddOffsetsToTxnSpec, v, cat(str("tx"), i64(7), i16(3), str("g")), {
      transactionalId: "tx",
      producerId: 7,
      producerEpoch: 3,
      groupId: "g",
    });
    requestVector(EndTxnSpec, v, cat(str("tx"), i64(7), i16(3), bool(true)), {
      transactionalId: "tx",
      producerId: 7,
      producerEpoch: 3,
      committed: true,
    });
    responseVector(AddOffsetsToTxnSpec, v, cat(i32(0), i16(90)), { throttleTimeMs: 0, errorCode: 90 });
    responseVector(EndTxnSpec, v, cat(i32(0), i16(48)), { throttleTimeMs: 0, errorCode: 48 });
  }
  for (const v of [3, 4]) {
    requestVector(AddOffsetsToTxnSpec, v, cat(cstr("tx"), i64(7), i16(3), cstr("g"), NO_TAGS), {
      transactionalId: "tx",
      producerId: 7,
      producerEpoch: 3,
      groupId: "g",
    });
    requestVector(EndTxnSpec, v, cat(cstr("tx"), i64(7), i16(3), bool(false), NO_TAGS), {
      transactionalId: "tx",
      producerId: 7,
      producerEpoch: 3,
      committed: false,
    });
    responseVector(EndTxnSpec, v, cat(i32(0), i16(0), NO_TAGS), { throttleTimeMs: 0, errorCode: 0 });
  }
});

Deno.test("DescribeTransactions v0 and ListTransactions v0-1 bytes", () => {
  requestVector(DescribeTransactionsSpec, 0, cat(carr(1), cstr("tx"), NO_TAGS), { transactionalIds: ["tx"] });
  responseVector(
    DescribeTransactionsSpec,
    0,
    cat(
      i32(0),
      carr(1),
      i16(0),
      cstr("tx"),
      cstr("Ongoing"),
      i32(60000),
      i64(1234),
      i64(9),
      i16(2),
      carr(1),
      cstr("t"),
      carr(1),
      i32(0),
      NO_TAGS,
      NO_TAGS,
      NO_TAGS,
    ),
    {
      throttleTimeMs: 0,
      transactionStates: [{
        errorCode: 0,
        transactionalId: "tx",
        transactionState: "Ongoing",
        transactionTimeoutMs: 60000,
        transactionStartTimeMs: 1234,
        producerId: 9,
        producerEpoch: 2,
        topics: [{ topic: "t", partitions: [0] }],
      }],
    },
  );
  const req = { stateFilters: ["Ongoing"], producerIdFilters: [9], durationFilter: 5000 };
  requestVector(
    ListTransactionsSpec,
    0,
    cat(carr(1), cstr("Ongoing"), carr(1), i64(9), NO_TAGS),
    project(ListTransactionsSpec.request, 0, req),
  );
  requestVector(
    ListTransactionsSpec,
    1,
    cat(carr(1), cstr("Ongoing"), carr(1), i64(9), i64(5000), NO_TAGS),
    req,
  );
  for (const v of [0, 1]) {
    responseVector(
      ListTransactionsSpec,
      v,
      cat(
        i32(0),
        i16(0),
        carr(1),
        cstr("Bogus"),
        carr(1),
        cstr("tx"),
        i64(9),
        cstr("Ongoing"),
        NO_TAGS,
        NO_TAGS,
      ),
      {
        throttleTimeMs: 0,
        errorCode: 0,
        unknownStateFilters: ["Bogus"],
        transactionStates: [{ transactionalId: "tx", producerId: 9, transactionState: "Ongoing" }],
      },
    );
  }
});
