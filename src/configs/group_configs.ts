// The group configs (group_defs.ts) of every group: one durable document of the storage backend (a file under
// <data-dir>/meta on the embedded log, a filer entry shared by a cluster's gateways on SeaweedMQ), settable before
// the group exists, as in Kafka. DescribeConfigs answers every config of a group, its override (source
// DYNAMIC_GROUP_CONFIG) or the broker's default (DEFAULT_CONFIG); alterations are checked on the set the group
// would end up with and written by compare-and-set, checked again when another gateway wrote in between. Each
// gateway re-reads the document every GROUP_CONFIG_POLL_MS, so the coordinator of a group on another gateway
// applies a change within a second (Kafka propagates them through its metadata log, also asynchronously).
import type { DocumentStore } from "../storage/documents.ts";
import { type DocumentCodec, FollowedStore } from "../storage/watched_document.ts";
import type { Logger } from "../log.ts";
import type { Config } from "./options.ts";
import type {
  DescribeConfigsResourceResult,
  DescribeConfigsSynonym,
} from "../protocol/messages/describe_configs.ts";
import { applyAlterations, type ConfigAlteration, invalidConfig } from "./alterations.ts";
import { CONFIG_TYPE_ID, ConfigSource } from "./defs.ts";
import { parseConfigValue } from "./values.ts";
import {
  checkGroupConfigs,
  GROUP_CONFIG_BY_NAME,
  GROUP_CONFIGS,
  groupConfigDefaults,
  SHARE_PREVIEW,
} from "./group_defs.ts";

export const GROUP_CONFIG_DOCUMENT = "group-configs";
export const GROUP_CONFIG_POLL_MS = 1000;

/** Group id → its overrides (canonical values of known group configs). */
type Overrides = ReadonlyMap<string, Readonly<Record<string, string>>>;

interface DocumentJson {
  version: 1;
  groups: Record<string, Record<string, string>>;
}

/** Parses the document; throws with a reason on anything unexpected (an unknown name, a value Kafka refuses). */
export function decodeGroupConfigs(data: Uint8Array): Overrides {
  const doc = JSON.parse(new TextDecoder().decode(data)) as DocumentJson;
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || typeof doc.groups !== "object") {
    throw new Error("not a version 1 group config document");
  }
  const out = new Map<string, Readonly<Record<string, string>>>();
  for (const [group, configs] of Object.entries(doc.groups ?? {})) {
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(configs ?? {})) {
      const def = GROUP_CONFIG_BY_NAME.get(k);
      if (def === undefined) throw new Error(`group ${JSON.stringify(group)}: unknown group config ${k}`);
      if (typeof v !== "string") throw new Error(`group ${JSON.stringify(group)}: ${k} is not a string`);
      values[k] = parseConfigValue(def, v).value;
    }
    if (Object.keys(values).length > 0) out.set(group, values);
  }
  return out;
}

export function encodeGroupConfigs(groups: Overrides): Uint8Array {
  const doc: DocumentJson = { version: 1, groups: Object.fromEntries(groups) };
  return new TextEncoder().encode(JSON.stringify(doc));
}

const CODEC: DocumentCodec<Overrides> = {
  empty: () => new Map(),
  decode: decodeGroupConfigs,
  encode: encodeGroupConfigs,
};

const NONE: Readonly<Record<string, string>> = Object.freeze({});

export class GroupConfigs extends FollowedStore<Overrides> {
  private readonly defaults: Readonly<Record<string, string>>;

  constructor(
    docs: DocumentStore,
    private readonly config: Config,
    log: Logger,
    /** Re-read interval (0: never, no other gateway writes). */
    pollMs: number = GROUP_CONFIG_POLL_MS,
  ) {
    super(docs, GROUP_CONFIG_DOCUMENT, CODEC, { what: "group configs", log, pollMs });
    this.defaults = groupConfigDefaults(config);
  }

  /** The groups with overrides, sorted (ListConfigResources lists them). */
  groups(): string[] {
    return [...this.doc.value.keys()].sort();
  }

  /** The group's own overrides. */
  overrides(groupId: string): Readonly<Record<string, string>> {
    return this.doc.value.get(groupId) ?? NONE;
  }

  /** A group config's effective value for the group: its override, else the broker's default. */
  value(groupId: string, name: string): string {
    const v = this.overrides(groupId)[name] ?? this.defaults[name];
    if (v === undefined) throw new Error(`unknown group config ${name}`);
    return v;
  }

