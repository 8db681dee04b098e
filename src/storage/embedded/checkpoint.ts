// A partition's checkpoint file: the log start offset and recovery point (plus the log cleaner's progress), written
// by the partition (atomic replace) and read when it opens, where the recovery point bounds the crash-recovery
// scan. Kept apart so that the file's fields, its reading and the "nothing changed" test live in one place.
import { join } from "node:path";
import { errorText, oneLine, readFileOrNull } from "./files.ts";
import type { LogFn } from "./options.ts";

export interface Checkpoint {
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
  /** Log cleaner: everything below was compacted (Kafka's cleaner offset checkpoint). */
  readonly cleanerOffset?: number;
  /** Log cleaner: earliest delete horizon of tombstones kept in cleaned batches, -1 when none. */
  readonly deleteHorizon?: number;
}

export const CHECKPOINT_FILE = "partition.checkpoint";

/** Whether writing `b` over `a` would change nothing (a non-durable write is then skipped). */
export function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return a.logStartOffset === b.logStartOffset && a.recoveryPoint === b.recoveryPoint &&
    a.cleanerOffset === b.cleanerOffset && a.deleteHorizon === b.deleteHorizon;
}

/**
 * The partition's checkpoint, or null when there is none or it cannot be used: then every segment is scanned and
 * the log starts at the first segment (a DeleteRecords bound above it is lost, the records are not), which is
 * logged, as the file's problem may be worth a look.
 */
export function readCheckpoint(dir: string, log: LogFn): Checkpoint | null {
  const path = join(dir, CHECKPOINT_FILE);
  const unusable = (why: string): null => {
    log(
      "warn",
      `${path} is unusable (${
        oneLine(why)
      }); recovering by a full scan of the segments, the log start offset ` +
        `falls back to the first segment's base offset`,
    );
    return null;
  };
  try {
    const raw = readFileOrNull(path);
    if (raw === null) return null;
    let v: unknown;
    try {
      v = JSON.parse(new TextDecoder().decode(raw));
    } catch (e) {
      return unusable(raw.length === 0 ? "empty" : `not valid JSON: ${errorText(e)}`);
    }
    if (typeof v !== "object" || v === null) return unusable("not a JSON object");
    const o = v as Record<string, unknown>;
    const ls = o.logStartOffset;
    const rp = o.recoveryPoint;
    if (!Number.isSafeInteger(ls) || !Number.isSafeInteger(rp)) {
      return unusable("logStartOffset or recoveryPoint missing");
    }
    const co = Number.isSafeInteger(o.cleanerOffset) ? Math.max(0, o.cleanerOffset as number) : 0;
    const dh = Number.isSafeInteger(o.deleteHorizon) ? o.deleteHorizon as number : -1;
    return {
      logStartOffset: Math.max(0, ls as number),
      recoveryPoint: Math.max(0, rp as number),
      cleanerOffset: co,
      deleteHorizon: dh,
    };
  } catch (e) {
    return unusable(errorText(e));
  }
}
