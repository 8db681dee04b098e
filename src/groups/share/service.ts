// What the share fetch handlers reach through the broker: the share-partitions this gateway leads, the share
// sessions of the members fetching from it, the admin side of share-partition state, and the group's record lock
// duration (sent in every ShareFetch answer).
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { SharePartitions } from "./share_partitions.ts";
import type { ShareOffsets } from "./share_offsets.ts";
import type { ShareSessions } from "./sessions.ts";

export interface ShareService {
  readonly partitions: SharePartitions;
  readonly sessions: ShareSessions;
  readonly offsets: ShareOffsets;
  lockDurationMs(groupId: string): number;
}

/** The share service, or the error every share API answers while share groups are off. */
export function sharesOn(shares: ShareService | null | undefined): ShareService {
  if (shares === undefined || shares === null) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, "share groups are off");
  }
  return shares;
}
