// What the share fetch handlers reach through the broker: the share-partitions this gateway leads, the share
// sessions of the members fetching from it, the admin side of share-partition state, and the group's record lock
// duration (sent in every ShareFetch answer).
import type { SharePartitions } from "./share_partitions.ts";
import type { ShareOffsets } from "./share_offsets.ts";
import type { ShareSessions } from "./sessions.ts";

export interface ShareService {
  readonly partitions: SharePartitions;
  readonly sessions: ShareSessions;
  readonly offsets: ShareOffsets;
  lockDurationMs(groupId: string): number;
}
