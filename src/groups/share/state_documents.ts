// Where a share group's share-partition states are kept: one document per share group, topic and partition in the
// backend's DocumentStore (embedded meta/, SeaweedMQ filer), written by the partition's leader (share_partitions.ts)
// and read or replaced by the admin APIs (share_offsets.ts). Names are hashed (group ids and topic ids may hold any
// characters); each document also names its topic id and partition inside (SharePartition.encode), so a group's
// states can be listed without knowing its topics.
import { hashedDocumentName } from "../../storage/documents.ts";

/** `share-<sha1 of the group id>-`: every share-partition document of a group starts with it. */
export function shareStatePrefix(groupId: string): Promise<string> {
  return hashedDocumentName("share-", groupId).then((n) => `${n}-`);
}

/** The document of one share-partition's state. */
export async function shareStateDocument(
  groupId: string,
  topicId: string,
  partition: number,
): Promise<string> {
  return `${await shareStatePrefix(groupId)}${await hashedDocumentName("", `${topicId}:${partition}`)}`;
}
