// What a consumer group's subscriptions resolve to, and when that counts as a change: Kafka bumps the group epoch
// when a member's subscription changed (hasMemberSubscriptionChanged) or when the subscribed topics' metadata did
// (new partitions, new topics matching a regex, deleted topics). Regular-expression subscriptions are evaluated
// against the topics at most every REGEX_REFRESH_MS (so new topics are picked up), except a regex a member just
// subscribed with, evaluated at once. Synchronous: run inside a heartbeat's one step (consumer_groups.ts).
import type { TopicsView } from "./contract.ts";
import { compileTopicRegex } from "./regex.ts";
import type { ConsumerGroup, ConsumerMember } from "./group.ts";

/** How often regular-expression subscriptions are evaluated again against the topics (new topics picked up). */
export const REGEX_REFRESH_MS = 1_000;

/** The fields of a member whose change is a new subscription. */
export interface SubscriptionFields {
  instanceId: string | null;
  rackId: string | null;
  serverAssignor: string | null;
  subscribedTopicNames: readonly string[];
  subscribedTopicRegex: string | null;
}

export function sameSubscription(m: ConsumerMember, next: SubscriptionFields): boolean {
  // Kafka's hasMemberSubscriptionChanged: subscribed names, regex and the server assignor (and rack) count.
  if (m.subscribedTopicRegex !== next.subscribedTopicRegex) return false;
  if (m.serverAssignor !== next.serverAssignor || m.rackId !== next.rackId) return false;
  const a = m.subscribedTopicNames;
  const b = next.subscribedTopicNames;
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((n) => set.has(n));
}

/**
 * Recomputes the subscribed topics' metadata (regexes evaluated again at most every REGEX_REFRESH_MS): true
 * when it changed since the group epoch was last bumped (new partitions, new matching topics, deleted topics).
 * `now` is the deadline queue's clock; `m`, the member whose heartbeat this is (if any).
 */
export function refreshMetadata(
  group: ConsumerGroup,
  topics: TopicsView,
  now: number,
  m?: ConsumerMember,
): boolean {
  // The member's regex not evaluated yet (it just subscribed with it) is evaluated now, the rest on the interval
  // (a group just loaded has evaluated none: its interval has passed).
  const r = m?.subscribedTopicRegex ?? null;
  const unresolved = r !== null && r !== "" && !group.regexMatches.has(r);
  if (unresolved || now - group.regexResolvedAt >= REGEX_REFRESH_MS) resolveRegexes(group, topics, now);
  const parts: string[] = [];
  for (const n of group.subscribedTopicNames()) {
    const t = topics.byName(n);
    if (t !== undefined) parts.push(`${n}:${t.id}:${t.partitions}`);
  }
  const sig = parts.join(",");
  if (sig === group.metadataSignature) return false;
  group.metadataSignature = sig;
  return true;
}

function resolveRegexes(group: ConsumerGroup, topics: TopicsView, now: number): void {
  const sources = new Set<string>();
  for (const m of group.members.values()) {
    if (m.subscribedTopicRegex !== null && m.subscribedTopicRegex !== "") {
      sources.add(m.subscribedTopicRegex);
    }
  }
  const matches = new Map<string, readonly string[]>();
  if (sources.size > 0) {
    const all = [...topics.names()];
    for (const s of sources) {
      try {
        const re = compileTopicRegex(s);
        matches.set(s, all.filter((n) => re.matches(n)).sort());
      } catch {
        matches.set(s, []); // validated on the heartbeat that set it; a stored one that no longer compiles
      }
    }
  }
  group.regexMatches = matches;
  group.regexResolvedAt = now;
  group.subscriptionsChanged();
}
