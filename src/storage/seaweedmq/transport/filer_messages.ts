// Encoders and decoders of the SeaweedFS master and filer messages the gateway uses (SeaweedMQ's are messages.ts),
// written from the field numbers of proto/master.proto and proto/filer.proto and checked against them by
// tests/unit/seaweedmq_pb_test.ts.
import { PbReader, PbWriter } from "./pb.ts";

const EMPTY: Uint8Array = new Uint8Array(0);

// ---- master_pb ------------------------------------------------------------------------------------------------

export function encodeListClusterNodesRequest(
  clientType: string,
  filerGroup: string,
  limit: number,
): Uint8Array {
  return new PbWriter(32).string(1, clientType).string(2, filerGroup).int(4, limit).finish();
}

export interface ClusterNode {
  readonly address: string;
  readonly version: string;
  readonly createdAtNs: bigint;
}

export function decodeListClusterNodesResponse(b: Uint8Array): ClusterNode[] {
  const r = new PbReader(b);
  const out: ClusterNode[] = [];
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const s = r.sub();
    let address = "", version = "", createdAtNs = 0n;
    while (s.next()) {
      if (s.field === 1) address = s.string();
      else if (s.field === 2) version = s.string();
      else if (s.field === 4) createdAtNs = s.varintBig();
      else s.skip();
    }
    out.push({ address, version, createdAtNs });
  }
  return out;
}

// ---- filer_pb -------------------------------------------------------------------------------------------------

export interface FuseAttributes {
  readonly fileSize: number;
  /** Unix seconds. */
  readonly mtime: number;
  readonly fileMode: number;
  /** Unix seconds. */
  readonly crtime: number;
  readonly mime: string;
}

export interface Entry {
  readonly name: string;
  readonly isDirectory: boolean;
  readonly attributes: FuseAttributes | null;
  readonly extended: ReadonlyMap<string, Uint8Array>;
  readonly content: Uint8Array;
  /** True when the entry has data chunks (its content is not inline). */
  readonly hasChunks: boolean;
  readonly chunks: FileChunk[];
}

/** Where a piece of a file's data lives: a needle on a volume server. */
export interface FileChunk {
  /** "volumeId,needleKeyCookie" (from file_id, or built from fid). */
  readonly fileId: string;
  /** Position of the chunk's (uncompressed) bytes in the file. */
  readonly offset: number;
  readonly size: number;
  /** When the chunk was written (its uploader's clock, ns); 0 when absent. */
  readonly modifiedTsNs: number;
  readonly isCompressed: boolean;
  readonly encrypted: boolean;
  readonly isManifest: boolean;
}

function readChunk(r: PbReader): FileChunk {
  let fileId = "", offset = 0, size = 0, modifiedTsNs = 0, isCompressed = false, encrypted = false;
  let isManifest = false, volumeId = 0, fileKey = 0n, cookie = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        fileId = r.string();
        break;
      case 2:
        offset = r.varint();
        break;
      case 3:
        size = r.varint();
        break;
      case 4:
        modifiedTsNs = r.varint();
        break;
      case 7: {
        const s = r.sub();
        while (s.next()) {
          if (s.field === 1) volumeId = s.varint();
          else if (s.field === 2) fileKey = s.varintBig();
          else if (s.field === 3 && s.wire === 5) {
            cookie = new DataView(s.buf.buffer, s.buf.byteOffset + s.pos, 4).getUint32(0, true);
            s.pos += 4;
          } else s.skip();
        }
        break;
      }
      case 9:
        encrypted = r.bytes().length > 0;
        break;
      case 10:
        isCompressed = r.bool();
        break;
      case 11:
        isManifest = r.bool();
        break;
      default:
        r.skip();
    }
  }
  if (fileId === "" && volumeId > 0) {
    fileId = `${volumeId},${fileKey.toString(16)}${cookie.toString(16).padStart(8, "0")}`;
  }
  return { fileId, offset, size, modifiedTsNs, isCompressed, encrypted, isManifest };
}

