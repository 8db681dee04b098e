// What the share fetch handlers reach through the broker: the share-partitions this gateway leads, the share
// sessions of the members fetching from it, and the group's record lock duration (sent in every ShareFetch answer).
import type { SharePartitions } from "./share_partitions.ts";
import type { ShareSessions } from "./sessions.ts";

export interface ShareService {
  readonly partitions: SharePartitions;
  readonly sessions: ShareSessions;
  lockDurationMs(groupId: string): number;
}
