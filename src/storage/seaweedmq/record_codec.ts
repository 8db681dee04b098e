// Kafka records <-> SeaweedMQ DataMessages.
//
// SeaweedMQ stores one message per Kafka record with three fields: key, value and ts_ns (the broker keeps ts_ns
// strictly increasing per partition and rewrites it when it is not, so it cannot carry a producer timestamp).
// The encoding, chosen so that SMQ-native consumers read Kafka values unchanged:
//
//   DataMessage.value = the Kafka record value, byte for byte (empty for a null value)
//   DataMessage.key   = envelope:
//       0xFF 'K' 'G' 0x01        magic + version (0xFF never starts UTF-8 text)
//       flags (1 byte)           0x01 key is null, 0x02 value is null, 0x04 headers follow,
//                                0x08 the batch used LogAppendTime, 0x10 producer fields follow,
//                                0x20 first record of its Kafka batch (fetches return the batches as produced),
//                                0x40 the batch is transactional (Kafka attribute 0x10; with 0x10),
//                                0x80 control record: a COMMIT/ABORT marker (Kafka attribute 0x20; with 0x40,
//                                0x20 and 0x10, sequence -1), its key and value Kafka's control record key and
//                                marker value. SMQ-native readers skip these. All 8 bits are assigned: another
//                                flag needs envelope version 2.
//       timestamp                the record's Kafka timestamp in ms, zigzag varint (as in Kafka records)
//       [producer]               idempotent and transactional batches: producer id, epoch and this record's
//                                sequence number (zigzag varints), so fetched batches carry them again
//       [headers]                the record's header section exactly as in Kafka's record format v2
//                                (count, then key length/key/value length/value, zigzag varints)
//       key bytes                the rest: the Kafka key (absent when null)
//   DataMessage.ts_ns = not set: the broker stamps its own clock (ordering, time-based reads, retention)
//
// Schematized topics (a schema registered under "<topic>-value", topic/record_schema.ts) use envelope version 2:
// magic 0xFF 'K' 'G' 0x02, the same fields, and after the headers the Kafka value itself (zigzag length + bytes,
// absent when null). DataMessage.value then holds the value typed as a schema_pb.RecordValue (empty when the value
// has no registered schema, is null, or is a marker), which SeaweedFS's SQL engine and parquet compaction read as
// columns; Kafka clients still get the value byte for byte from the envelope.
//
// Messages written by other producers (SeaweedFS's own gateway, SMQ-native publishers) have no envelope: their
// key and value are the Kafka key (empty = null) and value, the timestamp is ts_ns / 1e6 and there are no
// headers. Offsets are SeaweedMQ's own per-partition offsets.
//
// --seaweedmq-record-format plain writes that form too (DataMessage.key = the Kafka key, nothing else), for
// SeaweedFS's gateway and SMQ-native readers that expect it: headers, producer timestamps, LogAppendTime, the
// idempotent producer fields and batch boundaries are not stored, as with SeaweedFS's gateway. Transactional
// batches and markers cannot be stored that way (a reader could not tell aborted records): the plain format refuses
// them (seaweedmq.ts: UNSUPPORTED_FOR_MESSAGE_FORMAT, as Kafka answers a transactional produce to a topic whose
// message format predates transactions). Both formats are read whatever the setting (a plain key that happens to
// start with the envelope magic would be misread).
import type { AppendRequest } from "../storage.ts";
import { decompress } from "../../records/compression.ts";
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  LOG_OVERHEAD,
  NO_VALUE,
  RECORDS_OFFSET,
  writeBatchCrc,
  writeBatchHeader,
} from "../../records/layout.ts";
import type { DataMessageView } from "./transport/messages.ts";
import { putVarint, varintLen } from "./transport/pb.ts";
import { FRAME_HEADER, putFrameHeader } from "./transport/h2stream.ts";

export const ENVELOPE_MAGIC = [0xff, 0x4b, 0x47, 0x01] as const;
/** Envelope version 2: the Kafka value in the envelope, DataMessage.value its typed form. */
export const ENVELOPE_V2 = 0x02;
export const FLAG_KEY_NULL = 0x01;
export const FLAG_VALUE_NULL = 0x02;
export const FLAG_HEADERS = 0x04;
export const FLAG_LOG_APPEND_TIME = 0x08;
export const FLAG_PRODUCER = 0x10;
export const FLAG_BATCH_START = 0x20;
export const FLAG_TRANSACTIONAL = 0x40;
export const FLAG_CONTROL = 0x80;

