// Typed well-formed requests the harness itself needs (setup, the healthy clients, the final checks), through
// the gateway's own schemas.
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import type { ApiVersionsResponse } from "../../src/protocol/messages/api_versions.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import type { MetadataRequest, MetadataResponse } from "../../src/protocol/messages/metadata.ts";
import { CreateTopicsSpec } from "../../src/protocol/messages/create_topics.ts";
import type { CreateTopicsRequest, CreateTopicsResponse } from "../../src/protocol/messages/create_topics.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import type { ProduceRequest, ProduceResponse } from "../../src/protocol/messages/produce.ts";
import { FetchSpec } from "../../src/protocol/messages/fetch.ts";
import type { FetchResponse } from "../../src/protocol/messages/fetch.ts";
import { fetchBody } from "../../tests/helpers/wire.ts";
import { ZERO_UUID } from "../../src/protocol/codec.ts";
import type { Client } from "./wire.ts";

export async function apiVersions(
  c: Client,
  version: number,
  timeoutMs: number,
): Promise<ApiVersionsResponse> {
  const body = { clientSoftwareName: "kgw-fuzz", clientSoftwareVersion: "1.0" };
  return await c.call<ApiVersionsResponse>(ApiVersionsSpec, version, body, timeoutMs);
}

export async function metadata(
  c: Client,
  version: number,
  topics: readonly string[],
  timeoutMs: number,
): Promise<MetadataResponse> {
  const body: MetadataRequest = {
    topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  return await c.call<MetadataResponse>(MetadataSpec, version, body, timeoutMs);
}

/** Creates topics (an existing one is fine); throws on any other error. */
export async function createTopics(
  c: Client,
  topics: readonly { name: string; partitions: number; configs: Record<string, string> }[],
): Promise<void> {
  const body: CreateTopicsRequest = {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.partitions,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs: 10_000,
    validateOnly: false,
  };
  const res = await c.call<CreateTopicsResponse>(CreateTopicsSpec, 5, body, 15_000);
  for (const t of res.topics) {
    if (t.errorCode !== 0 && t.errorCode !== 36 /* TOPIC_ALREADY_EXISTS */) {
      throw new Error(`CreateTopics ${t.name}: error ${t.errorCode} ${t.errorMessage ?? ""}`);
    }
  }
}

export interface ProduceResult {
  readonly errorCode: number;
  readonly baseOffset: number;
}

export async function produce(
  c: Client,
  version: number,
  topic: string,
  partition: number,
  batch: Uint8Array,
  timeoutMs: number,
): Promise<ProduceResult> {
  const body: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  };
  const res = await c.call<ProduceResponse>(ProduceSpec, version, body, timeoutMs);
  const p = res.responses[0]?.partitionResponses[0];
  if (p === undefined) throw new Error("Produce response without a partition");
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

export interface FetchResult {
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly records: Uint8Array | null;
}

export async function fetchOne(
  c: Client,
  version: number,
  topic: { name: string; id: string },
  offset: number,
  maxWaitMs: number,
  timeoutMs: number,
): Promise<FetchResult> {
  const body = fetchBody(topic.name, 0, offset, {
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1024 * 1024,
    topicId: topic.id,
  });
  const res = await c.call<FetchResponse>(FetchSpec, version, body, timeoutMs);
  // The top-level error code is a v7+ field (absent, i.e. none, before).
  const top = res.errorCode ?? 0;
  if (top !== 0) return { errorCode: top, highWatermark: -1, records: null };
  const p = res.responses[0]?.partitions[0];
  if (p === undefined) throw new Error("Fetch response without a partition");
  const records = p.records instanceof Uint8Array ? p.records : null;
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, records };
}
