// What a handler sees: the broker's shared state and the request's header. Handlers know nothing of sockets.
import type { FetchSessionCache } from "../fetch/sessions.ts";
import type { ShareService } from "../groups/share/service.ts";
import type { SchemaLookup } from "../schema_registry/validation.ts";
import type { Config } from "../configs/options.ts";
import type { Storage } from "../storage/storage.ts";
import type { RequestHeader } from "../protocol/header.ts";
import type { Logger } from "../log.ts";
import type { GroupCoordinator } from "../groups/coordinator.ts";
import type { ProducerManager } from "../producer/manager.ts";
import type { GatewayMetrics } from "../metrics/metrics.ts";
import type { ConfigModel } from "../configs/model.ts";
import type { GroupConfigs } from "../configs/group_configs.ts";
import type { ClusterView } from "../cluster/view.ts";
import type { CredentialStore } from "../security/credentials/store.ts";
import type { AclStore } from "../security/acl/store.ts";
import type { Quotas } from "../quotas/service.ts";
import type { TxnVerifier } from "../transactions/contracts.ts";
import type { TransactionCoordinator } from "../transactions/coordinator.ts";

export interface Broker {
  readonly config: Config;
  readonly storage: Storage;
  readonly coordinator: GroupCoordinator;
  /** Idempotent-producer ids and per-partition sequence state. */
  readonly producers: ProducerManager;
  /** Topic and broker configs: effective values, DescribeConfigs/AlterConfigs, the produce path's topic policy. */
  readonly configs: ConfigModel;
  /** Group configs (GROUP config resources): per-group overrides of the coordinator's settings; absent in tests without. */
  readonly groupConfigs?: GroupConfigs | null;
  readonly clusterId: string;
  /** Live gateways, partition leaders and epochs, group coordinators (src/cluster/). */
  readonly cluster: ClusterView;
  /** Aborted when the gateway shuts down: long polls return at once. */
  readonly shutdown: AbortSignal;
  readonly log: Logger;
  /** Request-path counters (src/metrics/metrics.ts); absent or null when metrics are off (--metrics false). */
  readonly metrics?: GatewayMetrics | null;
  /** SCRAM credentials (src/security/credentials/): SASL and the SCRAM admin APIs; absent in tests without. */
  readonly credentials?: CredentialStore | null;
  /** The ACLs (src/security/acl/) with --authorizer acl; null or absent without an authorizer. */
  readonly acls?: AclStore | null;
  /** Fetch sessions (KIP-227, src/fetch/sessions.ts); absent in tests without: every fetch is then sessionless. */
  readonly fetchSessions?: FetchSessionCache | null;
  /** Share-partitions and share sessions (KIP-932, src/groups/share/); absent unless group.share.enable. */
  readonly shares?: ShareService | null;
  /** Client quotas (src/quotas/): the store the quota APIs change and the enforcement; absent in tests without. */
  readonly quotas?: Quotas | null;
  /**
   * KIP-890 verification of a transaction's first batch in a partition (src/transactions/contracts.ts): asks the
   * transaction's coordinator, here or on another gateway. Absent: transactional produce is refused.
   */
  readonly txnVerifier?: TxnVerifier | null;
  /**
   * The transaction coordinator (src/transactions/coordinator.ts) for the transactional ids of the
   * `__consumer_offsets` partitions this gateway leads. Absent: the transaction APIs answer
   * COORDINATOR_NOT_AVAILABLE and a transactional InitProducerId is refused.
   */
  readonly transactions?: TransactionCoordinator | null;
  /**
   * The schema registry's lookups for broker-side validation (topics with confluent.*.schema.validation); absent or
   * null without --schema-registry-listen (such topics then refuse records).
   */
  readonly schemas?: SchemaLookup | null;
}

/** Who sent a request, as Kafka names principals ("User:ANONYMOUS" is type "User", name "ANONYMOUS"). */
export interface Principal {
  readonly type: string;
  readonly name: string;
}

/** Kafka's security protocols; which one a listener speaks decides how its connections authenticate. */
export type SecurityProtocol = "PLAINTEXT" | "SSL" | "SASL_PLAINTEXT" | "SASL_SSL";

/** The listener a connection came through: its name (what ACLs and quotas may refer to) and bound address. */
export interface Listener {
  readonly name: string;
  readonly securityProtocol: SecurityProtocol;
  readonly host: string;
  readonly port: number;
}

export interface RequestContext {
  readonly broker: Broker;
  readonly header: RequestHeader;
  readonly connectionId: number;
  /** Client address as Kafka reports it in DescribeGroups ("/127.0.0.1"). */
  readonly clientHost: string;
  readonly log: Logger;
  /** The connection's principal when the request arrived (src/request/authenticate.ts). */
  readonly principal: Principal;
  readonly listener: Listener;
  /**
   * Aborted once the connection starts closing: a long poll stops there, and a share fetch acquires no records
   * for a client that can no longer receive them. Absent: never (tests).
   */
  readonly closing?: AbortSignal;
}

/**
 * What a handler answers: the typed response without throttle_time_ms, which the request pipeline's quota step
 * fills in (src/request/quota.ts).
 */
export type Answer<Res> = Omit<Res, "throttleTimeMs">;

/** A handler returns its answer, or null when no response is sent (Produce with acks=0). */
export type Handler<Req, Res> = (
  ctx: RequestContext,
  req: Req,
) => Promise<Answer<Res> | null> | Answer<Res> | null;