/** Batch attributes the plain record format cannot store (transactional data, markers). */
export const TRANSACTIONAL_ATTRIBUTES = ATTR_TRANSACTIONAL | ATTR_CONTROL;

/** How appended records are stored: with the envelope (everything kept) or plain (the Kafka key as the key). */
export type RecordFormat = "envelope" | "plain";

export class RecordCodecError extends Error {
  override name = "RecordCodecError";
}

// ---- varints (Kafka zigzag) on plain Uint8Arrays; `cur` is the shared read cursor -------------------------------

let cur = 0;

function readUVarint(b: Uint8Array, end: number): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (cur >= end) throw new RecordCodecError("truncated varint");
    const byte = b[cur++];
    v += (byte & 0x7f) * mul;
    if (byte < 0x80) return v;
    mul *= 128;
  }
  throw new RecordCodecError("varint too long");
}

function readZigzag(b: Uint8Array, end: number): number {
  const u = readUVarint(b, end);
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

function zigzagLen(n: number): number {
  return varintLen(n >= 0 ? n * 2 : -n * 2 - 1);
}

function putZigzag(b: Uint8Array, at: number, n: number): number {
  return putVarint(b, at, n >= 0 ? n * 2 : -n * 2 - 1);
}

// ---- produce: Kafka batches -> back-to-back gRPC frames of PublishMessageRequest{data} --------------------------

export interface EncodedRecords {
  /** gRPC frames, one PublishMessageRequest{data = DataMessage} per record, back to back. */
  readonly frames: Uint8Array;
  /** ends[i] = end of record i's frame in `frames` (record i spans ends[i-1] .. ends[i]). */
  readonly ends: Uint32Array;
  readonly count: number;
}

/**
 * Per record: a frame header, two tags with lengths, the envelope's fixed part, timestamp and producer fields
 * (upper bound).
 */
const PER_RECORD_OVERHEAD = 5 + 6 + 6 + 6 + 5 + 10 + 30;

/**
 * Encodes every record of the validated batches in `req` as a SeaweedMQ publish frame. Compressed batches are
 * read from the records the produce path already decompressed (`req.inflated`), else decompressed here
 * (SeaweedMQ stores records one by one); nothing else is copied twice.
 */
/**
 * Turns one Kafka value into its schema_pb.RecordValue bytes, or null when it has no registered schema. The bytes
 * may be a view of the typer's own buffer, valid until its next call.
 */
export type ValueTyper = (value: Uint8Array) => Uint8Array | null;

/** The typed forms of a batch's values, back to back: record r's is bytes[at[r] .. at[r + 1]) (empty: none). */
interface TypedValues {
  readonly bytes: Uint8Array;
  readonly at: Uint32Array;
}

/** Per record of `body`: its value's typed form (empty for null values, markers and untyped values). */
function typeValues(body: Uint8Array, count: number, control: boolean, typer: ValueTyper): TypedValues {
  let bytes = new Uint8Array(Math.max(256, body.length * 2));
  const at = new Uint32Array(count + 1);
  let pos = 0;
  const end = body.length;
  cur = 0;
  for (let r = 0; r < count; r++) {
    const len = readZigzag(body, end);
    const recEnd = cur + len;
    if (len < 0 || recEnd > end) throw new RecordCodecError(`record ${r}: bad length ${len}`);
    cur++; // record attributes
    readZigzag(body, recEnd); // timestamp delta
    readZigzag(body, recEnd); // offset delta
    const keyLen = readZigzag(body, recEnd);
    if (keyLen > 0) cur += keyLen;
    const valueLen = readZigzag(body, recEnd);
    if (cur + Math.max(valueLen, 0) > recEnd) throw new RecordCodecError(`record ${r}: truncated`);
    const t = valueLen < 0 || control ? null : typer(body.subarray(cur, cur + valueLen));
    if (t !== null && t.length > 0) {
      if (pos + t.length > bytes.length) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, pos + t.length));
        grown.set(bytes.subarray(0, pos));
        bytes = grown;
      }
      bytes.set(t, pos);
      pos += t.length;
    }
    at[r + 1] = pos;
    cur = recEnd;
  }
  return { bytes, at };
}

