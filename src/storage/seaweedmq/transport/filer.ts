// Filer operations on small inline files: committed offsets, group and topic metadata, and the partition
// bookkeeping files the gateway keeps consistent for the broker (see partition_repair.ts).
import type { SmqCluster } from "./cluster.ts";
import { Rpc } from "./messages.ts";
import {
  decodeCreateEntryResponse,
  decodeDeleteEntryResponse,
  decodeListEntriesResponse,
  decodeLockResponse,
  decodeLookupDirectoryEntryResponse,
  decodeObjectTransactionResponse,
  decodeUnlockResponse,
  encodeCreateEntryRequest,
  encodeDeleteEntryRequest,
  encodeDeleteIfEtagRequest,
  encodeListEntriesRequest,
  encodeLockRequest,
  encodeLookupDirectoryEntryRequest,
  encodeUnlockRequest,
  encodeUpdateEntryRequest,
  type Entry,
  type LockRequest,
  type LockResponse,
  PRECONDITION_FAILED,
} from "./filer_messages.ts";
import { rpcCode, Status } from "./grpc.ts";

const PAGE = 1024;
/** filer_pb.FilerError.ENTRY_ALREADY_EXISTS */
const ENTRY_ALREADY_EXISTS = 5;

/** The filer answers a missing entry with its ErrNotFound text inside an UNKNOWN status. */
export function isNotFound(e: unknown): boolean {
  const m = String((e as Error)?.message ?? e);
  return /no entry is found|not found|NotFound|does not exist/i.test(m) ||
    (e as { code?: number })?.code === 5;
}

export class FilerError extends Error {
  override name = "FilerError";
}

export function splitPath(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf("/");
  return { dir: i <= 0 ? "/" : path.slice(0, i), name: path.slice(i + 1) };
}

/** An UpdateEntry whose expected extended attributes did not match (or whose entry is gone). */
export function isPreconditionFailed(e: unknown): boolean {
  return rpcCode(e) === Status.FAILED_PRECONDITION ||
    /precondition|changed/i.test(String((e as Error)?.message));
}

export class Filer {
  /**
   * `timeoutMs` bounds each call; `retryMs` bounds the retries on transient errors (another filer, a refreshed
   * list): callers that must stay bounded in time (the cluster's leases) pass a short one.
   */
  constructor(
    private readonly cluster: SmqCluster,
    private readonly timeoutMs: number,
    private readonly retryMs = 15_000,
  ) {}

