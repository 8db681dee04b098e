// Reads the topic list out of a "consumer" protocol subscription (ConsumerProtocolSubscription v0-3, always
// non-flexible: version int16, topics [string], ...). Used for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC.
import { Reader } from "../../protocol/codec.ts";

export function subscribedTopics(metadata: Uint8Array): string[] {
  if (metadata.length < 6) return [];
  try {
    const r = new Reader(metadata);
    r.int16();
    const n = r.int32();
    if (n < 0 || n > metadata.length) return [];
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return topics;
  } catch {
    return []; // a client's private format: no subscription information
  }
}