export async function encodeAppend(
  req: AppendRequest,
  format: RecordFormat = "envelope",
  typer: ValueTyper | null = null,
): Promise<EncodedRecords> {
  const envelope = format === "envelope";
  const typed = envelope && typer !== null;
  if (!envelope && req.batches.some((b) => (b.attributes & TRANSACTIONAL_ATTRIBUTES) !== 0)) {
    throw new RecordCodecError("transactional batches and markers need the envelope record format");
  }
  let total = 0;
  let count = 0;
  const bodies: Uint8Array[] = [];
  const typedValues: TypedValues[] = [];
  for (let i = 0; i < req.batches.length; i++) {
    const b = req.batches[i];
    let body = req.payload.subarray(b.pos + RECORDS_OFFSET, b.pos + b.size);
    if ((b.attributes & ATTR_COMPRESSION_MASK) !== 0) {
      body = req.inflated?.[i] ?? await decompress(b.attributes & ATTR_COMPRESSION_MASK, body);
    }
    bodies.push(body);
    total += body.length + b.recordCount * PER_RECORD_OVERHEAD;
    if (typed) {
      const values = typeValues(body, b.recordCount, (b.attributes & ATTR_CONTROL) !== 0, typer);
      typedValues.push(values);
      total += values.at[b.recordCount] + 5 * b.recordCount;
    }
    count += b.recordCount;
  }
  const out = new Uint8Array(total);
  const ends = new Uint32Array(count);
  let at = 0;
  let n = 0;
  for (let i = 0; i < req.batches.length; i++) {
    const b = req.batches[i];
    const body = bodies[i];
    const typedOf = typed ? typedValues[i] : null;
    const lat = (b.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
    const idem = b.producerId >= 0;
    const txnFlags = ((b.attributes & ATTR_TRANSACTIONAL) !== 0 ? FLAG_TRANSACTIONAL : 0) |
      ((b.attributes & ATTR_CONTROL) !== 0 ? FLAG_CONTROL | FLAG_TRANSACTIONAL : 0);
    if (txnFlags !== 0 && !idem) throw new RecordCodecError("a transactional batch without a producer id");
    const producerLen = idem ? zigzagLen(b.producerId) + zigzagLen(b.producerEpoch) + 5 : 0;
    const end = body.length;
    cur = 0;
    for (let r = 0; r < b.recordCount; r++) {
      const len = readZigzag(body, end);
      const recEnd = cur + len;
      if (len < 0 || recEnd > end) throw new RecordCodecError(`record ${r}: bad length ${len}`);
      cur++; // record attributes
      const tsDelta = readZigzag(body, recEnd);
      const offsetDelta = readZigzag(body, recEnd); // SeaweedMQ assigns offsets in publish order
      const keyLen = readZigzag(body, recEnd);
      const keyStart = cur;
      if (keyLen > 0) cur += keyLen;
      const valueLen = readZigzag(body, recEnd);
      const valueStart = cur;
      if (valueLen > 0) cur += valueLen;
      const headersStart = cur;
      const headerCount = readZigzag(body, recEnd);
      if (cur > recEnd || headerCount < 0) throw new RecordCodecError(`record ${r}: truncated`);
      cur = recEnd;
      const hasHeaders = headerCount > 0;
      const headersLen = hasHeaders ? recEnd - headersStart : 0;
      const ts = lat ? b.maxTimestamp : b.baseTimestamp + tsDelta;
      const flags = (keyLen < 0 ? FLAG_KEY_NULL : 0) | (valueLen < 0 ? FLAG_VALUE_NULL : 0) |
        (hasHeaders ? FLAG_HEADERS : 0) | (lat ? FLAG_LOG_APPEND_TIME : 0) | (idem ? FLAG_PRODUCER : 0) |
        (r === 0 ? FLAG_BATCH_START : 0) | txnFlags;
      // a marker's sequence is -1 (Kafka's NO_SEQUENCE), kept as is
      let seq = idem ? (b.baseSequence < 0 ? -1 : b.baseSequence + offsetDelta) : 0;
      if (seq > 0x7fffffff) seq -= 0x80000000; // sequences wrap at Int32.MAX
      const kLen = keyLen > 0 ? keyLen : 0;
      const vLen = valueLen > 0 ? valueLen : 0;
      // typed: the value goes into the envelope and DataMessage.value carries its RecordValue
      const envValueLen = typedOf !== null && valueLen >= 0 ? zigzagLen(valueLen) + vLen : 0;
      const dmValue = typedOf !== null ? typedOf.bytes.subarray(typedOf.at[r], typedOf.at[r + 1]) : null;
      const dmValueLen = dmValue !== null ? dmValue.length : vLen;
      const envLen = envelope
        ? 5 + zigzagLen(ts) + (idem ? producerLen - 5 + zigzagLen(seq) : 0) + headersLen + envValueLen + kLen
        : kLen;
      const dmLen = (envLen > 0 ? 1 + varintLen(envLen) + envLen : 0) +
        (dmValueLen > 0 ? 1 + varintLen(dmValueLen) + dmValueLen : 0);
      const reqLen = 1 + varintLen(dmLen) + dmLen;
      putFrameHeader(out, at, reqLen);
      at += FRAME_HEADER;
      out[at++] = 0x12; // PublishMessageRequest.data = 2
      at = putVarint(out, at, dmLen);
      if (envLen > 0) {
        out[at++] = 0x0a; // DataMessage.key = 1
        at = putVarint(out, at, envLen);
      }
      if (envelope) {
        out[at++] = ENVELOPE_MAGIC[0];
        out[at++] = ENVELOPE_MAGIC[1];
        out[at++] = ENVELOPE_MAGIC[2];
        out[at++] = typedOf !== null ? ENVELOPE_V2 : ENVELOPE_MAGIC[3];
        out[at++] = flags;
        at = putZigzag(out, at, ts);
        if (idem) {
          at = putZigzag(out, at, b.producerId);
          at = putZigzag(out, at, b.producerEpoch);
          at = putZigzag(out, at, seq);
        }
        if (hasHeaders) {
          out.set(body.subarray(headersStart, recEnd), at);
          at += headersLen;
        }
        if (envValueLen > 0) {
          at = putZigzag(out, at, valueLen);
          out.set(body.subarray(valueStart, valueStart + vLen), at);
          at += vLen;
        }
      }
      if (kLen > 0) {
        out.set(body.subarray(keyStart, keyStart + kLen), at);
        at += kLen;
      }
      if (dmValue !== null) {
        if (dmValue.length > 0) {
          out[at++] = 0x12; // DataMessage.value = 2
          at = putVarint(out, at, dmValue.length);
          out.set(dmValue, at);
          at += dmValue.length;
        }
      } else if (vLen > 0) {
        out[at++] = 0x12; // DataMessage.value = 2
        at = putVarint(out, at, vLen);
        out.set(body.subarray(valueStart, valueStart + vLen), at);
        at += vLen;
      }
      ends[n++] = at;
    }
    if (cur !== end) throw new RecordCodecError(`${end - cur} bytes left after ${b.recordCount} records`);
  }
  return { frames: out.subarray(0, at), ends, count: n };
}

// ---- fetch: DataMessages -> Kafka RecordBatch v2 ----------------------------------------------------------------

/** A Kafka record decoded from a DataMessage; byte fields are views into the stored bytes. */
export interface SmqRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array | null;
  /** Raw Kafka header section (count + headers), or null for none. */
  readonly headers: Uint8Array | null;
  readonly timestamp: number;
  readonly logAppendTime: boolean;
  /** Idempotent producer fields, -1 when the record came from a plain producer. */
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly sequence: number;
  /** First record of a produced batch (a fetched batch starts here). */
  readonly batchStart: boolean;
  /** Part of a transaction (Kafka batch attribute 0x10). */
  readonly transactional: boolean;
  /** A control record (COMMIT/ABORT marker; Kafka batch attribute 0x20): always alone in its batch. */
  readonly control: boolean;
}

