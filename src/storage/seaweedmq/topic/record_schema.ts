// Schematized topics on SeaweedMQ. When the schema registry holds a schema for a topic's values, appends publish
// each value's typed form (schema_pb.RecordValue; record_codec.ts envelope v2 keeps the Kafka bytes) and the
// topic's SeaweedMQ record type (ConfigureTopic message_record_type, schema_format) is the registry's, so
// SeaweedFS's SQL engine and parquet compaction (`mq.topic.compact`) see columns. The record type is written when
// it differs from what SeaweedMQ stores, before the first append that uses it; a failure to write it is logged
// and retried later, and does not fail appends (the typed values are stored either way).
import { errorText } from "../context.ts";
import {
  decodeConfigureTopicResponse,
  decodeGetTopicConfigurationResponse,
  encodeConfigureTopicRequest,
  encodeTopicRequest,
  Rpc,
  type TopicSchema,
} from "../transport/messages.ts";
import type { ValueTyper } from "../record_codec.ts";
import type { TopicEnv, TopicState } from "./install.ts";

/** How a topic's values are typed: the record type SeaweedMQ stores and the per-value conversion. */
export interface TopicTyping {
  /** schema_pb.RecordType, encoded. */
  readonly recordType: Uint8Array;
  /** "AVRO", "PROTOBUF" or "JSON_SCHEMA" (ConfigureTopic's schema_format). */
  readonly schemaFormat: string;
  readonly typeValue: ValueTyper;
}

/**
 * The typing of a topic's values, or null for a schemaless topic. Called per append: answered from memory, except
 * that an external registry's first answer for a topic is awaited.
 */
export type TopicTypings = (topic: string) => TopicTyping | null | Promise<TopicTyping | null>;

/** After a failed ConfigureTopic, the next try waits this long. */
const RETRY_MS = 30_000;

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (a === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function holds(stored: TopicSchema | undefined, typing: TopicTyping): boolean {
  return stored !== undefined && sameBytes(stored.recordType, typing.recordType) &&
    stored.schemaFormat === typing.schemaFormat;
}

export class RecordSchemaSync {
  /** Writes under way per topic (one at a time), and when a failed one may be tried again. */
  private readonly pending = new Map<string, Promise<void>>();
  private readonly retryAt = new Map<string, number>();

  constructor(private readonly env: TopicEnv) {}

  /** Resolves once SeaweedMQ stores `typing`'s record type for `t` (or writing it failed and was logged). */
  ensure(t: TopicState, typing: TopicTyping): Promise<void> | null {
    if (holds(t.schema, typing)) return null;
    const name = t.meta.name;
    const running = this.pending.get(name);
    if (running) return running;
    if ((this.retryAt.get(name) ?? 0) > Date.now()) return null;
    const p = this.write(t, typing).catch((e) => {
      this.retryAt.set(name, Date.now() + RETRY_MS);
      this.env.ctx.log(
        "warn",
        `topic ${name}: writing its SeaweedMQ record type failed (typed values are stored all the same; ` +
          `retried in ${RETRY_MS / 1000} s): ${errorText(e)}`,
      );
    }).finally(() => this.pending.delete(name));
    this.pending.set(name, p);
    return p;
  }

  private async write(t: TopicState, typing: TopicTyping): Promise<void> {
    const conf = decodeGetTopicConfigurationResponse(
      await this.env.brokerCall(
        Rpc.GetTopicConfiguration,
        encodeTopicRequest(t.smq),
        "GetTopicConfiguration",
      ),
    );
    t.schema = conf.schema;
    if (holds(conf.schema, typing)) return;
    // another partition count than the stored one would allocate a new layout: a growing topic waits
    if (conf.partitionCount !== t.parts.length) return;
    const schema: TopicSchema = {
      recordType: typing.recordType,
      keyColumns: [],
      schemaFormat: typing.schemaFormat,
    };
    const res = decodeConfigureTopicResponse(
      await this.env.brokerCall(
        Rpc.ConfigureTopic,
        // no retention: SeaweedMQ keeps the stored one
        encodeConfigureTopicRequest({ topic: t.smq, partitionCount: conf.partitionCount, schema }),
        "ConfigureTopic",
      ),
    );
    t.schema = res.schema.recordType !== null ? res.schema : schema;
    this.env.ctx.log(
      "info",
      `topic ${t.meta.name}: SeaweedMQ record type set from the registry's ${typing.schemaFormat} schema ` +
        `(${typing.recordType.length} bytes)`,
    );
  }
}
