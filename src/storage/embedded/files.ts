// File-system helpers of the embedded log: positional sync reads, full writes, atomic replace, directory
// fsync, segment file names and the mapping of I/O failures to KAFKA_STORAGE_ERROR.
import { dirname } from "node:path";
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

/** Wraps an I/O failure as StorageError(KAFKA_STORAGE_ERROR) naming the operation and the cause. */
export function ioError(what: string, cause: unknown): StorageError {
  if (cause instanceof StorageError) return cause;
  return new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${what}: ${errorText(cause)}`);
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

export async function fsyncDir(dir: string): Promise<void> {
  const d = await Deno.open(dir, { read: true });
  try {
    await d.sync();
  } finally {
    d.close();
  }
}

/** Replaces `path` atomically (temp file + rename); with `durable`, fsyncs the file and its directory. */
export async function atomicWrite(path: string, data: Uint8Array, durable: boolean): Promise<void> {
  const rnd = crypto.getRandomValues(new Uint32Array(1))[0].toString(16);
  const tmp = `${path}.${rnd}.tmp`;
  try {
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      writeAllSync(f, data);
      if (durable) await f.syncData();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  if (durable) await fsyncDir(dirname(path));
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