/** The envelope flags a stored record keeps (the rest only say how to decode it). */
const KEPT_FLAGS = FLAG_LOG_APPEND_TIME | FLAG_BATCH_START | FLAG_TRANSACTIONAL | FLAG_CONTROL;
const EMPTY = new Uint8Array(0);

/**
 * Stored records read for a fetch, column by column: per record its offset, the envelope's fields and where its
 * key, value and headers lie (start and end in kBuf / vBuf / hBuf; start -1: null, headers start = end: none).
 * A fetch reads thousands of records only to copy them into batches: filled from a log file's index or a
 * FetchMessage answer, this takes no object and no view per record (the GC and allocation cost that was most of
 * the SeaweedMQ fetch path); record(i) builds one for the readers that want objects (timestamp scans, replay
 * checks).
 */
export class StoredRecords {
  length = 0;
  private cap = 0;
  offsets = new Float64Array(0);
  ts = new Float64Array(0);
  pid = new Float64Array(0);
  epoch = new Int32Array(0);
  seq = new Int32Array(0);
  kS = new Int32Array(0);
  kE = new Int32Array(0);
  vS = new Int32Array(0);
  vE = new Int32Array(0);
  hS = new Int32Array(0);
  hE = new Int32Array(0);
  flags = new Uint8Array(0);
  kBuf: Uint8Array[] = [];
  vBuf: Uint8Array[] = [];
  hBuf: Uint8Array[] = [];

