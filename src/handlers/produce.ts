// Produce: validate each partition's batches (CRC32C, sizes, offsets; uncompressed records walked in place,
// compressed ones decompressed under a cap and walked the same way), convert legacy message sets (Produce v0-2)
// to RecordBatch v2, recompress when the topic's compression.type names a codec, refuse records without a key on
// compacted topics, check records against the schema registry on topics with confluent.*.schema.validation
// (src/schema_registry/validation.ts), stamp LogAppendTime when the topic asks for it, and append. acks=0 gets no response at all
// (src/server/pipeline/pipeline.ts drops it, and closes the connection when a partition failed, as Kafka does).
// Only the partition's leader appends: elsewhere NOT_LEADER_OR_FOLLOWER, with the current leader and its endpoint
// from v10 (KIP-951). Leadership is checked up front and again in the tick the backend's append is issued
// (LeaderAppend), which stamps the serving leader epoch into the batches. Transactional batches (KIP-98) go
// through the idempotent append step, which ends with a KIP-890 verification by the transaction's coordinator
// when the batch starts the producer's transaction in the partition.
import type { Answer, Broker, Handler } from "../request/context.ts";
import { type Delivery, NO_ANSWER, SEND } from "./registry.ts";
import type {
  ProduceRequest,
  ProduceRequestPartition,
  ProduceResponse,
  ProduceResponsePartition,
  ProduceResponseTopic,
} from "../protocol/messages/produce.ts";
import type { AppendRequest, TopicMeta } from "../storage/storage.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf, topicOrAutoCreate } from "./auto_create.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TRANSACTIONAL,
  inflateBatches,
  inflateLimit,
  MAGIC_OFFSET,
  stampLogAppendTime,
  validateBatches,
} from "../records/batch.ts";
import { idempotentBatchOf } from "../producer/manager.ts";
import { appendIdempotent } from "../producer/append.ts";
import { LeaderAppend } from "../producer/leader_append.ts";
import { legacyToBatchV2 } from "../records/legacy.ts";
import type { BatchInfo } from "../records/batch_info.ts";
import { allRecords, recompressBatches, requireKeys } from "../records/recompress.ts";
import { InvalidRecordsError, validateRecords } from "../schema_registry/validation.ts";
import { ApiKey } from "../protocol/api_keys.ts";
import { LeaderHints, servingEpochOf } from "./routing.ts";
import { refuseInternal } from "./topic_rules.ts";

/**
 * A payload with a transactional batch (Kafka's KafkaApis.handleProduceRequest and ProduceRequest validation):
 * the request must name its transactional id (else TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka answers before
 * any authorization), and the batch must carry a producer id (INVALID_RECORD); more than one batch with a producer
 * id is refused by idempotentBatchOf.
 */
function checkTransactional(req: AppendRequest, transactionalId: string | null): void {
  if (transactionalId === null) {
    throw new KafkaError(
      ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      "Transactional records require the produce request's transactional id",
    );
  }
  for (const b of req.batches) {
    if ((b.attributes & ATTR_TRANSACTIONAL) !== 0 && b.producerId < 0) {
      throw new KafkaError(ErrorCode.INVALID_RECORD, "A transactional record batch must carry a producer id");
    }
  }
}

