// Binary format of the consumer-group log (EmbeddedGroupStore): file header, checksummed record frames and the
// five record kinds. Replaying the frames in order (latest value per key wins, tombstones remove) rebuilds the
// live state; a snapshot written by compaction is the same frames, one metadata and one commit record per group.
//
// File   = header frame*
// header = magic "GLOG" (4 bytes) | version int32 (1)
// frame  = crc uint32 | length uint32 | kind uint8 | payload (length - 1 bytes)
//          crc: CRC32C over length, kind and payload; length counts kind + payload.
// Strings are compact (uvarint length + 1, 0 = null), byte fields compact bytes; integers big-endian fixed width.
//
// kind 1 offset-commit:  groupId, uvarint topicCount, per topic: topic, uvarint count, per partition:
//                        partition int32, offset int64, leaderEpoch int32, commitTimestamp int64,
//                        expireTimestamp int64, metadata (nullable)
// kind 2 offset-delete:  groupId, uvarint topicCount, per topic: topic, uvarint count, partition int32 *
// kind 3 group-metadata: groupId, protocolType?, protocolName?, generationId int32, leaderId?,
//                        currentStateTimestamp int64, uvarint memberCount, per member: memberId, groupInstanceId?,
//                        clientId, clientHost, rebalanceTimeoutMs int32, sessionTimeoutMs int32,
//                        subscription bytes, assignment bytes
// kind 4 group-delete:   groupId (removes the group's metadata, classic or consumer, and every offset of the group)
// kind 5 consumer-group: groupId, state bytes (a KIP-848 group's snapshot, opaque here)
// A group id has one metadata record: kind 3 replaces a kind 5 of the same id and vice versa. A reader older than
// kind 5 skips those frames (logged as unknown kind).
import { DecodeError, getInt32, putInt32, type Reader, Writer } from "../../protocol/codec.ts";
import { crc32c } from "../../records/crc32c.ts";
import { type CommittedOffset, offsetKey, type StoredGroup, type StoredMember } from "../group_store.ts";

export const GROUP_LOG_MAGIC = 0x474c4f47; // "GLOG"
export const GROUP_LOG_VERSION = 1;
export const HEADER_BYTES = 8;
/** crc + length. */
export const FRAME_OVERHEAD = 8;
/** Frames larger than this are treated as corruption (a sane group record is far smaller). */
export const MAX_FRAME_BYTES = 1024 * 1024 * 1024;

export const KIND_OFFSET_COMMIT = 1;
export const KIND_OFFSET_DELETE = 2;
export const KIND_GROUP_METADATA = 3;
export const KIND_GROUP_DELETE = 4;
export const KIND_CONSUMER_GROUP = 5;

export function encodeHeader(): Uint8Array {
  const h = new Uint8Array(HEADER_BYTES);
  putInt32(h, 0, GROUP_LOG_MAGIC);
  putInt32(h, 4, GROUP_LOG_VERSION);
  return h;
}

/** Null when the header is valid, else why not. */
export function headerError(buf: Uint8Array): string | null {
  if (buf.length < HEADER_BYTES) return `file shorter than its ${HEADER_BYTES}-byte header`;
  if (getInt32(buf, 0) >>> 0 !== GROUP_LOG_MAGIC) return "bad magic";
  const v = getInt32(buf, 4);
  if (v !== GROUP_LOG_VERSION) return `unsupported version ${v}`;
  return null;
}

function startFrame(kind: number, sizeHint: number): Writer {
  const w = new Writer(sizeHint);
  w.uint32(0).uint32(0).int8(kind);
  return w;
}

function endFrame(w: Writer): Uint8Array {
  const buf = w.finish();
  putInt32(buf, 4, buf.length - FRAME_OVERHEAD);
  putInt32(buf, 0, crc32c(buf.subarray(4)));
  return buf;
}

/** Positions where the topic changes: offsets of one topic given consecutively share one topic header. */
function topicRuns(items: readonly { readonly topic: string }[]): number {
  let runs = 0;
  for (let i = 0; i < items.length; i++) if (i === 0 || items[i].topic !== items[i - 1].topic) runs++;
  return runs;
}

export function encodeOffsetCommit(groupId: string, offsets: readonly CommittedOffset[]): Uint8Array {
  const w = startFrame(KIND_OFFSET_COMMIT, 64 + groupId.length + offsets.length * 64);
  w.compactString(groupId).uvarint(topicRuns(offsets));
  let i = 0;
  while (i < offsets.length) {
    const topic = offsets[i].topic;
    let j = i + 1;
    while (j < offsets.length && offsets[j].topic === topic) j++;
    w.compactString(topic).uvarint(j - i);
    for (; i < j; i++) {
      const o = offsets[i];
      w.int32(o.partition).int64(o.offset).int32(o.leaderEpoch).int64(o.commitTimestamp)
        .int64(o.expireTimestamp).compactNullableString(o.metadata);
    }
  }
  return endFrame(w);
}