  constructor(capacity = 16) {
    this.resize(Math.max(1, capacity));
  }

  /** Every column widened to `c` records, the stored ones kept. */
  private resize(c: number): void {
    const f64 = (n: number) => new Float64Array(n), i32 = (n: number) => new Int32Array(n);
    this.offsets = widened(this.offsets, c, f64);
    this.ts = widened(this.ts, c, f64);
    this.pid = widened(this.pid, c, f64);
    this.epoch = widened(this.epoch, c, i32);
    this.seq = widened(this.seq, c, i32);
    this.kS = widened(this.kS, c, i32);
    this.kE = widened(this.kE, c, i32);
    this.vS = widened(this.vS, c, i32);
    this.vE = widened(this.vE, c, i32);
    this.hS = widened(this.hS, c, i32);
    this.hE = widened(this.hE, c, i32);
    this.flags = widened(this.flags, c, (n) => new Uint8Array(n));
    this.cap = c;
  }

  /**
   * Adds the record of one DataMessage stored at `offset`: its key is k[ks, ke), its value v[vs, ve), its ts_ns
   * `tsNs`. Messages with our envelope are decoded; plain messages of other producers pass through.
   */
  add(
    offset: number,
    k: Uint8Array,
    ks: number,
    ke: number,
    v: Uint8Array,
    vs: number,
    ve: number,
    tsNs: number,
  ) {
    if (this.length === this.cap) this.resize(this.cap * 2);
    const i = this.length;
    this.offsets[i] = offset;
    this.kBuf[i] = k;
    this.hBuf[i] = k;
    if (!this.envelope(i, k, ks, ke, v, vs, ve)) {
      this.vBuf[i] = v;
      this.kS[i] = ke > ks ? ks : -1;
      this.kE[i] = ke;
      this.vS[i] = vs;
      this.vE[i] = ve;
      this.hS[i] = this.hE[i] = 0;
      this.ts[i] = Math.floor(tsNs / 1e6);
      this.pid[i] = -1;
      this.epoch[i] = -1;
      this.seq[i] = -1;
      this.flags[i] = 0;
    }
    this.length = i + 1;
  }

  addMessage(offset: number, m: DataMessageView): void {
    this.add(offset, m.key, 0, m.key.length, m.value, 0, m.value.length, m.tsNs);
  }

  /** Adds a decoded record (tests, hand-made records). */
  addRecord(offset: number, r: SmqRecord): void {
    if (this.length === this.cap) this.resize(this.cap * 2);
    const i = this.length;
    this.offsets[i] = offset;
    this.kBuf[i] = r.key ?? EMPTY;
    this.kS[i] = r.key === null ? -1 : 0;
    this.kE[i] = r.key?.length ?? 0;
    this.vBuf[i] = r.value ?? EMPTY;
    this.vS[i] = r.value === null ? -1 : 0;
    this.vE[i] = r.value?.length ?? 0;
    this.hBuf[i] = r.headers ?? EMPTY;
    this.hS[i] = 0;
    this.hE[i] = r.headers?.length ?? 0;
    this.ts[i] = r.timestamp;
    this.pid[i] = r.producerId;
    this.epoch[i] = r.producerEpoch;
    this.seq[i] = r.sequence;
    this.flags[i] = (r.logAppendTime ? FLAG_LOG_APPEND_TIME : 0) | (r.batchStart ? FLAG_BATCH_START : 0) |
      (r.transactional ? FLAG_TRANSACTIONAL : 0) | (r.control ? FLAG_CONTROL : 0);
    this.length = i + 1;
  }

