// Kafka 4.1's group configs (GroupConfig), with Kafka 4.3's share.delivery.count.limit,
// share.partition.max.record.locks and share.renew.acknowledge.enable: per-group overrides of the group coordinator's settings, on config
// resources of type GROUP (32). Their defaults are the broker's group.* settings, and every override is checked
// against the broker's bounds (group.consumer.min.session.timeout.ms ...) with Kafka's messages, on the whole set
// the group would end up with (defaults below its overrides). The consumer.* ones act on KIP-848 groups here; the
// share.* and streams.* ones are accepted, stored and reported as Kafka does, and say in their documentation that
// nothing acts on them yet (this gateway serves neither share groups nor streams groups).
import type { Config } from "./options.ts";
import { atLeast, type ConfigDef } from "./values.ts";
import { invalidConfig } from "./alterations.ts";

/** A broker setting bounding a group config: its Kafka name and value here. */
interface Bound {
  readonly name: string;
  readonly value: (c: Config) => number;
}

export interface GroupConfigDef extends ConfigDef {
  /** The default: the broker's setting of the same meaning. */
  readonly fromBroker: (c: Config) => string;
  readonly min?: Bound;
  readonly max?: Bound;
  /** Accepted, stored and reported, but nothing here acts on it: why (appended to its documentation). */
  readonly noEffect?: string;
  /** Acts on share groups only: without effect on a gateway that does not serve them (group.share.enable). */
  readonly shareGroups?: true;
}

/** Appended to the documentation of the share group configs. */
export const SHARE_PREVIEW = " Acts on share groups, served with group.share.enable (preview).";
const SHARE_GROUPS = { shareGroups: true } as const;
const NOT_BATCHED =
  " Accepted and stored; it has no effect: target assignments are computed in the heartbeat " +
  "that needs them, not batched.";
const NO_STREAMS =
  " Accepted and stored; it has no effect: this gateway does not serve streams groups (KIP-1071).";

/** Kafka's fixed defaults of the broker settings this gateway has no option for. */
const fixed = (name: string, value: number): Bound => ({ name, value: () => value });

/** share.auto.offset.reset: earliest, latest or by_duration:<ISO-8601 duration, not negative>. */
const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/**
 * The milliseconds of a `by_duration:<PnDTnHnMn.nS>` share.auto.offset.reset value, as the check below accepts it
 * (case-insensitive, spaces around the duration allowed); null for any other value.
 */
