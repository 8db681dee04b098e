// Reading `__consumer_offsets` from tests with real clients and an independent decoder (tests/helpers/offsets_topic.py:
// Kafka's OffsetCommitKey/Value and GroupMetadataKey/Value formats written from the schemas, no gateway code): with
// confluent-kafka (assign, log start to high watermark) or with kcat (raw key and value bytes, decoded by the same
// Python). Also Java's String.hashCode partitioning of group ids, stand-alone commits with leader epochs and metadata
// (confluent-kafka), and DescribeTopics.
import { pythonPath } from "./tools.ts";

export const OFFSETS_TOPIC = "__consumer_offsets";
const SCRIPT = new URL("./offsets_topic.py", import.meta.url).pathname;

export interface OffsetKey {
  type: "offset";
  version: number;
  group: string;
  topic: string;
  partition: number;
}
export interface GroupKey {
  type: "group";
  version: number;
  group: string;
}
export interface OffsetValue {
  version: number;
  offset: number;
  leader_epoch: number | null;
  metadata: string;
  commit_timestamp: number;
  expire_timestamp: number | null;
}
export interface ConsumerSubscription {
  version: number;
  topics: string[];
  user_data_hex: string | null;
}
export interface ConsumerAssignment {
  version: number | null;
  partitions: Record<string, number[]>;
}
export interface GroupMember {
  member_id: string;
  group_instance_id: string | null;
  client_id: string;
  client_host: string;
  rebalance_timeout: number | null;
  session_timeout: number;
  subscription_hex: string;
  assignment_hex: string;
  subscription: ConsumerSubscription | null;
  assignment: ConsumerAssignment | null;
}
export interface GroupValue {
  version: number;
  protocol_type: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  current_state_timestamp: number | null;
  members: GroupMember[];
}
export interface OffsetsRecord {
  /** Partition of __consumer_offsets and offset in it. */
  p: number;
  o: number;
  /** The record's timestamp (ms). */
  ts: number;
  key_hex: string | null;
  value_hex: string | null;
  key: OffsetKey | GroupKey | null;
  /** null: a tombstone. */
  value: OffsetValue | GroupValue | null;
  /** What failed to decode (the record is not in Kafka's format), else null. */
  error: string | null;
}
export interface OffsetsTopicDump {
  records: OffsetsRecord[];
  partitions: number;
  /** [log start, high watermark] per partition. */
  watermarks: Record<string, [number, number]>;
}

/** Java's String.hashCode over UTF-16 code units (int32 arithmetic). */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's partitionFor: Utils.abs(groupId.hashCode) % n (Utils.abs maps Integer.MIN_VALUE to 0). */
export function offsetsPartitionFor(group: string, partitions = 50): number {
  const h = javaHashCode(group);
  return (h === -2147483648 ? 0 : Math.abs(h)) % partitions;
}