  static of(records: readonly SmqRecord[], offsets: readonly number[]): StoredRecords {
    const s = new StoredRecords(records.length);
    for (let i = 0; i < records.length; i++) s.addRecord(offsets[i], records[i]);
    return s;
  }

  /** Keeps the first `n` records. */
  truncate(n: number): void {
    if (n >= this.length) return;
    this.length = Math.max(0, n);
    this.kBuf.length = this.vBuf.length = this.hBuf.length = this.length;
  }

  lastOffset(): number {
    return this.offsets[this.length - 1];
  }

  offsetList(): number[] {
    return Array.from(this.offsets.subarray(0, this.length));
  }

  /** Record i as an object (views into the stored bytes). */
  record(i: number): SmqRecord {
    const f = this.flags[i];
    return {
      key: this.kS[i] < 0 ? null : this.kBuf[i].subarray(this.kS[i], this.kE[i]),
      value: this.vS[i] < 0 ? null : this.vBuf[i].subarray(this.vS[i], this.vE[i]),
      headers: this.hE[i] > this.hS[i] ? this.hBuf[i].subarray(this.hS[i], this.hE[i]) : null,
      timestamp: this.ts[i],
      logAppendTime: (f & FLAG_LOG_APPEND_TIME) !== 0,
      producerId: this.pid[i],
      producerEpoch: this.epoch[i],
      sequence: this.seq[i],
      batchStart: (f & FLAG_BATCH_START) !== 0,
      transactional: (f & FLAG_TRANSACTIONAL) !== 0,
      control: (f & FLAG_CONTROL) !== 0,
    };
  }

  records(): SmqRecord[] {
    return Array.from({ length: this.length }, (_, i) => this.record(i));
  }

  /** Decodes the envelope of k[ks, ke) into row i; false when it is not one of ours (a plain message). */
  private envelope(i: number, k: Uint8Array, ks: number, ke: number, v: Uint8Array, vs: number, ve: number) {
    if (
      ke - ks < 6 || k[ks] !== ENVELOPE_MAGIC[0] || k[ks + 1] !== ENVELOPE_MAGIC[1] ||
      k[ks + 2] !== ENVELOPE_MAGIC[2] || (k[ks + 3] !== ENVELOPE_MAGIC[3] && k[ks + 3] !== ENVELOPE_V2)
    ) return false;
    try {
      const flags = k[ks + 4];
      const control = (flags & FLAG_CONTROL) !== 0;
      if ((flags & FLAG_TRANSACTIONAL) !== 0 && (flags & FLAG_PRODUCER) === 0) {
        throw new RecordCodecError("transactional: no producer");
      }
      if (control && ((flags & FLAG_TRANSACTIONAL) === 0 || (flags & FLAG_BATCH_START) === 0)) {
        throw new RecordCodecError("bad control");
      }
      cur = ks + 5;
      const timestamp = readZigzag(k, ke);
      let producerId = -1, producerEpoch = -1, sequence = -1;
      if ((flags & FLAG_PRODUCER) !== 0) {
        producerId = readZigzag(k, ke);
        producerEpoch = readZigzag(k, ke);
        sequence = readZigzag(k, ke);
        if (producerId < 0 || sequence < (control ? -1 : 0)) {
          throw new RecordCodecError("bad producer fields");
        }
      }
      let hs = 0, he = 0;
      if ((flags & FLAG_HEADERS) !== 0) {
        hs = cur;
        const n = readZigzag(k, ke);
        if (n < 1) throw new RecordCodecError("bad header count");
        for (let h = 0; h < n; h++) {
          const kl = readZigzag(k, ke);
          if (kl < 0) throw new RecordCodecError("bad header key");
          cur += kl;
          const vl = readZigzag(k, ke);
          if (vl < -1) throw new RecordCodecError("bad header value");
          if (vl > 0) cur += vl;
          if (cur > ke) throw new RecordCodecError("truncated headers");
        }
        he = cur;
      }
      let vb = v, vStart = (flags & FLAG_VALUE_NULL) !== 0 ? -1 : vs, vEnd = ve;
      if (k[ks + 3] === ENVELOPE_V2 && vStart >= 0) {
        const vl = readZigzag(k, ke);
        if (vl < 0 || cur + vl > ke) throw new RecordCodecError("bad value in envelope");
        vb = k;
        vStart = cur;
        vEnd = cur + vl;
        cur += vl;
      }
      const keyNull = (flags & FLAG_KEY_NULL) !== 0;
      if (keyNull && cur !== ke) throw new RecordCodecError("null key with bytes");
      this.vBuf[i] = vb;
      this.kS[i] = keyNull ? -1 : cur;
      this.kE[i] = ke;
      this.vS[i] = vStart;
      this.vE[i] = vEnd;
      this.hS[i] = hs;
      this.hE[i] = he;
      this.ts[i] = timestamp;
      this.pid[i] = producerId;
      this.epoch[i] = producerEpoch;
      this.seq[i] = sequence;
      this.flags[i] = flags & KEPT_FLAGS;
      return true;
    } catch {
      // not one of ours after all: a plain key that happens to start with the magic
      return false;
    }
  }
}

