// KIP-890 part 1 across gateways: the leader of a partition asks the transactional id's coordinator whether the
// partition is in the producer's ongoing transaction before it appends the transaction's first batch there. When
// this gateway coordinates the id the local coordinator answers; otherwise AddPartitionsToTxn v4 with
// verify_only goes to the coordinator's gateway, as Kafka's AddPartitionsToTxnManager sends it.
import type { ClusterView, TopicPartitionRef } from "../cluster/view.ts";
import type { PeerClient } from "../cluster/peers.ts";
import { AddPartitionsToTxnSpec } from "../protocol/messages/add_partitions_to_txn.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { TxnVerifier } from "./contracts.ts";

/** v4 is the broker-to-broker form (a batch of transactions, verify_only). */
const VERIFY_VERSION = 4;

export interface ClusterTxnVerifierOptions {
  readonly cluster: Pick<ClusterView, "nodeId" | "coordinates" | "coordinatorOf">;
  /** The local transaction coordinator. */
  readonly local: TxnVerifier;
  readonly peers: Pick<PeerClient, "send">;
  readonly log?: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
}

export class ClusterTxnVerifier implements TxnVerifier {
  constructor(private readonly opts: ClusterTxnVerifierOptions) {}

  async verify(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    partition: TopicPartitionRef,
  ): Promise<void> {
    const { cluster } = this.opts;
    if (cluster.coordinates(transactionalId)) {
      return await this.opts.local.verify(transactionalId, producerId, producerEpoch, partition);
    }
    const coordinator = cluster.coordinatorOf(transactionalId).leaderId;
    if (coordinator < 0 || coordinator === cluster.nodeId) {
      // No coordinator now, or this gateway is still taking the coordinator's partition over: retriable.
      throw new KafkaError(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `the coordinator of transactional id ${transactionalId} is not available`,
      );
    }
    const tp = `${partition.topic}-${partition.partition}`;
    let res;
    try {
      res = await this.opts.peers.send(coordinator, AddPartitionsToTxnSpec, VERIFY_VERSION, {
        transactions: [{
          transactionalId,
          producerId,
          producerEpoch,
          verifyOnly: true,
          topics: [{ name: partition.topic, partitions: [partition.partition] }],
        }],
      });
    } catch (e) {
      // The coordinator's gateway cannot be reached (or does not serve v4): the client retries the produce.
      throw new KafkaError(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `verifying ${tp} with the coordinator of ${transactionalId} (gateway ${coordinator}): ${
          (e as Error).message
        }`,
      );
    }
    const top = res.errorCode ?? ErrorCode.NONE;
    if (top !== ErrorCode.NONE) {
      if (top === ErrorCode.CLUSTER_AUTHORIZATION_FAILED) {
        // As Kafka does, the client is not told of the brokers' own authorization: the verification failed.
        this.opts.log?.(
          "warn",
          `gateway ${coordinator} refused AddPartitionsToTxn with CLUSTER_AUTHORIZATION_FAILED: the gateways' ` +
            "principal needs ClusterAction on the cluster (or --super-users)",
        );
        throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `${tp} could not be verified with the coordinator`);
      }
      throw new KafkaError(top, `verifying ${tp} with the coordinator of ${transactionalId}`);
    }
    const code = (res.resultsByTransaction ?? [])
      .find((t) => t.transactionalId === transactionalId)?.topicResults
      .find((t) => t.name === partition.topic)?.resultsByPartition
      .find((p) => p.partitionIndex === partition.partition)?.partitionErrorCode;
    if (code === undefined) {
      throw new KafkaError(
        ErrorCode.COORDINATOR_NOT_AVAILABLE,
        `the coordinator of ${transactionalId} did not answer for ${tp}`,
      );
    }
    if (code === ErrorCode.NONE) return;
    // An id or producer id the coordinator does not know has no transaction holding the partition either (the
    // local coordinator's verify answers so too).
    if (code === ErrorCode.INVALID_TXN_STATE || code === ErrorCode.INVALID_PRODUCER_ID_MAPPING) {
      throw new KafkaError(
        ErrorCode.INVALID_TXN_STATE,
        `${tp} was not added to the transaction of ${transactionalId}`,
      );
    }
    throw new KafkaError(code, `verifying ${tp} with the coordinator of ${transactionalId}`);
  }
}
