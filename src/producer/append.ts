// The produce path of an idempotent batch: sequence check and append in one synchronous step (no await between
// them, so no other append to the partition can interleave on a backend whose append assigns offsets
// synchronously, as the embedded log does), then the state learns the assigned offsets.
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { AppendRequest, BatchInfo, Storage, TopicMeta } from "../storage/storage.ts";
import type { ProducerManager } from "./manager.ts";
import type { BatchMetadata } from "./state.ts";

export interface IdempotentAppendResult {
  readonly baseOffset: number;
  readonly logStartOffset: number;
  /** Set when the batch was a retry of one already stored: nothing was written. */
  readonly duplicate: BatchMetadata | null;
}

export async function appendIdempotent(
  storage: Pick<Storage, "append" | "offsets">,
  producers: ProducerManager,
  topic: TopicMeta,
  partition: number,
  req: AppendRequest,
  batch: BatchInfo,
): Promise<IdempotentAppendResult> {
  const s = producers.partition(topic, partition);
  const state = s instanceof Promise ? await s : s;
  const verdict = state.check(batch, Date.now());
  if (verdict.kind === "duplicate") {
    const d = verdict.batch;
    if (d.pending !== null) await d.pending; // the original is still being appended
    if (d.firstOffset < 0) {
      throw new KafkaError(
        ErrorCode.KAFKA_STORAGE_ERROR,
        "The first attempt of this batch failed while the retry arrived; retry again",
      );
    }
    const o = await storage.offsets(topic.name, partition);
    return { baseOffset: d.firstOffset, logStartOffset: o.logStartOffset, duplicate: d };
  }
  const r = verdict.reservation;
  try {
    const res = await storage.append(topic.name, partition, req);
    state.complete(r, res.baseOffset);
    return { baseOffset: res.baseOffset, logStartOffset: res.logStartOffset, duplicate: null };
  } catch (e) {
    state.abort(r);
    throw e;
  }
}