/** `a` copied into a new array of `c` elements. */
function widened<T extends Float64Array | Int32Array | Uint8Array>(
  a: T,
  c: number,
  make: (n: number) => T,
): T {
  const b = make(c);
  b.set(a);
  return b;
}

const scratch = new StoredRecords(1);

/** Decodes the envelope of one DataMessage (plain messages of other producers pass through). */
export function decodeMessage(m: DataMessageView): SmqRecord {
  scratch.length = 0;
  scratch.addMessage(0, m);
  const r = scratch.record(0);
  scratch.truncate(0);
  return r;
}

const NO_HEADERS_SIZE = 1;

function lenSize(len: number): number {
  return len < 0 ? 1 : zigzagLen(len) + len;
}

/** Bytes of record i after its length prefix, at the given offset and timestamp deltas. */
function bodySize(s: StoredRecords, i: number, offsetDelta: number, tsDelta: number): number {
  return 1 + zigzagLen(tsDelta) + zigzagLen(offsetDelta) +
    lenSize(s.kS[i] < 0 ? -1 : s.kE[i] - s.kS[i]) + lenSize(s.vS[i] < 0 ? -1 : s.vE[i] - s.vS[i]) +
    (s.hE[i] > s.hS[i] ? s.hE[i] - s.hS[i] : NO_HEADERS_SIZE);
}

/** Bytes record i takes in a batch, at the given offset and timestamp deltas. */
function recordSize(s: StoredRecords, i: number, offsetDelta: number, tsDelta: number): number {
  const body = bodySize(s, i, offsetDelta, tsDelta);
  return zigzagLen(body) + body;
}

/** Copies src[start, end) to out at `at`; small ranges byte by byte (no view to make). */
function copyInto(out: Uint8Array, at: number, src: Uint8Array, start: number, end: number): number {
  if (end - start < 128) {
    for (let j = start; j < end; j++) out[at++] = src[j];
    return at;
  }
  out.set(src.subarray(start, end), at);
  return at + end - start;
}

/** Writes a nullable byte field (zigzag length, bytes) of src[start, end); start -1 is null. */
function putField(out: Uint8Array, at: number, src: Uint8Array, start: number, end: number): number {
  if (start < 0) return putZigzag(out, at, -1);
  at = putZigzag(out, at, end - start);
  return copyInto(out, at, src, start, end);
}

/**
 * Builds one uncompressed RecordBatch v2 from records [from, to) of `s`. All records must share the same timestamp
 * type.
 */