  /** consumer.session.timeout.ms of a KIP-848 group. */
  consumerSessionTimeoutMs(groupId: string): number {
    return Number(this.value(groupId, "consumer.session.timeout.ms"));
  }

  /** consumer.heartbeat.interval.ms of a KIP-848 group. */
  consumerHeartbeatIntervalMs(groupId: string): number {
    return Number(this.value(groupId, "consumer.heartbeat.interval.ms"));
  }

  /** share.session.timeout.ms of a share group. */
  shareSessionTimeoutMs(groupId: string): number {
    return Number(this.value(groupId, "share.session.timeout.ms"));
  }

  /** share.heartbeat.interval.ms of a share group. */
  shareHeartbeatIntervalMs(groupId: string): number {
    return Number(this.value(groupId, "share.heartbeat.interval.ms"));
  }

  /** share.record.lock.duration.ms of a share group. */
  shareRecordLockDurationMs(groupId: string): number {
    return Number(this.value(groupId, "share.record.lock.duration.ms"));
  }

  /** share.delivery.count.limit of a share group. */
  shareDeliveryCountLimit(groupId: string): number {
    return Number(this.value(groupId, "share.delivery.count.limit"));
  }

  /** share.partition.max.record.locks of a share group. */
  sharePartitionMaxRecordLocks(groupId: string): number {
    return Number(this.value(groupId, "share.partition.max.record.locks"));
  }

  /** share.renew.acknowledge.enable of a share group. */
  shareRenewAcknowledgeEnable(groupId: string): boolean {
    return this.value(groupId, "share.renew.acknowledge.enable") === "true";
  }

  /** share.auto.offset.reset of a share group. */
  shareAutoOffsetReset(groupId: string): string {
    return this.value(groupId, "share.auto.offset.reset");
  }

  /** share.isolation.level of a share group. */
  shareIsolationLevel(groupId: string): string {
    return this.value(groupId, "share.isolation.level");
  }

  /** DescribeConfigs of a group (existing or not, as Kafka answers): every config, or those in `keys`. */
  describe(
    groupId: string,
    keys: readonly string[] | null,
    synonyms = false,
    docs = false,
  ): DescribeConfigsResourceResult[] {
    const own = this.overrides(groupId);
    const out: DescribeConfigsResourceResult[] = [];
    for (const def of GROUP_CONFIGS) {
      if (keys !== null && keys.length > 0 && !keys.includes(def.name)) continue;
      const override = own[def.name];
      const value = override ?? this.defaults[def.name];
      const source = override === undefined ? ConfigSource.DEFAULT_CONFIG : ConfigSource.DYNAMIC_GROUP_CONFIG;
      const synonym: DescribeConfigsSynonym = { name: def.name, value, source };
      out.push({
        name: def.name,
        value,
        readOnly: false,
        isDefault: override === undefined,
        configSource: source,
        isSensitive: false,
        synonyms: synonyms ? [synonym] : [],
        configType: CONFIG_TYPE_ID[def.type],
        documentation: docs ? def.doc + (def.noEffect ?? (def.shareGroups ? SHARE_PREVIEW : "")) : null,
      });
    }
    return out;
  }

  /**
   * Alters a group's overrides (incremental or, legacy, replacing them all); resolves once they are durable. The
   * set the group ends up with is checked against the broker's bounds first, each time the write is retried.
   */
  async alter(
    groupId: string,
    ops: readonly ConfigAlteration[],
    incremental: boolean,
    validateOnly: boolean,
  ): Promise<void> {
    const next = (all: Overrides): Record<string, string> => {
      const current = all.get(groupId) ?? NONE;
      const applied = applyAlterations(
        current,
        ops,
        incremental,
        (k) => GROUP_CONFIG_BY_NAME.get(k),
        (k) => invalidConfig(`Unknown group config name: ${k}`),
        (k) => current[k] ?? this.defaults[k] ?? null,
      );
      checkGroupConfigs({ ...this.defaults, ...applied }, this.config);
      return applied;
    };
    if (validateOnly) {
      next(this.doc.value);
      return;
    }
    await this.doc.update((all) => {
      const applied = next(all);
      const updated = new Map(all);
      if (Object.keys(applied).length === 0) updated.delete(groupId);
      else updated.set(groupId, applied);
      return { next: updated, result: undefined };
    });
  }
}
