// The consistency check that runs before the gateway uses a partition on a broker (PartitionState.ensureReady runs
// it once per leader broker incarnation), and the files of the partition directory it reads and writes.
//
// Why a consistency check (SeaweedFS 4.48, read from weed/mq/broker and weed/mq/offset, reproduced in
// tests/integration): a broker keeps two offset counters per partition, both rebuilt when it (re)loads the
// partition -- after its own restart, after the last publisher of the partition leaves, after idle cleanup:
//   - the offset assigner resumes from checkpoint.offset in the partition directory, which the broker writes only
//     every 2 s: after a crash it can be behind the data already flushed, and it then hands out offsets that
//     already exist (new records become unreadable);
//   - the read buffer resumes from the offset_max attributes of the flushed files, but the first file of a
//     partition (offsets from 0) has none: while it is the only file, reads see an empty partition.
// Before it publishes to (or reads or lists offsets of) a partition on a broker it has not checked since that
// broker last failed, the gateway: raises checkpoint.offset to the end of the flushed data when it is behind;
// asks the broker for its assigner's high watermark N; writes a marker file with offset_max = N-1 (its name ends
// in ".offset", which the broker's readers skip, while its high-watermark scan counts it); and checks that the read
// buffer agrees (reloading the partition once when it does not).
import { sleep, type SmqContext } from "./context.ts";
import type { PartitionLogFiles } from "./log_files.ts";
import type { Filer } from "./transport/filer.ts";

/** The gateway's high-watermark marker in each partition directory (see the header comment). */
export const HWM_MARKER = "kafka_gateway_hwm.offset";
export const CHECKPOINT = "checkpoint.offset";

/** What the check needs of a partition (PartitionState): its files, its calls to the broker, its high watermark. */
export interface CheckedPartition {
  readonly ctx: Pick<SmqContext, "filer" | "log">;
  readonly name: string;
  /** Direct reads of the partition's log files; null without them. */
  readonly files: Pick<PartitionLogFiles, "lastOffset"> | null;
  /** The partition directory (partitionDir) of the current assignment. */
  dir(): string;
  /** Highest known high watermark. */
  hw(): number;
  /** Raises the highest known high watermark to `n` when it is below. */
  raiseHw(n: number): void;
  /** The first offset the partition's publisher (or the one being released) can publish again; -1 for none. */
  replayableFrom(): number;
  rangeInfo(): Promise<{ highWaterMark: number }>;
  /** The broker's read-buffer end, from a FetchMessage far beyond the data (loads the partition). */
  bufferEnd(): Promise<number>;
  /** Opens and closes a publish stream: with no other publisher, the broker unloads (and flushes) the partition. */
  bounce(): Promise<void>;
}

export function be64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(Math.max(0, n)));
  return b;
}

function readBe64(b: Uint8Array | undefined): number {
  if (!b || b.length !== 8) return -1;
  return Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0));
}

/**
 * The partition directory's entries with what the check reads of them: the largest offset_max of the log files
 * (dataMax; the first file may have none), the marker's and the checkpoint's.
 */
export async function listPartitionFiles(filer: Filer, dir: string) {
  const entries = await filer.list(dir);
  let dataMax = -1, markerMax = -1, checkpoint = -1;
  for (const e of entries) {
    if (e.isDirectory) continue;
    if (e.name === CHECKPOINT) checkpoint = readBe64(e.content);
    else if (e.name === HWM_MARKER) markerMax = readBe64(e.extended.get("offset_max"));
    else if (!e.name.endsWith(".offset")) {
      dataMax = Math.max(dataMax, readBe64(e.extended.get("offset_max")));
    }
  }
  return { dir, entries, dataMax, markerMax, checkpoint };
}

