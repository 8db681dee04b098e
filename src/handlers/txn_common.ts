// What the transaction handlers share: the coordinator (or the answer when this gateway has none), Kafka's
// per-version error mapping, and the check that a transaction's partitions exist.
import type { Broker, RequestContext } from "../request/context.ts";
import type { TransactionCoordinator } from "../transactions/coordinator.ts";
import type { TopicPartitionRef } from "../cluster/view.ts";
import { ErrorCode } from "../protocol/errors.ts";
import { errorCodeOf, errorMessageOf } from "./auto_create.ts";

/** The coordinator, or null when the gateway runs without transactions (the APIs answer COORDINATOR_NOT_AVAILABLE). */
export function transactionsOf(broker: Broker): TransactionCoordinator | null {
  return broker.transactions ?? null;
}

/**
 * The error code of a failed coordinator call for a request of `version`: PRODUCER_FENCED exists from
 * `fencedFrom` on (AddPartitionsToTxn, AddOffsetsToTxn, EndTxn: v2; InitProducerId: v4), older clients know it as
 * INVALID_PRODUCER_EPOCH. Unexpected failures are logged.
 */
export function txnErrorCode(ctx: RequestContext, e: unknown, what: string, fencedFrom: number): number {
  let code = errorCodeOf(e);
  if (code === ErrorCode.PRODUCER_FENCED && ctx.header.apiVersion < fencedFrom) {
    code = ErrorCode.INVALID_PRODUCER_EPOCH;
  }
  if (code === ErrorCode.UNKNOWN_SERVER_ERROR) {
    ctx.log.error("{what} failed: {reason}", { what, reason: String((e as Error)?.stack ?? e) });
  } else {
    ctx.log.debug("{what}: {reason}", { what, reason: errorMessageOf(e) });
  }
  return code;
}

/** Whether the partition exists (a topic another gateway created moments ago is looked up in shared storage). */
export async function partitionExists(broker: Broker, tp: TopicPartitionRef): Promise<boolean> {
  const t = broker.storage.getTopic(tp.topic) ?? await broker.storage.findTopic?.(tp.topic);
  return t !== undefined && tp.partition >= 0 && tp.partition < t.partitions;
}
