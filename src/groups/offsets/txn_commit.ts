// TxnOffsetCommit's checks, in Kafka's order (KafkaApis.handleTxnOffsetCommitRequest, then the group
// coordinator's validateTransactionalOffsetCommit and commitTransactionalOffset):
// 1. unknown topic partitions: UNKNOWN_TOPIC_OR_PARTITION, whatever happens to the rest (KafkaApis answers them
//    before the coordinator sees the request);
// 2. the coordinator: closed (COORDINATOR_NOT_AVAILABLE), empty group id (INVALID_GROUP_ID), the group's
//    `__consumer_offsets` partition loading (COORDINATOR_LOAD_IN_PROGRESS) or not coordinated here
//    (NOT_COORDINATOR);
// 3. KIP-890: the transaction coordinator confirms the partition is in the producer's ongoing transaction (the
//    caller's verify; its KafkaError answers every partition), under a verification guard;
// 4. KIP-447: the group's membership rules (OffsetGroup.validateTxnOffsetCommit); an unknown group takes only a
//    commit without generation (a simple group is created for it), else ILLEGAL_GENERATION;
// 5. per partition: metadata longer than offset.metadata.max.bytes (OFFSET_METADATA_TOO_LARGE);
// 6. the accepted offsets are stored pending in the producer's transaction (./txn_offsets.ts): INVALID_TXN_STATE
//    when its transaction ended since the verification, INVALID_PRODUCER_EPOCH for an older epoch than stored,
//    NOT_COORDINATOR when the partition moved meanwhile, COORDINATOR_NOT_AVAILABLE when the store failed.
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";
import type { Logger } from "../../log.ts";
import { type CommittedOffset, offsetKey } from "../../storage/group_store.ts";
import type { CommittedOffsets } from "./committed_offsets.ts";
import type { OffsetGroupDirectory, TxnCommitArgs } from "./contract.ts";
import type { TransactionalOffsets, VerificationGuard } from "./txn_offsets.ts";

/** What the checks need of the coordinator. */
export interface TxnCommitEnv {
  readonly offsets: CommittedOffsets;
  readonly pending: TransactionalOffsets;
  readonly groups: OffsetGroupDirectory;
  readonly log: Logger;
  readonly partitionOf: (groupId: string) => number;
  /**
   * NONE when this coordinator takes commits for the `__consumer_offsets` partition now; otherwise
   * COORDINATOR_NOT_AVAILABLE (closed), COORDINATOR_LOAD_IN_PROGRESS or NOT_COORDINATOR.
   */
  placement(offsetsPartition: number): number;
}

/** TxnOffsetCommit: an error code per offsetKey of the request. */
export async function txnOffsetCommit(env: TxnCommitEnv, a: TxnCommitArgs): Promise<Map<string, number>> {
  const codes = new Map<string, number>();
  const rest: TxnCommitArgs["offsets"][number][] = [];
  for (const o of a.offsets) {
    if (env.offsets.partitionKnown(o.topic, o.partition)) rest.push(o);
    else codes.set(offsetKey(o.topic, o.partition), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  }
  const refuse = (code: number) => {
    for (const o of rest) codes.set(offsetKey(o.topic, o.partition), code);
    return codes;
  };
  if (rest.length === 0) return codes;
  const partition = env.partitionOf(a.groupId);
  let code = env.placement(partition);
  if (code === ErrorCode.COORDINATOR_NOT_AVAILABLE) return refuse(code);
  if (a.groupId === "") return refuse(ErrorCode.INVALID_GROUP_ID);
  if (code !== ErrorCode.NONE) return refuse(code);

  let guard: VerificationGuard | null = null;
  try {
    if (a.verify !== null) {
      guard = env.pending.guard(partition, a.producerId);
      try {
        await a.verify();
      } catch (e) {
        if (e instanceof KafkaError) return refuse(e.code);
        throw e;
      }
      // The partition may have moved while the transaction coordinator was asked.
      code = env.placement(partition);
      if (code !== ErrorCode.NONE) return refuse(code);
    }

    const group = env.groups.group(a.groupId);
    if (group === undefined) {
      if (a.generationId >= 0) return refuse(ErrorCode.ILLEGAL_GENERATION);
    } else {
      code = group.validateTxnOffsetCommit(a.memberId, a.groupInstanceId, a.generationId);
      if (code !== ErrorCode.NONE) return refuse(code);
    }

    const now = env.offsets.now();
    const accepted: CommittedOffset[] = [];
    for (const o of rest) {
      const k = offsetKey(o.topic, o.partition);
      if (!env.offsets.metadataFits(o.metadata)) {
        codes.set(k, ErrorCode.OFFSET_METADATA_TOO_LARGE);
        continue;
      }
      accepted.push({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        leaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        commitTimestamp: now,
        expireTimestamp: -1,
      });
      codes.set(k, ErrorCode.NONE);
    }
    if (accepted.length === 0) return codes;
    // Simple consumers' transactions (no group management) commit to a group nobody created yet.
    if (group === undefined) env.groups.createSimpleGroup(a.groupId);
    try {
      await env.pending.add(a.groupId, a.producerId, a.producerEpoch, accepted, guard);
    } catch (e) {
      const kafka = e instanceof KafkaError;
      const args = { group: a.groupId, reason: String(e) };
      if (kafka) env.log.info("transactional offsets of group {group} not stored: {reason}", args);
      else env.log.error("storing transactional offsets of group {group} failed: {reason}", args);
      for (const o of accepted) {
        codes.set(offsetKey(o.topic, o.partition), kafka ? e.code : ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      // A simple group created for a commit that stored nothing does not stay behind.
      env.groups.forgetIfUnused(a.groupId);
    }
    return codes;
  } finally {
    if (guard !== null) env.pending.endGuard(guard);
  }
}