/** Validates (and for legacy formats converts) one partition's records; throws KafkaError. */
async function prepare(
  broker: Broker,
  t: TopicMeta,
  p: ProduceRequestPartition,
  version: number,
  transactionalId: string | null,
): Promise<{ append: AppendRequest; logAppendTime: number; transactional: boolean }> {
  const records = p.records;
  if (records === null || records.length === 0) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, "Produce request contains no record batch");
  }
  if (records.length <= MAGIC_OFFSET) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, "Record data is truncated");
  }
  const magic = records[MAGIC_OFFSET];
  // max.message.bytes, message.timestamp.type, compression.type, cleanup.policy (cached per topic config).
  const policy = broker.configs.policy(t);
  const limit = policy.maxMessageBytes;
  let req: AppendRequest;
  if (magic === 2) {
    // the request frame is the connection's gift to this request (src/server/frame_reader.ts)
    req = { payload: records, batches: validateBatches(records, limit), owned: true };
  } else if (magic === 0 || magic === 1) {
    if (version >= 3) {
      throw new KafkaError(
        ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT,
        `Produce requests with version ${version} are only allowed to contain record batches with magic version 2`,
      );
    }
    req = await legacyToBatchV2(records, { maxDecompressedBytes: inflateLimit(limit) });
  } else {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `Unknown record batch magic ${magic}`);
  }
  if (req.batches.length === 0) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, "Produce request contains no record");
  }
  let compressed = false;
  let transactional = false;
  for (const b of req.batches) {
    compressed ||= (b.attributes & ATTR_COMPRESSION_MASK) !== 0;
    transactional ||= (b.attributes & ATTR_TRANSACTIONAL) !== 0;
    if (b.size > limit) {
      throw new KafkaError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `The record batch of ${b.size} bytes is larger than max.message.bytes ${limit}`,
      );
    }
  }
  if (transactional) checkTransactional(req, transactionalId);
  // A compressed batch is decompressed once, here, so that one whose payload is corrupt or whose records do not
  // match its header is refused instead of stored for every consumer to fail on; the decompressed records travel
  // with the request to the steps below and the backend. Legacy up-conversions were built here from parsed
  // messages and need no check. Uncompressed batches skip this (no await, no allocation).
  if (compressed && magic === 2) {
    req = { ...req, inflated: await inflateBatches(req.payload, req.batches, inflateLimit(limit)) };
  }
  // Per-record work only when the topic's configs ask for it.
  if (policy.codec >= 0) req = await recompressBatches(req, policy.codec, policy.zstdLevel, limit);
  if (policy.compact) await requireKeys(req, `${t.name}-${p.index}`, limit);
  if (policy.schemas !== null) {
    await validateRecords(broker.schemas ?? null, policy.schemas, t.name, await allRecords(req, limit));
  }
  if (!policy.logAppendTime) return { append: req, logAppendTime: -1, transactional };
  const now = Date.now();
  for (const b of req.batches) stampLogAppendTime(req.payload, b.pos, b.size, now);
  return { append: req, logAppendTime: now, transactional };
}

/**
 * KIP-890 part 1: the check the append step runs before the first transactional batch of a producer in a
 * partition, asking the transaction's coordinator (here or on another gateway) whether the partition was added.
 */
function verifier(
  broker: Broker,
  transactionalId: string,
  b: BatchInfo,
  topic: string,
  partition: number,
): () => Promise<void> {
  const v = broker.txnVerifier;
  if (v === undefined || v === null) {
    return () =>
      Promise.reject(
        new KafkaError(ErrorCode.INVALID_TXN_STATE, "Transactions are not enabled on this gateway"),
      );
  }
  // As Kafka's AddPartitionsToTxnManager answers a produce: a fenced epoch is INVALID_PRODUCER_EPOCH there (since
  // Kafka 2.7 Produce never answers PRODUCER_FENCED, so the client can abort; the abort itself is then fenced).
  // A coordinator that cannot answer now (down, moving, loading, or the transaction completing) is
  // NOT_ENOUGH_REPLICAS, as Kafka's ReplicaManager translates it: Kafka never answers a produce with a coordinator
  // error, so clients need not retry those there, while NOT_ENOUGH_REPLICAS is retried by all of them without a
  // metadata refresh. CONCURRENT_TRANSACTIONS is translated too: no Produce version served here (<= 11) tells that
  // the client handles it (KIP-890 part 2).
  return () =>
    v.verify(transactionalId, b.producerId, b.producerEpoch, { topic, partition }).catch((e: unknown) => {
      if (e instanceof KafkaError && e.code === ErrorCode.PRODUCER_FENCED) {
        throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, e.message);
      }
      if (e instanceof KafkaError && RETRY_VERIFICATION.has(e.code)) {
        throw new KafkaError(
          ErrorCode.NOT_ENOUGH_REPLICAS,
          `the partition could not be verified with the transaction's coordinator: ${e.message}`,
        );
      }
      throw e;
    });
}

/**
 * Produce's delivery rule (ApiHooks): acks=0 gets no response, and a failed partition (unknown topic, not leader,
 * refused by an ACL...) closes the connection instead, as Kafka does: the client notices, refreshes its metadata
 * and retries elsewhere.
 */
export function produceDelivery(req: ProduceRequest, res: Answer<ProduceResponse>): Delivery {
  if (req.acks !== 0) return SEND;
  for (const t of res.responses) {
    for (const p of t.partitionResponses) {
      if (p.errorCode !== 0) {
        return { kind: "close", why: `acks=0 Produce failed on ${t.name}-${p.index}: error ${p.errorCode}` };
      }
    }
  }
  return NO_ANSWER;
}