export function encodeOffsetDelete(
  groupId: string,
  partitions: readonly { readonly topic: string; readonly partition: number }[],
): Uint8Array {
  const w = startFrame(KIND_OFFSET_DELETE, 64 + groupId.length + partitions.length * 32);
  w.compactString(groupId).uvarint(topicRuns(partitions));
  let i = 0;
  while (i < partitions.length) {
    const topic = partitions[i].topic;
    let j = i + 1;
    while (j < partitions.length && partitions[j].topic === topic) j++;
    w.compactString(topic).uvarint(j - i);
    for (; i < j; i++) w.int32(partitions[i].partition);
  }
  return endFrame(w);
}

export function encodeGroupMetadata(g: StoredGroup): Uint8Array {
  let hint = 128 + g.groupId.length;
  for (const m of g.members) hint += 96 + m.subscription.length + m.assignment.length;
  const w = startFrame(KIND_GROUP_METADATA, Math.min(hint, 1024 * 1024));
  w.compactString(g.groupId).compactNullableString(g.protocolType).compactNullableString(g.protocolName)
    .int32(g.generationId).compactNullableString(g.leaderId).int64(g.currentStateTimestamp)
    .uvarint(g.members.length);
  for (const m of g.members) {
    w.compactString(m.memberId).compactNullableString(m.groupInstanceId).compactString(m.clientId)
      .compactString(m.clientHost).int32(m.rebalanceTimeoutMs).int32(m.sessionTimeoutMs)
      .compactBytes(m.subscription).compactBytes(m.assignment);
  }
  return endFrame(w);
}

export function encodeConsumerGroup(groupId: string, state: Uint8Array): Uint8Array {
  const w = startFrame(KIND_CONSUMER_GROUP, 16 + groupId.length * 3 + state.length);
  w.compactString(groupId).compactBytes(state);
  return endFrame(w);
}

export function encodeGroupDelete(groupId: string): Uint8Array {
  const w = startFrame(KIND_GROUP_DELETE, 16 + groupId.length * 3);
  w.compactString(groupId);
  return endFrame(w);
}

// ---- replay ----

/** The mutable state replay applies records to. */
export interface GroupLogState {
  readonly groups: Map<string, StoredGroup>;
  /** groupId -> offsetKey -> committed offset */
  readonly offsets: Map<string, Map<string, CommittedOffset>>;
  /** groupId -> consumer group snapshot; an id is in `groups` or here, never both. */
  readonly consumerGroups: Map<string, Uint8Array>;
}

export type FrameCheck =
  | { readonly ok: true; readonly size: number; readonly kind: number }
  | { readonly ok: false; readonly torn: boolean; readonly reason: string };

/** Validates the frame at `pos` (bounds and CRC), without decoding its payload. */
export function checkFrame(buf: Uint8Array, pos: number, end: number): FrameCheck {
  const avail = end - pos;
  if (avail < FRAME_OVERHEAD + 1) return { ok: false, torn: true, reason: `${avail} trailing bytes` };
  const len = getInt32(buf, pos + 4) >>> 0;
  if (len < 1 || len > MAX_FRAME_BYTES) return { ok: false, torn: false, reason: `invalid length ${len}` };
  if (len > avail - FRAME_OVERHEAD) {
    return { ok: false, torn: true, reason: `record of ${len} bytes runs past end of file` };
  }
  const stored = getInt32(buf, pos) >>> 0;
  const actual = crc32c(buf.subarray(pos + 4, pos + FRAME_OVERHEAD + len));
  if (stored !== actual) return { ok: false, torn: false, reason: "CRC32C mismatch" };
  return { ok: true, size: FRAME_OVERHEAD + len, kind: buf[pos + FRAME_OVERHEAD] };
}

function count(r: Reader, minBytesEach: number): number {
  const n = r.uvarint();
  if (n * minBytesEach > r.remaining) {
    throw new DecodeError(`count ${n} exceeds remaining ${r.remaining} bytes`);
  }
  return n;
}

function str(r: Reader): string {
  return r.compactString();
}

function bytes(r: Reader): Uint8Array {
  const b = r.compactBytes();
  if (b === null) throw new DecodeError("null bytes");
  return b.slice(); // never pin the whole file buffer
}

function groupOffsets(state: GroupLogState, groupId: string): Map<string, CommittedOffset> {
  let m = state.offsets.get(groupId);
  if (!m) {
    m = new Map();
    state.offsets.set(groupId, m);
  }
  return m;
}

/**
 * Decodes the payload (reader positioned after the kind byte, ending at the frame end) and applies it to
 * `state`. Throws DecodeError on a malformed payload; returns false for an unknown kind (nothing applied).
 * A record is decoded fully before anything is applied, so a bad one never leaves half its effect.
 */
