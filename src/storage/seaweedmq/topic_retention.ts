// retention.ms as SeaweedMQ's TopicRetention. The broker itself never applies it (the gateway deletes expired log
// files, reclaim.ts); SeaweedFS's own tools show it and `weed admin` purges whole earlier layouts of a topic with
// it. The gateway writes it with ConfigureTopic (same partition count: only the stored retention changes) when a
// topic's effective retention.ms changes, and only then, so its value in SeaweedMQ is always the Kafka one.
import type { TopicConfigs } from "../storage.ts";
import type { TopicRetention } from "./messages.ts";

/** TopicRetention for a retention.ms: whole seconds rounded up, disabled for -1 (forever). */
export function smqRetention(retentionMs: number): TopicRetention {
  return retentionMs >= 0
    ? { retentionSeconds: Math.ceil(retentionMs / 1000), enabled: true }
    : { retentionSeconds: 0, enabled: false };
}

/** Same meaning to SeaweedMQ: none stored and a disabled one with 0 seconds are both "no retention". */
function same(a: TopicRetention | null, b: TopicRetention): boolean {
  const x = a ?? { retentionSeconds: 0, enabled: false };
  return x.enabled === b.enabled && x.retentionSeconds === b.retentionSeconds;
}

/**
 * A retention that differs from `stored` but stands for `desired`: `desired` itself, or, when that is what is
 * stored, its variant with one second more (disabled: seconds 0 <-> 1, which SeaweedMQ ignores). ConfigureTopic
 * with it makes the broker re-assign leaderless partitions (SeaweedMQStorage.reassign) without changing what the
 * retention means.
 */
export function nudgedRetention(stored: TopicRetention | null, desired: TopicRetention): TopicRetention {
  if (!same(stored, desired)) return desired;
  return desired.enabled
    ? { retentionSeconds: desired.retentionSeconds + 1, enabled: true }
    : { retentionSeconds: desired.retentionSeconds === 0 ? 1 : 0, enabled: false };
}

/** Whether `stored` already stands for `desired` (itself or its nudged variant): nothing to write. */
export function retentionInSync(stored: TopicRetention | null, desired: TopicRetention): boolean {
  return same(stored, desired) || same(stored, nudgedRetention(desired, desired));
}

/**
 * A numeric topic config in effect: the override, else the broker-level default, else `fallback` (before the
 * config model pushed its defaults). Long.MAX and other values beyond 2^53 come out approximate, which no
 * comparison with a time or size notices.
 */
export function topicNumber(
  overrides: TopicConfigs,
  defaults: TopicConfigs,
  key: string,
  fallback: number,
): number {
  const v = Number(overrides[key] ?? defaults[key]);
  return Number.isFinite(v) ? v : fallback;
}
