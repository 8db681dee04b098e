// Topic naming rules shared by CreateTopics, auto-creation and the config APIs, the partition limits that every
// way of adding partitions goes through (CreateTopics, CreatePartitions, auto-creation; validate_only included), and
// the manual replica assignments CreateTopics and CreatePartitions accept.
// Topic-config rules live in src/configs (defs.ts: types, defaults, validation; model.ts: validateTopicConfig).
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { Config } from "../configs/options.ts";
import type { Storage } from "../storage/storage.ts";
import { type ClusterView, CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from "../cluster/view.ts";

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;

/**
 * Kafka's internal topics (Topic.isInternal): the gateway writes them, clients read them. Metadata flags them, and
 * Produce, DeleteRecords, DeleteTopics and CreatePartitions refuse them with INVALID_TOPIC_EXCEPTION, as Kafka's
 * broker does for appends and record deletion (and its tools for deletion; a partition count change would move
 * groups to other coordinators).
 */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set([CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC]);

export function isInternalTopic(name: string): boolean {
  return INTERNAL_TOPICS.has(name);
}

/** Throws INVALID_TOPIC_EXCEPTION when `name` is internal; `what` says what was refused ("append to"). */
export function refuseInternal(name: string, what: string): void {
  if (INTERNAL_TOPICS.has(name)) {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot ${what} internal topic ${name}`);
  }
}

/** Most partitions one topic may have on any backend (the gateway's own cap). */
const MAX_TOPIC_PARTITIONS = 100_000;
/**
 * Descriptors kept for the gateway itself before partitions are counted: stdio, the runtime's caches and event
 * loop, the data-directory and group-store locks, the group log, the listeners, temporary files of atomic writes
 * and background checkpoints (an idle gateway holds about 30).
 */
export const RESERVED_FILES = 100;
/**
 * Assumed open-file limit when the real one cannot be learnt (no --allow-ffi and no --allow-all, or neither Linux
 * nor macOS): a common hard limit, and Deno raises its soft limit to the hard one at start.
 */
export const FALLBACK_OPEN_FILES = 4096;
const LIMITS_FILE = "/proc/self/limits";

export interface OpenFileLimit {
  /** Soft limit on open files; Infinity when unlimited. */
  readonly limit: number;
  /** Where it comes from, for messages. */
  readonly source: string;
}

/** The soft limit of the "Max open files" line of /proc/<pid>/limits; Infinity for "unlimited", null when absent. */
export function parseOpenFileLimit(text: string): number | null {
  const m = /^Max open files\s+(\S+)/m.exec(text);
  if (!m) return null;
  if (m[1] === "unlimited") return Infinity;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

type LibC = Deno.DynamicLibrary<{ getrlimit: { parameters: ["i32", "buffer"]; result: "i32" } }>;
let libc: LibC | null | undefined;

/**
 * The soft RLIMIT_NOFILE through libc's getrlimit(), or null when FFI is not granted (asked first: a prompt on a
 * terminal would stall the request) or the platform is neither Linux nor macOS. Deno 2 reserves every /proc path
 * to --allow-all, so this is how a gateway run with its documented permissions (--allow-ffi, for the native
 * codecs) learns its limit.
 */
function getrlimitNoFile(): number | null {
  const os = Deno.build.os;
  if (os !== "linux" && os !== "darwin") return null;
  if (libc === undefined) {
    libc = null;
    if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return null;
    for (const name of os === "linux" ? ["libc.so.6", "libc.so"] : ["libSystem.B.dylib"]) {
      try {
        libc = Deno.dlopen(name, { getrlimit: { parameters: ["i32", "buffer"], result: "i32" } });
        break;
      } catch { /* try the next name (musl, ...) */ }
    }
  }
  if (libc === null) return null;
  const rlim = new BigUint64Array(2); // struct rlimit { rlim_t rlim_cur, rlim_max } (64-bit)
  if (libc.symbols.getrlimit(os === "linux" ? 7 : 8, new Uint8Array(rlim.buffer)) !== 0) return null;
  return rlim[0] >= 2n ** 53n ? Infinity : Number(rlim[0]); // RLIM_INFINITY
}

/** The process's open-file limit, learnt at each call: prlimit can change it while the gateway runs. */
export function openFileLimit(): OpenFileLimit {
  const fromLibc = getrlimitNoFile();
  if (fromLibc !== null) return { limit: fromLibc, source: `the open-file limit ${fromLibc} (getrlimit)` };
  let why = "no --allow-ffi for getrlimit";
  try {
    // Asked first, as above; reading also needs --allow-all in Deno 2.
    if (Deno.permissions.querySync({ name: "read", path: LIMITS_FILE }).state === "granted") {
      const limit = parseOpenFileLimit(Deno.readTextFileSync(LIMITS_FILE));
      if (limit !== null) return { limit, source: `the open-file limit ${limit} (${LIMITS_FILE})` };
      why += `, no "Max open files" in ${LIMITS_FILE}`;
    } else why += `, no --allow-read for ${LIMITS_FILE}`;
  } catch (e) {
    why += `, ${LIMITS_FILE} not readable: ${(e as Error).message}`;
  }
  return {
    limit: FALLBACK_OPEN_FILES,
    source: `an assumed open-file limit of ${FALLBACK_OPEN_FILES} (${why})`,
  };
}

export interface PartitionLimits {
  /** Most partitions one topic may have: the gateway's cap, or the backend's when lower (SeaweedMQ's ring). */
  readonly perTopic: number;
  /** Most partitions over all topics; Infinity when there is no such limit. */
  readonly total: number;
  /** Where `total` comes from, named in errors and in the start-up log. */
  readonly reason: string;
  /** What an operator can do about `total`. */
  readonly remedy: string;
}

/** What the limits depend on (a Broker has it). */
export interface LimitSource {
  readonly storage: Storage;
  readonly config: Pick<Config, "maxPartitions" | "maxConnections">;
}

/**
 * The partition limits: --max-partitions when set; otherwise, on a backend whose partitions hold local files (the
 * embedded log), what the open-file limit leaves after RESERVED_FILES and the connections (--max-connections, at
 * most a quarter of the limit) at `openFilesPerPartition` each; otherwise none over all topics.
 */
export function partitionLimit(
  src: LimitSource,
  files: () => OpenFileLimit = openFileLimit,
): PartitionLimits {
  const { storage, config } = src;
  const perTopic = Math.min(MAX_TOPIC_PARTITIONS, storage.maxPartitions ?? Infinity);
  const per = storage.openFilesPerPartition;
  if (config.maxPartitions > 0) {
    return {
      perTopic,
      total: config.maxPartitions,
      reason: `--max-partitions ${config.maxPartitions}`,
      remedy: per
        ? `raise --max-partitions (each partition holds up to ${per} open files) or delete topics`
        : "raise --max-partitions or delete topics",
    };
  }
  if (per === undefined || per <= 0) {
    return { perTopic, total: Infinity, reason: `${storage.kind} backend, --max-partitions 0`, remedy: "" };
  }
  const f = files();
  if (f.limit === Infinity) {
    return { perTopic, total: Infinity, reason: "unlimited open files, --max-partitions 0", remedy: "" };
  }
  // Internal topics (__consumer_offsets) are the gateway's own: their files are kept aside, not counted.
  let internal = 0;
  for (const t of storage.listTopics()) if (INTERNAL_TOPICS.has(t.name)) internal += t.partitions;
  const kept = RESERVED_FILES + Math.min(config.maxConnections, Math.floor(f.limit / 4)) + internal * per;
  return {
    perTopic,
    total: Math.max(0, Math.floor((f.limit - kept) / per)),
    reason: `--max-partitions 0: derived from ${f.source}, ${per} files per partition, ${kept} kept for ` +
      `connections, internal topics and the gateway itself`,
    remedy:
      "raise the open-file limit (ulimit -n, systemd LimitNOFILE) or set --max-partitions, or delete topics",
  };
}

/** Partitions being created right now that listTopics() does not show yet: concurrent requests share the room. */
const inFlight = new WeakMap<Storage, number>();

/** Partitions of client topics (internal topics are the gateway's and not counted against the limits). */
export function partitionsHeld(storage: Storage): number {
  let n = inFlight.get(storage) ?? 0;
  for (const t of storage.listTopics()) if (!INTERNAL_TOPICS.has(t.name)) n += t.partitions;
  return n;
}

/**
 * Refuses, before anything is created, a topic `topic` of `count` partitions (it has `current` now: 0 for a new
 * topic) that is beyond partitionLimit(): INVALID_PARTITIONS above the per-topic cap, POLICY_VIOLATION when the
 * partitions over all topics would exceed the total (a limit of this gateway, like a create-topic policy), with a
 * message naming the limit, where it comes from and the flag.
 */
export function checkPartitionLimit(src: LimitSource, topic: string, count: number, current = 0): void {
  const lim = partitionLimit(src);
  if (count > lim.perTopic) {
    throw new KafkaError(
      ErrorCode.INVALID_PARTITIONS,
      `Number of partitions must be at most ${lim.perTopic}.`,
    );
  }
  if (lim.total === Infinity) return;
  const after = partitionsHeld(src.storage) - current + count;
  if (after <= lim.total) return;
  const what = current === 0
    ? `Creating topic ${topic} with ${count} partition(s)`
    : `Growing topic ${topic} from ${current} to ${count} partitions`;
  throw new KafkaError(
    ErrorCode.POLICY_VIOLATION,
    `${what} would bring the gateway to ${after} partitions over all topics, above its limit of ${lim.total} ` +
      `(${lim.reason}); ${lim.remedy}.`,
  );
}

/**
 * checkPartitionLimit(), then `create()` with the new partitions counted against the limit until it settles, so
 * that concurrent creations cannot together exceed it.
 */
export async function createWithinPartitionLimit<T>(
  src: LimitSource,
  topic: string,
  count: number,
  current: number,
  create: () => Promise<T>,
): Promise<T> {
  checkPartitionLimit(src, topic, count, current);
  const added = count - current;
  inFlight.set(src.storage, (inFlight.get(src.storage) ?? 0) + added);
  try {
    return await create();
  } finally {
    inFlight.set(src.storage, (inFlight.get(src.storage) ?? added) - added);
  }
}

export const MAX_TOPIC_NAME_LENGTH = 249;

/** Throws INVALID_TOPIC_EXCEPTION with Kafka's reasons for an illegal topic name. */
export function validateTopicName(name: string): void {
  if (name === "") {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, "Topic name is illegal, it can't be empty");
  }
  if (name === "." || name === "..") {
    throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Topic name cannot be "." or ".."`);
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters`,
    );
  }
  if (!LEGAL_NAME.test(name)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}

/**
 * A manual replica assignment of one partition (CreateTopics, CreatePartitions): exactly one live broker, as every
 * partition has one replica, its leader gateway (the backend keeps the data). The named broker is checked, not
 * imposed: the cluster's controller places leaders (a solo gateway leads everything). Throws
 * INVALID_REPLICA_ASSIGNMENT with Kafka's wording.
 */
export function checkReplicaAssignment(cluster: ClusterView, brokerIds: readonly number[]): void {
  if (brokerIds.length === 0) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      "The manual partition assignment includes an empty replica list.",
    );
  }
  const unknown = brokerIds.find((b) => cluster.broker(b) === undefined);
  if (unknown !== undefined) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes broker ${unknown}, but no such broker is registered.`,
    );
  }
  const twice = brokerIds.find((b, i) => brokerIds.indexOf(b) !== i);
  if (twice !== undefined) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment includes the broker ${twice} more than once.`,
    );
  }
  if (brokerIds.length > 1) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICA_ASSIGNMENT,
      `The manual partition assignment names ${brokerIds.length} replicas, but partitions have one (their leader).`,
    );
  }
}
