// What validation (batch.ts, legacy.ts) learns about the batches of a produce payload, and that payload with its
// batches as the later steps (recompression, the producer check, the storage backends) receive it. Here rather than
// in src/storage so that src/records depends on nothing above it.

/** What the records layer learned while validating one RecordBatch v2 inside a produce payload. */
export interface BatchInfo {
  /** Byte position of the batch inside the payload buffer. */
  readonly pos: number;
  /** Total bytes of the batch (12-byte prefix + batchLength). */
  readonly size: number;
  readonly recordCount: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly attributes: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** One or more validated RecordBatch v2, back to back, with what validation learned about each. */
export interface ValidatedBatches {
  readonly payload: Uint8Array;
  readonly batches: readonly BatchInfo[];
  /**
   * The uncompressed records section of each batch, when the produce path already decompressed it while
   * validating (null for a batch whose records are uncompressed in `payload`), so no later step decompresses twice.
   */
  readonly inflated?: readonly (Uint8Array | null)[];
  /**
   * The payload's buffer is handed over: nobody changes or reuses it after the append (a request frame, read into
   * a buffer of its own by the connection), so the storage may keep views of it instead of a copy.
   */
  readonly owned?: boolean;
}