function readEntry(r: PbReader): Entry {
  let name = "", isDirectory = false, content = EMPTY, hasChunks = false;
  const chunks: FileChunk[] = [];
  let attributes: FuseAttributes | null = null;
  const extended = new Map<string, Uint8Array>();
  while (r.next()) {
    switch (r.field) {
      case 1:
        name = r.string();
        break;
      case 2:
        isDirectory = r.bool();
        break;
      case 3:
        hasChunks = true;
        chunks.push(readChunk(r.sub()));
        break;
      case 4: {
        const s = r.sub();
        let fileSize = 0, mtime = 0, fileMode = 0, crtime = 0, mime = "";
        while (s.next()) {
          if (s.field === 1) fileSize = s.varint();
          else if (s.field === 2) mtime = s.varint();
          else if (s.field === 3) fileMode = s.varint();
          else if (s.field === 6) crtime = s.varint();
          else if (s.field === 7) mime = s.string();
          else s.skip();
        }
        attributes = { fileSize, mtime, fileMode, crtime, mime };
        break;
      }
      case 5: {
        const s = r.sub();
        let k = "";
        let v: Uint8Array = EMPTY;
        while (s.next()) {
          if (s.field === 1) k = s.string();
          else if (s.field === 2) v = s.bytes();
          else s.skip();
        }
        extended.set(k, v);
        break;
      }
      case 9:
        content = r.bytes();
        break;
      default:
        r.skip();
    }
  }
  return { name, isDirectory, attributes, extended, content, hasChunks, chunks };
}

export function encodeLookupDirectoryEntryRequest(directory: string, name: string): Uint8Array {
  return new PbWriter(64).string(1, directory).string(2, name).finish();
}

export function decodeLookupDirectoryEntryResponse(b: Uint8Array): Entry | null {
  const r = new PbReader(b);
  let entry: Entry | null = null;
  while (r.next()) {
    if (r.field === 1) entry = readEntry(r.sub());
    else r.skip();
  }
  return entry;
}

export interface ListEntriesRequest {
  readonly directory: string;
  readonly prefix?: string;
  readonly startFromFileName?: string;
  readonly inclusiveStartFrom?: boolean;
  readonly limit: number;
}

export function encodeListEntriesRequest(req: ListEntriesRequest & { withChunks?: boolean }): Uint8Array {
  return new PbWriter(64).string(1, req.directory).string(2, req.prefix).string(3, req.startFromFileName)
    .bool(4, req.inclusiveStartFrom ?? false).int(5, req.limit).bool(7, !req.withChunks).finish();
}

export function encodeLookupVolumeRequest(volumeIds: readonly string[]): Uint8Array {
  const w = new PbWriter(32);
  for (const v of volumeIds) w.stringAlways(1, v);
  return w.finish();
}

/** LookupVolumeResponse: volume id -> urls ("host:port") of its servers. */
export function decodeLookupVolumeResponse(b: Uint8Array): Map<string, string[]> {
  const r = new PbReader(b);
  const out = new Map<string, string[]>();
  while (r.next()) {
    if (r.field !== 1) {
      r.skip();
      continue;
    }
    const e = r.sub(); // map entry { key = 1, value = 2 (Locations) }
    let key = "";
    const urls: string[] = [];
    while (e.next()) {
      if (e.field === 1) key = e.string();
      else if (e.field === 2) {
        const locs = e.sub();
        while (locs.next()) {
          if (locs.field !== 1) {
            locs.skip();
            continue;
          }
          const loc = locs.sub();
          while (loc.next()) {
            if (loc.field === 1) urls.push(loc.string());
            else loc.skip();
          }
        }
      } else e.skip();
    }
    out.set(key, urls);
  }
  return out;
}

export function decodeListEntriesResponse(b: Uint8Array): Entry | null {
  return decodeLookupDirectoryEntryResponse(b); // { entry = 1, snapshot_ts_ns = 2 }
}

export interface NewFile {
  readonly name: string;
  readonly content: Uint8Array;
  /** Unix seconds. */
  readonly now: number;
  readonly mime?: string;
  /** Extended attributes (Entry.extended). */
  readonly extended?: ReadonlyMap<string, Uint8Array>;
}

function writeNewFile(w: PbWriter, file: NewFile): void {
  w.string(1, file.name);
  w.message(4, (w) => {
    w.int(1, file.content.length).int(2, file.now).int(3, 0o644).int(6, file.now).string(7, file.mime);
  });
  for (const [k, v] of file.extended ?? []) w.message(5, (w) => w.string(1, k).bytes(2, v));
  w.bytes(9, file.content);
}

/** CreateEntryRequest for a small file whose content lives inline in the entry (parents created by the filer). */
export function encodeCreateEntryRequest(directory: string, file: NewFile, exclusive = false): Uint8Array {
  return new PbWriter(file.content.length + 128).string(1, directory).message(2, (w) => writeNewFile(w, file))
    .bool(3, exclusive).finish();
}

/**
 * UpdateEntryRequest replacing a small inline file, applied only while the entry's extended attributes hold
 * `expected` (expected_extended: a compare-and-set the filer checks under its per-path lock; a mismatch or a
 * missing entry is a gRPC error). UpdateEntryResponse carries nothing the gateway needs.
 */
export function encodeUpdateEntryRequest(
  directory: string,
  file: NewFile,
  expected: ReadonlyMap<string, Uint8Array>,
): Uint8Array {
  const w = new PbWriter(file.content.length + 160).string(1, directory).message(
    2,
    (w) => writeNewFile(w, file),
  );
  for (const [k, v] of expected) w.message(5, (w) => w.string(1, k).bytes(2, v));
  return w.finish();
}