/** Verification failures a produce answers as NOT_ENOUGH_REPLICAS (Kafka's ReplicaManager, KIP-890 part 1). */
const RETRY_VERIFICATION: ReadonlySet<number> = new Set([
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.CONCURRENT_TRANSACTIONS,
]);

export const produceHandler: Handler<ProduceRequest, ProduceResponse> = async (ctx, req) => {
  const { broker } = ctx;
  const v = ctx.header.apiVersion;
  const metrics = broker.metrics ?? null;
  const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const txnId = req.transactionalId ?? null;
  const pending: Promise<void>[] = [];
  const responses: ProduceResponseTopic[] = [];
  const hints = new LeaderHints(broker.cluster, ctx.listener.name);
  for (const topic of req.topicData) {
    const partitionResponses: ProduceResponsePartition[] = [];
    responses.push({ name: topic.name, partitionResponses });
    for (const p of topic.partitionData) {
      const r: ProduceResponsePartition = {
        index: p.index,
        errorCode: ErrorCode.NONE,
        baseOffset: -1,
        logAppendTimeMs: -1,
        logStartOffset: -1,
        recordErrors: [],
        errorMessage: null,
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
      };
      partitionResponses.push(r);
      const fail = (e: unknown) => {
        r.errorCode = errorCodeOf(e);
        r.errorMessage = errorMessageOf(e);
        if (e instanceof InvalidRecordsError) r.recordErrors = [...e.recordErrors];
        if (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && v >= 10) {
          r.currentLeader = hints.leader(topic.name, p.index);
        }
        metrics?.error(ApiKey.Produce, r.errorCode);
        if (r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
          ctx.log.error("produce to {topic}-{partition} failed: {reason}", {
            topic: topic.name,
            partition: p.index,
            reason: String((e as Error)?.stack ?? e),
          });
        }
      };
      try {
        if (!acksValid) throw new KafkaError(ErrorCode.INVALID_REQUIRED_ACKS);
        refuseInternal(topic.name, "append to");
        // Fast path keeps appends issued in request order without an await when the topic exists.
        const t = broker.storage.getTopic(topic.name) ?? await topicOrAutoCreate(broker, topic.name, true);
        if (p.index < 0 || p.index >= t.partitions) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        // Checked up front (no work for a partition served elsewhere) and again as the append is issued.
        const storage = new LeaderAppend(
          broker.storage,
          broker.cluster,
          servingEpochOf(broker.cluster, t.name, p.index),
        );
        pending.push(
          prepare(broker, t, p, v, txnId).then(async ({ append, logAppendTime, transactional }) => {
            const idempotent = idempotentBatchOf(append.batches);
            if (idempotent === null) {
              const res = await storage.append(t.name, p.index, append);
              let end = res.baseOffset;
              for (const b of append.batches) end += b.lastOffsetDelta + 1;
              broker.producers.follow(t, p.index, end);
              if (metrics !== null) metrics.produced(t.name, append.payload.length, append.batches);
              r.baseOffset = res.baseOffset;
              r.logAppendTimeMs = logAppendTime;
              r.logStartOffset = res.logStartOffset;
              return;
            }
            // Sequence rules; an exact retry of a stored batch gets its original offset and writes nothing.
            const res = await appendIdempotent(
              storage,
              broker.producers,
              t,
              p.index,
              append,
              idempotent,
              transactional ? verifier(broker, txnId!, idempotent, t.name, p.index) : null,
            );
            r.baseOffset = res.baseOffset;
            r.logAppendTimeMs = res.duplicate === null || logAppendTime < 0
              ? logAppendTime
              : res.duplicate.timestamp;
            r.logStartOffset = res.logStartOffset;
            if (metrics !== null) {
              if (res.duplicate === null) metrics.produced(t.name, append.payload.length, append.batches);
              else metrics.produceDuplicates++;
            }
          }).catch(fail),
        );
      } catch (e) {
        fail(e);
      }
    }
  }
  await Promise.all(pending);
  // Also for acks=0: the pipeline sends it only when acks != 0, and closes the connection on a failed partition.
  return { responses, nodeEndpoints: hints.endpoints() };
};
