// The records of `__consumer_offsets` in Kafka's formats (group-coordinator's OffsetCommitKey/Value and
// GroupMetadataKey/Value "data" schemas), so Burrow, kminion, OffsetsMessageFormatter and home-grown lag exporters
// decode them unchanged. A key starts with an int16 version that says which record it is (0-1: an offset commit,
// 2: group metadata); a null value is a tombstone (offset deleted or expired, group deleted).
// Versions written, as Kafka 3.x/4.x writes them: offset commit key v1; value v1 when the commit carries an explicit
// expiry (OffsetCommit v2-4 retention_time_ms), else v3 (leader epoch); group metadata key v2, value v3 (static
// membership). Decoding accepts every non-flexible version (0-3), also of records others wrote.
import { Reader, Writer } from "../../protocol/codec.ts";
import { arrayOf, compileData, type DataOf, defineData, field } from "../../protocol/schema.ts";
import type { CommittedOffset, StoredGroup } from "../../storage/group_store.ts";
import type { DerivedRecord } from "../../internal_topics/derived_topic.ts";

export const OffsetCommitKeySpec = defineData({
  name: "OffsetCommitKey",
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Infinity,
  fields: [field("group", "string"), field("topic", "string"), field("partition", "int32")],
});

export const OffsetCommitValueSpec = defineData({
  name: "OffsetCommitValue",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Infinity,
  fields: [
    field("offset", "int64"),
    field("leaderEpoch", "int32", "3+", { default: -1 }),
    field("metadata", "string"),
    field("commitTimestamp", "int64"),
    field("expireTimestamp", "int64", "1", { default: -1 }),
  ],
});

export const GroupMetadataKeySpec = defineData({
  name: "GroupMetadataKey",
  minVersion: 2,
  maxVersion: 2,
  flexibleFrom: Infinity,
  fields: [field("group", "string")],
});

export const GroupMetadataValueSpec = defineData({
  name: "GroupMetadataValue",
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Infinity,
  fields: [
    field("protocolType", "string"),
    field("generation", "int32"),
    field("protocol", "string", "0+", { nullable: "0+" }),
    field("leader", "string", "0+", { nullable: "0+" }),
    field("currentStateTimestamp", "int64", "2+", { default: -1 }),
    field(
      "members",
      arrayOf([
        field("memberId", "string"),
        field("groupInstanceId", "string", "3+", { nullable: "3+", default: null }),
        field("clientId", "string"),
        field("clientHost", "string"),
        field("rebalanceTimeout", "int32", "1+", { default: -1 }),
        field("sessionTimeout", "int32"),
        field("subscription", "bytes"),
        field("assignment", "bytes"),
      ]),
    ),
  ],
});

export type OffsetCommitValue = DataOf<typeof OffsetCommitValueSpec>;
export type GroupMetadataValue = DataOf<typeof GroupMetadataValueSpec>;

const offsetKeyCodec = compileData(OffsetCommitKeySpec);
const offsetValueCodec = compileData(OffsetCommitValueSpec);
const groupKeyCodec = compileData(GroupMetadataKeySpec);
const groupValueCodec = compileData(GroupMetadataValueSpec);

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 3;

/** One record of the topic: key and value (null = tombstone), with the record timestamp Kafka gives it. */
export type OffsetsTopicRecord = DerivedRecord;

export function offsetCommitKey(group: string, topic: string, partition: number): Uint8Array {
  const w = new Writer(64).int16(OFFSET_KEY_VERSION);
  offsetKeyCodec.encode(w, OFFSET_KEY_VERSION, { group, topic, partition });
  return w.finish();
}

export function groupMetadataKey(group: string): Uint8Array {
  const w = new Writer(32).int16(GROUP_KEY_VERSION);
  groupKeyCodec.encode(w, GROUP_KEY_VERSION, { group });
  return w.finish();
}

/** The record of a committed offset (timestamped with its commit time, as Kafka does). */
export function offsetCommitRecord(group: string, o: CommittedOffset): OffsetsTopicRecord {
  const version = o.expireTimestamp >= 0 ? 1 : 3;
  const w = new Writer(64).int16(version);
  offsetValueCodec.encode(w, version, {
    offset: o.offset,
    leaderEpoch: o.leaderEpoch,
    metadata: o.metadata ?? "",
    commitTimestamp: o.commitTimestamp,
    expireTimestamp: o.expireTimestamp,
  });
  return {
    key: offsetCommitKey(group, o.topic, o.partition),
    value: w.finish(),
    timestamp: o.commitTimestamp,
  };
}

/** The record of a group's metadata (timestamped with the time its state was written). */
export function groupMetadataRecord(g: StoredGroup): OffsetsTopicRecord {
  const w = new Writer(256).int16(GROUP_VALUE_VERSION);
  groupValueCodec.encode(w, GROUP_VALUE_VERSION, {
    protocolType: g.protocolType ?? "",
    generation: g.generationId,
    protocol: g.protocolName,
    leader: g.leaderId,
    currentStateTimestamp: g.currentStateTimestamp,
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.subscription,
      assignment: m.assignment,
    })),
  });
  return { key: groupMetadataKey(g.groupId), value: w.finish(), timestamp: g.currentStateTimestamp };
}

/** What a record of the topic says, decoded. */
export type DecodedOffsetsRecord =
  | {
    readonly kind: "offset";
    readonly group: string;
    readonly topic: string;
    readonly partition: number;
    /** Null for a tombstone. */
    readonly value: (OffsetCommitValue & { readonly version: number }) | null;
  }
  | {
    readonly kind: "group";
    readonly group: string;
    readonly value: (GroupMetadataValue & { readonly version: number }) | null;
  };

/** Decodes a record of `__consumer_offsets`; throws DecodeError on an unknown key or value version. */
export function decodeOffsetsRecord(key: Uint8Array, value: Uint8Array | null): DecodedOffsetsRecord {
  const kr = new Reader(key);
  const kv = kr.int16();
  const vr = value === null ? null : new Reader(value);
  const valueVersion = vr?.int16() ?? -1;
  if (kv === 0 || kv === 1) {
    const k = offsetKeyCodec.decode(kr, kv);
    const v = vr === null ? null : { ...offsetValueCodec.decode(vr, valueVersion), version: valueVersion };
    return { kind: "offset", group: k.group, topic: k.topic, partition: k.partition, value: v };
  }
  const k = groupKeyCodec.decode(kr, kv);
  const v = vr === null ? null : { ...groupValueCodec.decode(vr, valueVersion), version: valueVersion };
  return { kind: "group", group: k.group, value: v };
}