  /** The entry at dir/name, or null when it does not exist. */
  lookup(dir: string, name: string): Promise<Entry | null> {
    return this.cluster.withFiler(async (ch) => {
      try {
        return decodeLookupDirectoryEntryResponse(
          await ch.unary(
            Rpc.LookupDirectoryEntry,
            encodeLookupDirectoryEntryRequest(dir, name),
            this.timeoutMs,
          ),
        );
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    }, this.retryMs);
  }

  /** Every entry of a directory (empty when it does not exist), in name order. */
  async list(dir: string, prefix = "", withChunks = false): Promise<Entry[]> {
    const out: Entry[] = [];
    let start = "";
    for (;;) {
      const page = await this.cluster.withFiler(async (ch) => {
        try {
          const msgs = await ch.serverStream(
            Rpc.ListEntries,
            encodeListEntriesRequest({
              directory: dir,
              prefix,
              startFromFileName: start,
              limit: PAGE,
              withChunks,
            }),
            this.timeoutMs,
          );
          return msgs.map(decodeListEntriesResponse).filter((e): e is Entry => e !== null);
        } catch (e) {
          if (isNotFound(e)) return [];
          throw e;
        }
      }, this.retryMs);
      out.push(...page);
      if (page.length < PAGE) return out;
      start = page[page.length - 1].name;
    }
  }

  /** Creates or replaces a small file whose content is kept inline in its entry; parents are created. */
  async put(dir: string, name: string, content: Uint8Array, extended?: ReadonlyMap<string, Uint8Array>) {
    const req = encodeCreateEntryRequest(dir, {
      name,
      content,
      now: Math.floor(Date.now() / 1000),
      extended,
    });
    const res = await this.cluster.withFiler(
      async (ch) => decodeCreateEntryResponse(await ch.unary(Rpc.CreateEntry, req, this.timeoutMs)),
      this.retryMs,
    );
    if (res.error) throw new FilerError(`create ${dir}/${name}: ${res.error}`);
  }

  /** Creates a small file only if it does not exist yet (O_EXCL); returns false when it existed. */
  async create(
    dir: string,
    name: string,
    content: Uint8Array,
    extended?: ReadonlyMap<string, Uint8Array>,
  ): Promise<boolean> {
    const req = encodeCreateEntryRequest(
      dir,
      { name, content, now: Math.floor(Date.now() / 1000), extended },
      true,
    );
    const res = await this.cluster.withFiler(
      async (ch) => decodeCreateEntryResponse(await ch.unary(Rpc.CreateEntry, req, this.timeoutMs)),
      this.retryMs,
    );
    if (res.errorCode === ENTRY_ALREADY_EXISTS || /exist/i.test(res.error)) return false;
    if (res.error) throw new FilerError(`create ${dir}/${name}: ${res.error}`);
    return true;
  }

  /**
   * Replaces a small inline file only while its extended attributes hold `expected` (compare-and-set under the
   * filer's per-path lock); returns false when they do not (or the entry is gone). A retried call whose first
   * attempt was applied also returns false: callers that care re-read the entry.
   */
  async update(
    dir: string,
    name: string,
    content: Uint8Array,
    extended: ReadonlyMap<string, Uint8Array>,
    expected: ReadonlyMap<string, Uint8Array>,
  ): Promise<boolean> {
    const req = encodeUpdateEntryRequest(
      dir,
      { name, content, now: Math.floor(Date.now() / 1000), extended },
      expected,
    );
    try {
      await this.cluster.withFiler((ch) => ch.unary(Rpc.UpdateEntry, req, this.timeoutMs), this.retryMs);
      return true;
    } catch (e) {
      if (isPreconditionFailed(e) || isNotFound(e)) return false;
      throw e;
    }
  }

  /** Deletes a file or (recursively) a directory; a missing entry is not an error. */
  async remove(dir: string, name: string, recursive: boolean): Promise<void> {
    const err = await this.cluster.withFiler(async (ch) => {
      try {
        return decodeDeleteEntryResponse(
          await ch.unary(Rpc.DeleteEntry, encodeDeleteEntryRequest(dir, name, recursive), this.timeoutMs),
        );
      } catch (e) {
        if (isNotFound(e)) return "";
        throw e;
      }
    }, this.retryMs);
    if (err && !isNotFound(err)) throw new FilerError(`delete ${dir}/${name}: ${err}`);
  }

  /**
   * Deletes a file only while its ETag (extended attribute ETAG_ATTR) is `etag`, checked under the filer's
   * per-path lock (an ObjectTransaction, SeaweedFS 4.28+); returns false when it is not or the entry is gone. A
   * retried call whose first attempt was applied also returns false: callers that care re-read the entry.
   */
  async deleteIf(dir: string, name: string, etag: string): Promise<boolean> {
    const req = encodeDeleteIfEtagRequest(dir, name, etag);
    const res = await this.cluster.withFiler(
      async (ch) =>
        decodeObjectTransactionResponse(await ch.unary(Rpc.ObjectTransaction, req, this.timeoutMs)),
      this.retryMs,
    );
    if (res.errorCode === PRECONDITION_FAILED) return false;
    if (res.error) throw new FilerError(`delete ${dir}/${name}: ${res.error}`);
    return true;
  }

  /**
   * DistributedLock: acquires (empty renewToken) or renews a named lease kept by the filers (the filer owning the
   * name on its lock ring; others forward). The answer's `error` says why not ("lock already owned by <owner>").
   */
  async lock(req: LockRequest): Promise<LockResponse> {
    return decodeLockResponse(
      await this.cluster.withFiler(
        (ch) => ch.unary(Rpc.DistributedLock, encodeLockRequest(req), this.timeoutMs),
        this.retryMs,
      ),
    );
  }

  /** DistributedUnlock; returns the filer's error text (empty when released). */
  async unlock(name: string, renewToken: string): Promise<string> {
    const res = decodeUnlockResponse(
      await this.cluster.withFiler(
        (ch) => ch.unary(Rpc.DistributedUnlock, encodeUnlockRequest(name, renewToken), this.timeoutMs),
        this.retryMs,
      ),
    );
    return res.error;
  }
}