export function offsetResetDurationMs(v: string): number | null {
  if (!v.startsWith("by_duration:")) return null;
  const d = v.slice("by_duration:".length).trim();
  const m = DURATION.exec(d);
  if (m === null || d.length <= 1 || /T$/i.test(d)) return null;
  return ((Number(m[1] ?? 0) * 24 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 60_000 +
    Number(m[4] ?? 0) * 1_000;
}

function offsetReset(v: unknown): string | null {
  if (typeof v !== "string") return null;
  if (v === "earliest" || v === "latest") return null;
  if (offsetResetDurationMs(v) !== null) return null;
  return `Invalid value \`${v}\` for configuration share.auto.offset.reset. The value must be either 'earliest', ` +
    "'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.";
}

function intDef(
  name: string,
  doc: string,
  fromBroker: (c: Config) => number,
  min: Bound,
  max: Bound,
  about: Pick<GroupConfigDef, "noEffect" | "shareGroups"> = {},
): GroupConfigDef {
  return {
    name,
    type: "int",
    default: null,
    check: atLeast(1),
    doc,
    fromBroker: (c) => String(fromBroker(c)),
    min,
    max,
    ...about,
  };
}

/**
 * `<kind>.assignment.interval.ms` (Kafka 4.3, KIP-1263): the least time between two target assignments of a group,
 * Kafka's batching of assignor runs. Accepted with Kafka's default and bounds; a group's target assignment here is
 * computed in the heartbeat that needs it (the assignors take milliseconds even for large groups:
 * `deno task bench:assignors`), never held back.
 */
function intervalDef(
  name: "consumer" | "share" | "streams",
  about: Pick<GroupConfigDef, "noEffect" | "shareGroups">,
): GroupConfigDef {
  return {
    name: `${name}.assignment.interval.ms`,
    type: "int",
    default: null,
    check: atLeast(0),
    doc: `The interval between assignment updates for this ${name} group (Kafka 4.3).`,
    fromBroker: () => "1000",
    min: fixed(`group.${name}.min.assignment.interval.ms`, 0),
    max: fixed(`group.${name}.max.assignment.interval.ms`, 15_000),
    ...about,
    noEffect: about.noEffect ?? NOT_BATCHED,
  };
}

/** Every group config of Kafka 4.1 and 4.3, sorted by name (the order DescribeConfigs answers in). */
export const GROUP_CONFIGS: readonly GroupConfigDef[] = [
  intervalDef("consumer", {}),
  intDef(
    "consumer.heartbeat.interval.ms",
    "The heartbeat interval given to the members of this consumer group (KIP-848).",
    (c) => c.groupConsumerHeartbeatIntervalMs,
    { name: "group.consumer.min.heartbeat.interval.ms", value: (c) => c.groupConsumerMinHeartbeatIntervalMs },
    { name: "group.consumer.max.heartbeat.interval.ms", value: (c) => c.groupConsumerMaxHeartbeatIntervalMs },
  ),
  intDef(
    "consumer.session.timeout.ms",
    "The timeout to detect client failures of this consumer group's members (KIP-848).",
    (c) => c.groupConsumerSessionTimeoutMs,
    { name: "group.consumer.min.session.timeout.ms", value: (c) => c.groupConsumerMinSessionTimeoutMs },
    { name: "group.consumer.max.session.timeout.ms", value: (c) => c.groupConsumerMaxSessionTimeoutMs },
  ),
  intervalDef("share", SHARE_GROUPS),
  {
    name: "share.auto.offset.reset",
    type: "string",
    default: null,
    check: offsetReset,
    doc: "The strategy to initialize the share-partition start offset: earliest, latest or " +
      "by_duration:<duration> (ISO-8601, not negative).",
    fromBroker: () => "latest",
    shareGroups: true,
  },
  intDef(
    "share.delivery.count.limit",
    "The maximum number of delivery attempts for a record delivered to this share group (Kafka 4.3).",
    (c) => c.groupShareDeliveryCountLimit,
    fixed("group.share.min.delivery.count.limit", 2),
    fixed("group.share.max.delivery.count.limit", 10),
    SHARE_GROUPS,
  ),
  intDef(
    "share.heartbeat.interval.ms",
    "The heartbeat interval given to the members of this share group.",
    (c) => c.groupShareHeartbeatIntervalMs,
    fixed("group.share.min.heartbeat.interval.ms", 5_000),
    fixed("group.share.max.heartbeat.interval.ms", 15_000),
    SHARE_GROUPS,
  ),
  {
    name: "share.isolation.level",
    type: "string",
    default: null,
    check: (v) =>
      v === "read_committed" || v === "read_uncommitted"
        ? null
        : "String must be one of: read_committed, read_uncommitted",
    doc:
      "How the share group reads records written transactionally: read_committed delivers only committed " +
      "ones, read_uncommitted all of them.",
    fromBroker: () => "read_uncommitted",
    shareGroups: true,
  },
  intDef(
    "share.partition.max.record.locks",
    "The most records in flight (acquired or waiting to be) per share-partition of this share group (Kafka 4.3).",
    (c) => c.groupSharePartitionMaxRecordLocks,
    // Kafka's bounds, widened to hold this broker's own setting (which may go to 10,000 as Kafka 4.1 allowed)
    {
      name: "group.share.min.partition.max.record.locks",
      value: (c) => Math.min(100, c.groupSharePartitionMaxRecordLocks),
    },
    {
      name: "group.share.max.partition.max.record.locks",
      value: (c) => Math.max(4_000, c.groupSharePartitionMaxRecordLocks),
    },
    SHARE_GROUPS,
  ),
  intDef(
    "share.record.lock.duration.ms",
    "How long a share consumer holds the records it acquired before they are released to others.",
    (c) => c.groupShareRecordLockDurationMs,
    fixed("group.share.min.record.lock.duration.ms", 15_000),
    fixed("group.share.max.record.lock.duration.ms", 60_000),
    SHARE_GROUPS,
  ),
  {
    name: "share.renew.acknowledge.enable",
    type: "boolean",
    default: null,
    doc:
      "Whether this share group's consumers may renew the locks of the records they hold (KIP-1222, Kafka 4.3).",
    fromBroker: () => "true",
    shareGroups: true,
  },
  intDef(
    "share.session.timeout.ms",
    "The timeout to detect client failures of this share group's members.",
    (c) => c.groupShareSessionTimeoutMs,
    fixed("group.share.min.session.timeout.ms", 45_000),
    fixed("group.share.max.session.timeout.ms", 60_000),
    SHARE_GROUPS,
  ),
  intervalDef("streams", { noEffect: NO_STREAMS }),
  intDef(
    "streams.heartbeat.interval.ms",
    "The heartbeat interval given to the members of this streams group.",
    () => 5_000,
    fixed("group.streams.min.heartbeat.interval.ms", 5_000),
    fixed("group.streams.max.heartbeat.interval.ms", 15_000),
    { noEffect: NO_STREAMS },
  ),
  {
    name: "streams.initial.rebalance.delay.ms",
    type: "int",
    default: null,
    check: atLeast(0),
    doc:
      "How long the coordinator waits for more streams clients to join a new streams group before its first " +
      "rebalance (Kafka 4.3).",
    fromBroker: () => "3000",
    noEffect: NO_STREAMS,
  },
  {
    name: "streams.num.standby.replicas",
    type: "int",
    default: null,
    check: atLeast(0),
    doc: "The number of standby replicas for each task of this streams group.",
    fromBroker: () => "0",
    max: fixed("group.streams.max.standby.replicas", 2),
    noEffect: NO_STREAMS,
  },
  intDef(
    "streams.session.timeout.ms",
    "The timeout to detect client failures of this streams group's members.",
    () => 45_000,
    fixed("group.streams.min.session.timeout.ms", 45_000),
    fixed("group.streams.max.session.timeout.ms", 60_000),
    { noEffect: NO_STREAMS },
  ),
];

export const GROUP_CONFIG_BY_NAME: ReadonlyMap<string, GroupConfigDef> = new Map(
  GROUP_CONFIGS.map((d) => [d.name, d]),
);

/** The order Kafka checks bounds in, then the session-above-heartbeat pairs. */
const BOUND_ORDER = [
  "consumer.heartbeat.interval.ms",
  "consumer.session.timeout.ms",
  "consumer.assignment.interval.ms",
  "share.heartbeat.interval.ms",
  "share.session.timeout.ms",
  "share.record.lock.duration.ms",
  "share.delivery.count.limit",
  "share.partition.max.record.locks",
  "share.assignment.interval.ms",
  "streams.heartbeat.interval.ms",
  "streams.session.timeout.ms",
  "streams.num.standby.replicas",
  "streams.assignment.interval.ms",
] as const;
const PAIRS = ["consumer", "share", "streams"] as const;

/**
 * Throws INVALID_CONFIG with Kafka's message unless `values` (every group config, canonical: the defaults below the
 * group's overrides) are within the broker's bounds and each session timeout is above its heartbeat interval.
 */
export function checkGroupConfigs(values: Readonly<Record<string, string>>, config: Config): void {
  for (const name of BOUND_ORDER) {
    const def = GROUP_CONFIG_BY_NAME.get(name)!;
    const v = Number(values[name]);
    if (def.min && v < def.min.value(config)) {
      throw invalidConfig(`${name} must be greater than or equal to ${def.min.name}`);
    }
    if (def.max && v > def.max.value(config)) {
      throw invalidConfig(`${name} must be less than or equal to ${def.max.name}`);
    }
  }
  for (const kind of PAIRS) {
    const session = `${kind}.session.timeout.ms`;
    const heartbeat = `${kind}.heartbeat.interval.ms`;
    if (Number(values[session]) <= Number(values[heartbeat])) {
      throw invalidConfig(`${session} must be greater than ${heartbeat}`);
    }
  }
}

/** Every group config's default on this gateway (the broker's settings). */
export function groupConfigDefaults(config: Config): Record<string, string> {
  return Object.fromEntries(GROUP_CONFIGS.map((d) => [d.name, d.fromBroker(config)]));
}