async function py(args: string[], input?: string | Uint8Array): Promise<{ code: number; lines: string[] }> {
  const child = new Deno.Command(pythonPath(), {
    args: [SCRIPT, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  if (input !== undefined) await w.write(typeof input === "string" ? new TextEncoder().encode(input) : input);
  await w.close();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 120_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout);
  const err = new TextDecoder().decode(out.stderr);
  if (err.includes("Traceback")) throw new Error(`offsets_topic.py ${args[0]} crashed:\n${err}`);
  return { code: out.code, lines: text.split("\n").filter((l) => l !== "") };
}

/** Every record of every partition of `topic` (default __consumer_offsets), read with confluent-kafka. */
export async function dumpWithConfluent(bootstrap: string, topic = OFFSETS_TOPIC): Promise<OffsetsTopicDump> {
  const { lines } = await py(["dump", bootstrap, topic]);
  const records: OffsetsRecord[] = [];
  const fetchErrors: string[] = [];
  let tail: {
    done: boolean;
    partitions: number;
    watermarks: Record<string, [number, number]>;
    error?: string;
  } | null = null;
  for (const l of lines) {
    const j = JSON.parse(l);
    if ("done" in j) tail = j;
    else if ("fetch_error" in j) fetchErrors.push(`p${j.p}: ${j.fetch_error}`);
    else records.push(j as OffsetsRecord);
  }
  if (!tail || !tail.done) {
    throw new Error(
      `confluent-kafka could not read ${topic} to its end: ${JSON.stringify(tail)}; fetch errors: ${
        fetchErrors.join("; ")
      }`,
    );
  }
  return { records, partitions: tail.partitions, watermarks: tail.watermarks };
}

/** Every record of `topic` (default __consumer_offsets) read with kcat -C -e, raw bytes decoded by the same Python. */
export async function dumpWithKcat(bootstrap: string, topic = OFFSETS_TOPIC): Promise<OffsetsRecord[]> {
  const child = new Deno.Command("kcat", {
    args: ["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-f", "%p %o %T %K %S\\n%k%s"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, 60_000);
  const out = await child.output();
  clearTimeout(timer);
  if (!out.success) {
    throw new Error(`kcat -C ${topic} exited ${out.code}: ${new TextDecoder().decode(out.stderr)}`);
  }
  const { lines } = await py(["decode-kcat"], out.stdout);
  return lines.map((l) => JSON.parse(l) as OffsetsRecord);
}

/** A stand-alone commit (confluent-kafka Consumer.commit without a subscription): [topic, partition, offset, metadata, leaderEpoch]. */
export type Commit = [string, number, number, string | null, number | null];

/** Commits each batch as one OffsetCommit of `group`; throws on an error. */
export async function commitWithConfluent(
  bootstrap: string,
  group: string,
  batches: Commit[][],
): Promise<void> {
  const { lines } = await py(["commit", bootstrap, group], JSON.stringify(batches));
  if (lines.length !== batches.length) {
    throw new Error(`commit answered ${lines.length}/${batches.length} lines`);
  }
  for (const [i, l] of lines.entries()) {
    const j = JSON.parse(l);
    if (j.error !== null) throw new Error(`commit ${i} of ${group}: ${l}`);
  }
}

export interface TopicDescription {
  error: string | null;
  message?: string;
  is_internal?: boolean;
  partitions?: number;
}

/** DescribeTopics (Metadata) through confluent-kafka's AdminClient. */
export async function describeTopics(
  bootstrap: string,
  topics: string[],
): Promise<Record<string, TopicDescription>> {
  const { lines } = await py(["describe", bootstrap, ...topics]);
  return JSON.parse(lines[0]).topics;
}

/** Produces one record with confluent-kafka to an explicit partition; the error name or null. */
export async function produceWithConfluent(
  bootstrap: string,
  topic: string,
  partition: number,
  key: string,
  value: string,
): Promise<{ error: string | null; message?: string; offset?: number }> {
  const { lines } = await py(["produce", bootstrap, topic, String(partition), key, value]);
  return JSON.parse(lines[0]);
}

// --- views of a dump ------------------------------------------------------------------------------------------

export const isOffsetKey = (k: OffsetsRecord["key"]): k is OffsetKey => k?.type === "offset";
export const isGroupKey = (k: OffsetsRecord["key"]): k is GroupKey => k?.type === "group";

/** The records of one group (offset commits and group metadata), in log order of their partition. */
export function recordsOf(records: OffsetsRecord[], group: string): OffsetsRecord[] {
  return records.filter((r) => r.key !== null && r.key.group === group).sort((a, b) =>
    a.p - b.p || a.o - b.o
  );
}

/** "group/topic/partition" of an offset key, "group" of a group key. */
export function keyId(k: OffsetKey | GroupKey): string {
  return k.type === "offset" ? `${k.group}/${k.topic}/${k.partition}` : k.group;
}

/** The latest record per key (what a compacted topic keeps; a tombstone as value null). */
export function latestByKey(records: OffsetsRecord[]): Map<string, OffsetsRecord> {
  const out = new Map<string, OffsetsRecord>();
  for (const r of [...records].sort((a, b) => a.p - b.p || a.o - b.o)) {
    if (r.key) out.set(`${r.key.type}:${keyId(r.key)}`, r);
  }
  return out;
}