/** The check itself (header comment); raises the partition's high watermark to the broker's. */
export async function checkPartition(p: CheckedPartition): Promise<void> {
  const { filer, log } = p.ctx;
  const { dir, entries, dataMax, markerMax, checkpoint } = await listPartitionFiles(p.ctx.filer, p.dir());
  // 1. The assigner must not start below the flushed data, nor below offsets acknowledged for records that
  // nobody re-publishes (they stay a gap: an acknowledged offset is never handed out for another record)...
  const flushedEnd = dataMax >= 0 ? dataMax + 1 : Math.max(markerMax + 1, 0);
  const from = p.replayableFrom();
  const floor = Math.max(flushedEnd, from >= 0 ? from : p.hw());
  if (checkpoint + 1 < floor) {
    log(
      "warn",
      `${p.name}: checkpoint.offset ${checkpoint} is behind the stored data (${flushedEnd})` +
        (floor > flushedEnd ? ` or the acknowledged offsets (${floor})` : "") + `; raising it`,
    );
    await filer.put(dir, CHECKPOINT, be64(floor - 1));
  } else if (checkpoint + 1 > floor && from >= 0) {
    // 1b. ...nor above the lost records this gateway re-publishes (see lowerCheckpoint).
    await lowerCheckpoint(p, dir, entries, checkpoint, markerMax);
  }
  // 2. The assigner's high watermark (creates the broker's offset manager from the checkpoint if needed).
  const n = (await p.rangeInfo()).highWaterMark;
  // 3. Make the read buffer's reload agree with it.
  if (n >= 1 && markerMax !== n - 1) {
    await filer.put(
      dir,
      HWM_MARKER,
      new Uint8Array(0),
      new Map([["offset_min", be64(0)], ["offset_max", be64(n - 1)]]),
    );
  }
  let hwm = n;
  for (let attempt = 0;; attempt++) {
    const x = await p.bufferEnd();
    if (x === hwm || hwm <= 1) break; // 1 cannot be expressed in offset attributes (the broker ignores 0)
    if (x > hwm) {
      // Either another publisher appended meanwhile (then the range info, which also counts the loaded read
      // buffer, has caught up) or the assigner started below the stored data before this check could fix it.
      hwm = (await p.rangeInfo()).highWaterMark;
      if (x <= hwm) break;
      log(
        "error",
        `${p.name}: the broker's offset assigner (${hwm}) is behind its stored data (${x}): ` +
          `new records may reuse offsets until the broker restarts`,
      );
      break;
    }
    if (attempt >= 3) {
      log(
        "warn",
        `${p.name}: broker read buffer ends at ${x} but offsets continue at ${hwm}; continuing`,
      );
      break;
    }
    log("info", `${p.name}: broker read buffer ends at ${x}, offsets continue at ${hwm}: reloading it`);
    await p.bounce();
    await sleep(100 * (attempt + 1));
  }
  p.raiseHw(hwm);
}

/**
 * After a broker crash, before the restarted broker creates the partition's offset assigner: lowers
 * checkpoint.offset so that the assigner continues at the first lost record this gateway re-publishes, and each
 * re-published record lands at the offset acknowledged for it.
 *
 * Why (SeaweedFS 4.48, weed/mq/offset/manager.go): a broker creates a partition's assigner on its first use after
 * the broker started (publish, GetPartitionRangeInfo) at checkpoint.offset + 1, and keeps it in memory until it
 * exits (unloading the partition does not drop it). The broker writes checkpoint.offset every 2 s from its
 * in-memory counter, whatever it has flushed: a broker killed after a checkpoint and before the next flush
 * (every -logFlushInterval seconds) restarts its counter past records it never stored -- measured: re-published
 * records landed 5 to 3,400 offsets above the offsets acknowledged to the producer.
 * Lowered only down to the end of the flushed data (log files are the authority: records there are stored) and
 * only as far as this gateway's publisher holds the acknowledged records to re-publish (offsets acknowledged for
 * records nobody re-publishes stay a gap rather than being reused for other records).
 */
async function lowerCheckpoint(
  p: CheckedPartition,
  dir: string,
  entries: readonly { name: string; isDirectory: boolean; extended: ReadonlyMap<string, Uint8Array> }[],
  checkpoint: number,
  markerMax: number,
): Promise<void> {
  const from = p.replayableFrom();
  if (from < 0 || from > checkpoint) return; // nothing to re-publish in the range the assigner would skip
  // the end of the flushed data: offset_max of the log files, or their records (the first file may have none)
  let stored = -1;
  let unknown = false;
  for (const e of entries) {
    if (e.isDirectory || e.name.endsWith(".offset")) continue;
    const max = readBe64(e.extended.get("offset_max"));
    if (max < 0) unknown = true;
    stored = Math.max(stored, max);
  }
  if (unknown) {
    if (!p.files) return; // cannot tell where the flushed data ends: leave the assigner where it is
    stored = Math.max(stored, await p.files.lastOffset());
  }
  const target = Math.max(stored + 1, from);
  if (target >= checkpoint + 1) return;
  p.ctx.log(
    "warn",
    `${p.name}: checkpoint.offset ${checkpoint} is past the flushed data (which ends at ${stored + 1}); ` +
      `lowering it so that the lost records re-published from offset ${target} keep their offsets`,
  );
  if (target > 0) await p.ctx.filer.put(dir, CHECKPOINT, be64(target - 1));
  else await p.ctx.filer.remove(dir, CHECKPOINT, false);
  if (markerMax >= target) await p.ctx.filer.remove(dir, HWM_MARKER, false);
}
