// The authorization rules of the transaction and producer-id APIs, as Kafka's KafkaApis checks them: WRITE on the
// transactional id first (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then the group and the topics involved; the
// describing APIs show only the transactional ids and topics the principal may DESCRIBE.
import { ErrorCode } from "../../../protocol/errors.ts";
import { ALLOW } from "../../../request/authorize.ts";
import { InitProducerIdSpec } from "../../../protocol/messages/init_producer_id.ts";
import { AddPartitionsToTxnSpec } from "../../../protocol/messages/add_partitions_to_txn.ts";
import { AddOffsetsToTxnSpec } from "../../../protocol/messages/add_offsets_to_txn.ts";
import { EndTxnSpec } from "../../../protocol/messages/end_txn.ts";
import { TxnOffsetCommitSpec } from "../../../protocol/messages/txn_offset_commit.ts";
import { DescribeTransactionsSpec } from "../../../protocol/messages/describe_transactions.ts";
import { ListTransactionsSpec } from "../../../protocol/messages/list_transactions.ts";
import { AclOperation as Op } from "../model.ts";
import {
  clusterOnly,
  DENY_CLUSTER,
  DENY_GROUP,
  DENY_TOPIC,
  DENY_TXN,
  rewrite,
  type Rule,
  splitList,
  topicCode,
} from "./common.ts";

/** InitProducerId: WRITE on the transactional id; without one (KIP-679) IDEMPOTENT_WRITE or WRITE on some topic. */
export const initProducerId: Rule<typeof InitProducerIdSpec> = (p, _ctx, req) => {
  const txn = req.transactionalId;
  if (txn !== null) return p.transactionalId(Op.WRITE, txn) ? ALLOW : DENY_TXN;
  return p.cluster(Op.IDEMPOTENT_WRITE) || p.anyTopic(Op.WRITE) ? ALLOW : DENY_CLUSTER;
};

/**
 * AddPartitionsToTxn: from a client (v0-3) WRITE on the transactional id and on every topic named; Kafka then adds
 * nothing, so a refused topic refuses the whole request (every partition answers TOPIC_AUTHORIZATION_FAILED, where
 * Kafka answers OPERATION_NOT_ATTEMPTED for the allowed ones). v4 is a broker's verification: CLUSTER_ACTION.
 */
export const addPartitionsToTxn: Rule<typeof AddPartitionsToTxnSpec> = (p, ctx, req) => {
  if (ctx.header.apiVersion >= 4) return p.cluster(Op.CLUSTER_ACTION) ? ALLOW : DENY_CLUSTER;
  const txn = req.v3AndBelowTransactionalId;
  if (txn !== undefined && !p.transactionalId(Op.WRITE, txn)) return DENY_TXN;
  const refused = (req.v3AndBelowTopics ?? []).some((t) => !p.topic(Op.WRITE, t.name));
  return refused ? DENY_TOPIC : ALLOW;
};

/** AddOffsetsToTxn: WRITE on the transactional id, READ on the group. */
export const addOffsetsToTxn: Rule<typeof AddOffsetsToTxnSpec> = (p, _ctx, req) => {
  if (!p.transactionalId(Op.WRITE, req.transactionalId)) return DENY_TXN;
  return p.group(Op.READ, req.groupId) ? ALLOW : DENY_GROUP;
};

/** EndTxn: WRITE on the transactional id. */
export const endTxn: Rule<typeof EndTxnSpec> = (p, _ctx, req) =>
  p.transactionalId(Op.WRITE, req.transactionalId) ? ALLOW : DENY_TXN;

/** WriteTxnMarkers: a broker's request, CLUSTER_ACTION. */
export const writeTxnMarkers = clusterOnly(Op.CLUSTER_ACTION);

/** TxnOffsetCommit: WRITE on the transactional id, READ on the group, READ on each topic (refused per topic). */
export const txnOffsetCommit: Rule<typeof TxnOffsetCommitSpec> = (p, _ctx, req) => {
  if (!p.transactionalId(Op.WRITE, req.transactionalId)) return DENY_TXN;
  if (!p.group(Op.READ, req.groupId)) return DENY_GROUP;
  return splitList(TxnOffsetCommitSpec, {
    request: req,
    reqName: "topics",
    entries: req.topics,
    resName: "topics",
    classify: (t) => topicCode(p, Op.READ, t.name),
  });
};

/**
 * DescribeTransactions: DESCRIBE on each transactional id (refused per id); a described transaction lists only the
 * topics the principal may DESCRIBE (KafkaApis removes the others from each state's topics).
 */
export const describeTransactions: Rule<typeof DescribeTransactionsSpec> = (p, _ctx, req) =>
  splitList(DescribeTransactionsSpec, {
    request: req,
    reqName: "transactionalIds",
    entries: req.transactionalIds,
    resName: "transactionStates",
    classify: (id) =>
      p.transactionalId(Op.DESCRIBE, id) ? 0 : ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    complete: (res) => {
      for (const st of res.transactionStates) {
        st.topics = st.topics.filter((t) => p.topic(Op.DESCRIBE, t.topic));
      }
      return res;
    },
  });

/** ListTransactions: lists only the transactional ids the principal may DESCRIBE, as Kafka filters them. */
export const listTransactions: Rule<typeof ListTransactionsSpec> = (p, _ctx, req) =>
  rewrite(ListTransactionsSpec, req, (res) => {
    res.transactionStates = res.transactionStates.filter((s) =>
      p.transactionalId(Op.DESCRIBE, s.transactionalId)
    );
    return res;
  });