export function decodeCreateEntryResponse(b: Uint8Array): { error: string; errorCode: number } {
  const r = new PbReader(b);
  let error = "", errorCode = 0;
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else if (r.field === 3) errorCode = r.varint();
    else r.skip();
  }
  return { error, errorCode };
}

export function encodeDeleteEntryRequest(directory: string, name: string, recursive: boolean): Uint8Array {
  return new PbWriter(64).string(1, directory).string(2, name).bool(4, true).bool(5, recursive)
    .bool(6, recursive).finish();
}

export function decodeDeleteEntryResponse(b: Uint8Array): string {
  const r = new PbReader(b);
  let error = "";
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else r.skip();
  }
  return error;
}

/** filer_pb.WriteCondition.Kind.IF_ETAG_MATCH: the entry exists and its ETag is one of the given. */
const IF_ETAG_MATCH = 3;
/** filer_pb.ObjectMutation.Type.DELETE */
const MUTATION_DELETE = 1;
/** filer_pb.FilerError.PRECONDITION_FAILED */
export const PRECONDITION_FAILED = 6;

/**
 * ObjectTransactionRequest (SeaweedFS 4.28+) deleting dir/name only while the entry's ETag is `etag`, checked and
 * applied under the filer's per-path lock (the lock UpdateEntry's compare-and-set takes too). The filer's ETag of
 * an entry is its extended attribute "Seaweed-X-Amz-ETag" when set (see ETAG_ATTR), else derived from its chunks.
 */
export function encodeDeleteIfEtagRequest(directory: string, name: string, etag: string): Uint8Array {
  const path = directory.endsWith("/") ? directory + name : `${directory}/${name}`;
  return new PbWriter(2 * path.length + etag.length + 32).string(1, path)
    .message(2, (w) => w.message(1, (w) => w.int(1, IF_ETAG_MATCH).string(2, etag)))
    .message(3, (w) => w.int(1, MUTATION_DELETE).string(2, directory).string(3, name))
    .finish();
}

/** The extended attribute the filer takes as an entry's ETag in write conditions (storedEntryETag). */
export const ETAG_ATTR = "Seaweed-X-Amz-ETag";

export function decodeObjectTransactionResponse(b: Uint8Array): { error: string; errorCode: number } {
  const r = new PbReader(b);
  let error = "", errorCode = 0;
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else if (r.field === 2) errorCode = r.varint();
    else r.skip();
  }
  return { error, errorCode };
}

// ---- filer_pb: distributed lock (weed/server/filer_grpc_server_dlm.go) ------------------------------------------

export interface LockRequest {
  readonly name: string;
  /** Lease length; the filer's clock decides expiry. */
  readonly secondsToLock: number;
  /** Empty to acquire; the token of the last answer to renew (each renewal returns a new one). */
  readonly renewToken: string;
  readonly owner: string;
}

export function encodeLockRequest(req: LockRequest): Uint8Array {
  return new PbWriter(96).string(1, req.name).int(2, req.secondsToLock).string(3, req.renewToken)
    .string(5, req.owner).finish();
}

export interface LockResponse {
  readonly renewToken: string;
  /** Holder's owner string when the lock is held by someone else. */
  readonly lockOwner: string;
  readonly movedTo: string;
  /** "lock already owned by ...", "lock: token mismatch", ... (empty on success). */
  readonly error: string;
  /** The filer's fencing counter, kept across renewals (in memory: it restarts with the filer). */
  readonly generation: number;
}

export function decodeLockResponse(b: Uint8Array): LockResponse {
  const r = new PbReader(b);
  let renewToken = "", lockOwner = "", movedTo = "", error = "", generation = 0;
  while (r.next()) {
    switch (r.field) {
      case 1:
        renewToken = r.string();
        break;
      case 2:
        lockOwner = r.string();
        break;
      case 3:
        movedTo = r.string();
        break;
      case 4:
        error = r.string();
        break;
      case 5:
        generation = r.varint();
        break;
      default:
        r.skip();
    }
  }
  return { renewToken, lockOwner, movedTo, error, generation };
}

export function encodeUnlockRequest(name: string, renewToken: string): Uint8Array {
  return new PbWriter(96).string(1, name).string(2, renewToken).finish();
}

export function decodeUnlockResponse(b: Uint8Array): { error: string; movedTo: string } {
  const r = new PbReader(b);
  let error = "", movedTo = "";
  while (r.next()) {
    if (r.field === 1) error = r.string();
    else if (r.field === 2) movedTo = r.string();
    else r.skip();
  }
  return { error, movedTo };
}
