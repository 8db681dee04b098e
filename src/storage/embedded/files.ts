// File-system helpers of the embedded log: positional sync reads, full writes, atomic replace, directory
// fsync, segment file names and the mapping of I/O failures to KAFKA_STORAGE_ERROR.
import { basename, dirname, join } from "node:path";
import { ErrorCode } from "../../protocol/errors.ts";
import { StorageError } from "../storage.ts";

export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIMEINDEX_SUFFIX = ".timeindex";

/** `00000000000000000042.log`: 20-digit zero-padded base offset, as Kafka names segments. */
export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, "0") + suffix;
}

/** Base offset of a segment file name, or null when the name is not a segment file with that suffix. */
export function parseSegmentFileName(name: string, suffix: string): number | null {
  if (!name.endsWith(suffix)) return null;
  const digits = name.slice(0, -suffix.length);
  if (!/^\d{20}$/.test(digits)) return null;
  const v = Number(digits);
  return Number.isSafeInteger(v) ? v : null;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Wraps an I/O failure as StorageError(KAFKA_STORAGE_ERROR) naming the operation and the cause; the original error
 * stays in `cause` (its errno class feeds health.ts).
 */
export function ioError(what: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  const err = new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${errorText(cause)}`);
  err.cause = cause;
  return err;
}

/** A metadata file read at start cannot be used; the message is one line and says what to do. */
export class MetadataFileError extends Error {
  override name = "MetadataFileError";
}

/** `text` on one line, control characters blanked and cut to `max` characters (parser messages quote input). */
export function oneLine(text: string, max = 200): string {
  // deno-lint-ignore no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/**
 * The start-up error for a metadata file that exists but cannot be used (unparsable, wrong shape). It names the
 * file, the problem and the way out: restoring it, a `.tmp` copy an interrupted atomic replace left beside it, or
 * `otherwise` (e.g. "or delete it to get a new cluster id"). The file itself is never deleted or rewritten: what it
 * describes exists nowhere else.
 */
export function corruptFileError(
  path: string,
  problem: string,
  holds: string,
  otherwise = "",
): MetadataFileError {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const copies: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile && e.name.startsWith(prefix) && e.name.endsWith(".tmp")) copies.push(join(dir, e.name));
    }
  } catch { /* no listing: no hint */ }
  const copy = copies.length === 0
    ? ""
    : `, or, if ${copies.sort().join(" or ")} holds a complete copy (an ` +
      `interrupted save leaves one), move it over ${path}`;
  return new MetadataFileError(
    `${path} is unusable: ${oneLine(problem)}. It holds ${holds}: restore it from a backup${copy}` +
      `${otherwise ? `, ${otherwise}` : ""}, and start again (the file was left untouched)`,
  );
}

export function writeAllSync(file: Deno.FsFile, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += file.writeSync(data.subarray(off));
}

/** Reads up to `len` bytes at `pos`; shorter only at end of file. */
export function readAtSync(file: Deno.FsFile, pos: number, len: number): Uint8Array {
  const buf = new Uint8Array(len);
  file.seekSync(pos, Deno.SeekMode.Start);
  let off = 0;
  while (off < len) {
    const n = file.readSync(buf.subarray(off));
    if (n === null || n === 0) break;
    off += n;
  }
  return off === len ? buf : buf.subarray(0, off);
}

export function readFileOrNull(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * fsync/fdatasync calls issued by the embedded log in this process, by what was synced: segment logs, the group
 * log, directories, atomically replaced metadata files. Shown as kgw_storage_fsyncs_total{file}; tests read it to
 * check that "--fsync always" syncs before every acknowledgement and "interval" does not. One increment per call.
 */
export const fsyncCounts = { segment: 0, group_log: 0, directory: 0, metadata: 0 };

export async function fsyncDir(dir: string): Promise<void> {
  fsyncCounts.directory++;
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}

/**
 * Replaces `path` atomically (temp file + rename); with `durable`, fsyncs the file and its directory (with
 * `syncDir` when given: a caller that shares one directory fsync among concurrent writes).
 */
export async function atomicWrite(
  path: string,
  data: Uint8Array,
  durable: boolean,
  syncDir?: () => Promise<void>,
): Promise<void> {
  const rnd = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  const tmp = `${path}.${rnd}.tmp`;
  try {
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      writeAllSync(f, data);
      if (durable) {
        fsyncCounts.metadata++;
        await f.syncData();
      }
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  if (durable) await (syncDir ? syncDir() : fsyncDir(dirname(path)));
}

export async function removeIfExists(path: string, recursive = false): Promise<void> {
  try {
    await Deno.remove(path, { recursive });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