function buildBatch(s: StoredRecords, from: number, to: number): Uint8Array {
  const baseOffset = s.offsets[from];
  const baseTs = s.ts[from];
  let maxTs = baseTs;
  let size = RECORDS_OFFSET;
  for (let i = from; i < to; i++) {
    if (s.ts[i] > maxTs) maxTs = s.ts[i];
    size += recordSize(s, i, s.offsets[i] - baseOffset, s.ts[i] - baseTs);
  }
  const out = new Uint8Array(size);
  const f = s.flags[from];
  writeBatchHeader(out, 0, {
    baseOffset,
    batchLength: size - LOG_OVERHEAD,
    partitionLeaderEpoch: NO_VALUE, // unknown
    attributes: ((f & FLAG_LOG_APPEND_TIME) !== 0 ? ATTR_TIMESTAMP_TYPE : 0) |
      ((f & FLAG_TRANSACTIONAL) !== 0 ? ATTR_TRANSACTIONAL : 0) |
      ((f & FLAG_CONTROL) !== 0 ? ATTR_CONTROL : 0),
    lastOffsetDelta: s.offsets[to - 1] - baseOffset,
    baseTimestamp: baseTs,
    maxTimestamp: maxTs,
    producerId: s.pid[from],
    producerEpoch: s.epoch[from],
    baseSequence: s.seq[from],
    recordCount: to - from,
  });
  let at = RECORDS_OFFSET;
  for (let i = from; i < to; i++) {
    const tsDelta = s.ts[i] - baseTs;
    const offsetDelta = s.offsets[i] - baseOffset;
    at = putZigzag(out, at, bodySize(s, i, offsetDelta, tsDelta));
    out[at++] = 0;
    at = putZigzag(out, at, tsDelta);
    at = putZigzag(out, at, offsetDelta);
    at = putField(out, at, s.kBuf[i], s.kS[i], s.kE[i]);
    at = putField(out, at, s.vBuf[i], s.vS[i], s.vE[i]);
    if (s.hE[i] > s.hS[i]) at = copyInto(out, at, s.hBuf[i], s.hS[i], s.hE[i]);
    else out[at++] = 0;
  }
  writeBatchCrc(out, 0, size);
  return out;
}

/**
 * Can record b follow record a in one batch? Not where a produced batch started, nor across a change of timestamp
 * type, producer or transactional flag, nor next to a control record, nor at a break in an idempotent producer's
 * sequence numbers.
 */
function sameBatch(s: StoredRecords, a: number, b: number): boolean {
  const fa = s.flags[a], fb = s.flags[b];
  if ((fb & FLAG_BATCH_START) !== 0 || ((fa ^ fb) & (FLAG_LOG_APPEND_TIME | FLAG_TRANSACTIONAL)) !== 0) {
    return false;
  }
  if (s.pid[a] !== s.pid[b] || ((fa | fb) & FLAG_CONTROL) !== 0) return false;
  if (s.pid[a] < 0) return true;
  return s.epoch[a] === s.epoch[b] && s.seq[b] === (s.seq[a] === 0x7fffffff ? 0 : s.seq[a] + 1);
}

/**
 * Cuts stored records into batches: a new batch starts where a produced batch started, where the timestamp type,
 * the producer or the transactional flag changes, at a control record, or where an idempotent producer's sequence
 * numbers do not follow. Stops before the record that would take the total over `maxBytes`, except that the first
 * record is always included when `minOne` is set. Returns the batches and the number of records used.
 */
export function buildBatches(
  s: StoredRecords,
  maxBytes: number,
  minOne: boolean,
): { batches: Uint8Array[]; bytes: number; used: number } {
  const batches: Uint8Array[] = [];
  let bytes = 0;
  let start = 0;
  let size = RECORDS_OFFSET;
  let i = 0;
  for (; i < s.length; i++) {
    if (i > start && !sameBatch(s, i - 1, i)) {
      const b = buildBatch(s, start, i);
      batches.push(b);
      bytes += b.length;
      start = i;
      size = RECORDS_OFFSET;
    }
    // an estimate against the batch's first record (deltas only make it smaller)
    const add = recordSize(s, i, s.offsets[i] - s.offsets[start], s.ts[i] - s.ts[start]);
    if (bytes + size + add > maxBytes && !(minOne && i === 0)) break;
    size += add;
  }
  if (i > start) {
    const b = buildBatch(s, start, i);
    batches.push(b);
    bytes += b.length;
  }
  return { batches, bytes, used: i };
}