export function applyRecord(state: GroupLogState, kind: number, r: Reader): boolean {
  switch (kind) {
    case KIND_OFFSET_COMMIT: {
      const groupId = str(r);
      const decoded: CommittedOffset[] = [];
      for (let t = count(r, 2); t > 0; t--) {
        const topic = str(r);
        for (let n = count(r, 33); n > 0; n--) {
          const partition = r.int32();
          const offset = r.int64();
          const leaderEpoch = r.int32();
          const commitTimestamp = r.int64();
          const expireTimestamp = r.int64();
          const metadata = r.compactNullableString();
          decoded.push({ topic, partition, offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp });
        }
      }
      end(r);
      if (decoded.length > 0) {
        const m = groupOffsets(state, groupId);
        for (const o of decoded) m.set(offsetKey(o.topic, o.partition), o);
      }
      return true;
    }
    case KIND_OFFSET_DELETE: {
      const groupId = str(r);
      const keys: string[] = [];
      for (let t = count(r, 2); t > 0; t--) {
        const topic = str(r);
        for (let n = count(r, 4); n > 0; n--) keys.push(offsetKey(topic, r.int32()));
      }
      end(r);
      const m = state.offsets.get(groupId);
      if (m) {
        for (const k of keys) m.delete(k);
        if (m.size === 0) state.offsets.delete(groupId);
      }
      return true;
    }
    case KIND_GROUP_METADATA: {
      const groupId = str(r);
      const protocolType = r.compactNullableString();
      const protocolName = r.compactNullableString();
      const generationId = r.int32();
      const leaderId = r.compactNullableString();
      const currentStateTimestamp = r.int64();
      const members: StoredMember[] = [];
      for (let n = count(r, 14); n > 0; n--) {
        members.push({
          memberId: str(r),
          groupInstanceId: r.compactNullableString(),
          clientId: str(r),
          clientHost: str(r),
          rebalanceTimeoutMs: r.int32(),
          sessionTimeoutMs: r.int32(),
          subscription: bytes(r),
          assignment: bytes(r),
        });
      }
      end(r);
      state.consumerGroups.delete(groupId);
      state.groups.set(groupId, {
        groupId,
        protocolType,
        protocolName,
        generationId,
        leaderId,
        currentStateTimestamp,
        members,
      });
      return true;
    }
    case KIND_GROUP_DELETE: {
      const groupId = str(r);
      end(r);
      state.groups.delete(groupId);
      state.consumerGroups.delete(groupId);
      state.offsets.delete(groupId);
      return true;
    }
    case KIND_CONSUMER_GROUP: {
      const groupId = str(r);
      const snapshot = bytes(r);
      end(r);
      state.groups.delete(groupId);
      state.consumerGroups.set(groupId, snapshot);
      return true;
    }
    default:
      return false;
  }
}

function end(r: Reader): void {
  if (r.remaining !== 0) throw new DecodeError(`${r.remaining} unexpected trailing bytes in record`);
}

// ---- snapshot ----

/** The live state as frames: per group its metadata record, then one commit record with all its offsets. */
export function encodeSnapshot(state: GroupLogState): Uint8Array[] {
  const frames: Uint8Array[] = [encodeHeader()];
  for (const g of state.groups.values()) frames.push(encodeGroupMetadata(g));
  for (const [groupId, s] of state.consumerGroups) frames.push(encodeConsumerGroup(groupId, s));
  for (const [groupId, m] of state.offsets) {
    if (m.size === 0) continue;
    const byTopic = new Map<string, CommittedOffset[]>();
    for (const o of m.values()) {
      const l = byTopic.get(o.topic);
      if (l) l.push(o);
      else byTopic.set(o.topic, [o]);
    }
    const all: CommittedOffset[] = [];
    for (const l of byTopic.values()) for (const o of l) all.push(o);
    frames.push(encodeOffsetCommit(groupId, all));
  }
  return frames;
}

/** Approximate size of encodeSnapshot(state) (string lengths stand in for UTF-8 lengths). */
export function estimateSnapshotBytes(state: GroupLogState): number {
  let n = HEADER_BYTES;
  for (const g of state.groups.values()) {
    n += FRAME_OVERHEAD + 24 + g.groupId.length + (g.protocolType?.length ?? 0) +
      (g.protocolName?.length ?? 0) +
      (g.leaderId?.length ?? 0);
    for (const m of g.members) {
      n += 20 + m.memberId.length + (m.groupInstanceId?.length ?? 0) + m.clientId.length +
        m.clientHost.length +
        m.subscription.length + m.assignment.length;
    }
  }
  for (const [groupId, s] of state.consumerGroups) n += FRAME_OVERHEAD + 12 + groupId.length + s.length;
  for (const [groupId, m] of state.offsets) {
    n += FRAME_OVERHEAD + 4 + groupId.length;
    let lastTopic = "";
    for (const o of m.values()) {
      if (o.topic !== lastTopic) n += 2 + o.topic.length;
      lastTopic = o.topic;
      n += 33 + (o.metadata?.length ?? 0);
    }
  }
  return n;
}
