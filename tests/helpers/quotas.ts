// Client quota calls over the wire (AlterClientQuotas, DescribeClientQuotas: no installed client has them) and a
// Produce that reports its throttle time, for the quota tests on both backends.
import { assertEquals } from "../unit/assert.ts";
import { WireClient } from "./wire.ts";
import {
  type AlterClientQuotasResponse,
  AlterClientQuotasSpec,
} from "../../src/protocol/messages/alter_client_quotas.ts";
import {
  type DescribeClientQuotasResponse,
  DescribeClientQuotasSpec,
} from "../../src/protocol/messages/describe_client_quotas.ts";
import { type ProduceResponse, ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { buildBatchSync } from "../../src/records/batch.ts";
import { ErrorCode } from "../../src/protocol/errors.ts";

/** AlterClientQuotas v1: sets `key` = `value` (null: removes it) on each entity. */
export async function setQuotas(
  port: number,
  entries: { entity: [string, string | null][]; key: string; value: number | null }[],
): Promise<void> {
  const c = await WireClient.connect(port, "quota-admin");
  try {
    const r = await c.call<AlterClientQuotasResponse>(AlterClientQuotasSpec, 1, {
      entries: entries.map((e) => ({
        entity: e.entity.map(([entityType, entityName]) => ({ entityType, entityName })),
        ops: [{ key: e.key, value: e.value ?? 0, remove: e.value === null }],
      })),
      validateOnly: false,
    });
    assertEquals(r.entries.map((e) => e.errorMessage), entries.map(() => null), "quotas set");
  } finally {
    c.close();
  }
}

export async function describeAll(port: number): Promise<DescribeClientQuotasResponse> {
  const c = await WireClient.connect(port, "quota-admin");
  try {
    return await c.call<DescribeClientQuotasResponse>(DescribeClientQuotasSpec, 0, {
      components: [],
      strict: false,
    });
  } finally {
    c.close();
  }
}

/**
 * Produces `bytes` in one batch with client id `clientId`; returns the response's throttle_time_ms. The bytes
 * count against the quota whatever the partition's answer (as in Kafka), so with `anyLeader` a gateway that does
 * not lead the partition (NOT_LEADER_OR_FOLLOWER) serves as well.
 */
export async function produceThrottle(
  port: number,
  clientId: string,
  bytes: number,
  anyLeader = false,
): Promise<number> {
  const c = await WireClient.connect(port, clientId);
  try {
    const batch = buildBatchSync({
      records: [{ offset: 0, timestamp: Date.now(), key: null, value: new Uint8Array(bytes), headers: [] }],
    });
    const r = await c.call<ProduceResponse>(ProduceSpec, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: "quota-wire", partitionData: [{ index: 0, records: batch }] }],
    });
    const code = r.responses[0].partitionResponses[0].errorCode;
    if (!anyLeader || code !== ErrorCode.NOT_LEADER_OR_FOLLOWER) assertEquals(code, 0, "produced");
    return r.throttleTimeMs ?? 0;
  } finally {
    c.close();
  }
}
