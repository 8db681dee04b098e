// The config model: topic overrides, dynamic broker configs (per broker and cluster-wide default), static broker
// configs from flags/env/config file, and Kafka's defaults, resolved the way Kafka resolves them (topic override >
// broker synonyms in priority order, each dynamic per-broker > dynamic default > static > default). It answers
// DescribeConfigs (values, sources, synonyms, read-only/sensitive flags, types, documentation), validates (for
// broker configs also Kafka's dynamic-config rules, broker_rules.ts) and applies AlterConfigs /
// IncrementalAlterConfigs, pushes the broker-level topic defaults into the storage backend and hands the produce
// path a cached per-topic policy. Configs the backend cannot apply (Storage.fixedTopicConfigs and
// fixedBrokerConfigs) resolve to the backend's fixed value, are reported read-only and refuse other values, so no
// client is told that a setting took effect when it did not; those it stores without acting on them
// (Storage.inertTopicConfigs) say so in their documentation.
import { parseStrategy, type SchemaValidationPolicy } from "../schema_registry/validation.ts";
import type { Config } from "./options.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type {
  DescribeConfigsResourceResult,
  DescribeConfigsSynonym,
} from "../protocol/messages/describe_configs.ts";
import type { FixedConfig, Storage, TopicConfigs, TopicMeta } from "../storage/storage.ts";
import {
  BROKER_CONFIG_BY_NAME,
  BROKER_CONFIGS,
  brokerDoc,
  brokerSynonyms,
  CONFIG_TYPE_ID,
  type ConfigDef,
  configNumber,
  ConfigSource,
  isDynamicBrokerConfig,
  isSensitive,
  parseConfigValue,
  resolveBrokerConfig,
  TOPIC_CONFIG_BY_NAME,
  TOPIC_CONFIGS,
  type TopicConfigDef,
} from "./defs.ts";
import { SCHEMA_VALIDATION_TOPIC_CONFIGS } from "./topic_defs.ts";
import { checkBrokerNames, checkClusterDefault, checkThreadCount } from "./broker_rules.ts";
import { SerialQueue } from "../serial.ts";
import {
  applyAlterations,
  canonical,
  type ConfigAlteration,
  hasDuplicates,
  invalidConfig,
  invalidRequest,
  OP_DELETE,
} from "./alterations.ts";

export { type ConfigAlteration, OP_APPEND, OP_DELETE, OP_SET, OP_SUBTRACT } from "./alterations.ts";

/** The topic's schema validation (confluent.*.schema.validation and the subject-name strategies), or null. */
function schemaPolicy(v: (name: string) => string): SchemaValidationPolicy | null {
  const side = (s: "key" | "value") =>
    v(`confluent.${s}.schema.validation`) === "true"
      ? parseStrategy(v(`confluent.${s}.subject.name.strategy`)) ?? "TopicNameStrategy"
      : null;
  const key = side("key");
  const value = side("value");
  return key === null && value === null ? null : { key, value };
}

/** What the produce path needs of a topic's effective configs. */
export interface TopicPolicy {
  readonly maxMessageBytes: number;
  readonly logAppendTime: boolean;
  /** Codec id batches are recompressed to, or -1 (compression.type=producer) to keep the producer's. */
  readonly codec: number;
  readonly zstdLevel: number;
  /** cleanup.policy contains compact: records without a key are refused. */
  readonly compact: boolean;
  /** cleanup.policy contains delete: DeleteRecords is allowed. */
  readonly delete: boolean;
  /** confluent.{key,value}.schema.validation: the records are checked against the schema registry; null: off. */
  readonly schemas: SchemaValidationPolicy | null;
}

const CODECS: Readonly<Record<string, number>> = {
  producer: -1,
  uncompressed: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
};

type Entry = DescribeConfigsResourceResult;
type Logger = {
  info?(msg: string, props?: Record<string, unknown>): void;
  warn(msg: string, props?: Record<string, unknown>): void;
};

/** Validates one topic config from a client; returns its canonical value. */
export function validateTopicConfig(
  name: string,
  value: string | null,
  defs: ReadonlyMap<string, TopicConfigDef> = TOPIC_CONFIG_BY_NAME,
): string {
  const def = defs.get(name);
  if (!def) throw invalidConfig(`Unknown topic config name: ${name}`);
  if (value === null) throw invalidConfig(`Null value not supported for topic configs: ${name}`);
  return canonical(def, value);
}

const BACKEND_NAMES: Readonly<Record<Storage["kind"], string>> = {
  embedded: "embedded",
  seaweedmq: "SeaweedMQ",
};

/**
 * The broker configs fixed on a backend: its explicit list plus every broker synonym of a fixed topic config (they
 * only supply that config's default). A scaled synonym (log.roll.hours for segment.ms) gets the value only when it
 * converts exactly.
 */
function fixedBrokerConfigs(storage: Storage): Map<string, FixedConfig> {
  const out = new Map<string, FixedConfig>(Object.entries(storage.fixedBrokerConfigs ?? {}));
  for (const [name, fixed] of Object.entries(storage.fixedTopicConfigs ?? {})) {
    for (const syn of TOPIC_CONFIG_BY_NAME.get(name)?.synonyms ?? []) {
      if (out.has(syn.name)) continue;
      let value = fixed.value;
      if (value !== null && syn.scale) {
        const n = BigInt(value);
        value = n % BigInt(syn.scale) === 0n ? (n / BigInt(syn.scale)).toString() : null;
      }
      out.set(syn.name, { value, reason: fixed.reason });
    }
  }
  return out;
}

export class ConfigModel {
  /** Dynamic configs of this broker (resource "<nodeId>") and the cluster-wide default (resource ""). */
  private dynBroker: Record<string, string> = {};
  private dynDefault: Record<string, string> = {};
  private readonly staticValues = new Map<string, string>();
  private defaults: TopicConfigs = {};
  private generation = 0;
  private readonly policies = new WeakMap<object, { gen: number; policy: TopicPolicy }>();
  /** Alterations and reloads run one at a time, so a read-modify-write of the overrides stays consistent. */
  private readonly alterations = new SerialQueue();
  private readonly brokerResource: string;
  /** Topic and broker configs the backend cannot apply (see Storage.fixedTopicConfigs). */
  private readonly fixedTopic: ReadonlyMap<string, FixedConfig>;
  private readonly fixedBroker: ReadonlyMap<string, FixedConfig>;
  /** Why a topic config (or a broker synonym of one) is stored without effect on this backend. */
  private readonly inert = new Map<string, string>();
  private readonly backendName: string;
  private readonly watchers: (() => void)[] = [];

  /** The topic configs of this gateway: Kafka's, and Confluent's schema validation ones when it has a registry. */
  readonly topicDefs: readonly TopicConfigDef[];
  private readonly topicDefByName: ReadonlyMap<string, TopicConfigDef>;

  constructor(readonly config: Config, private readonly storage: Storage, private readonly log?: Logger) {
    const registry = config.schemaRegistryListen !== null || config.schemaRegistryUrl !== "";
    this.topicDefs = registry ? [...TOPIC_CONFIGS, ...SCHEMA_VALIDATION_TOPIC_CONFIGS] : TOPIC_CONFIGS;
    this.topicDefByName = new Map(this.topicDefs.map((d) => [d.name, d]));
    this.brokerResource = String(config.nodeId);
    this.fixedTopic = new Map(Object.entries(storage.fixedTopicConfigs ?? {}));
    this.fixedBroker = fixedBrokerConfigs(storage);
    for (const [name, why] of Object.entries(storage.inertTopicConfigs ?? {})) {
      this.inert.set(name, why);
      for (const syn of TOPIC_CONFIG_BY_NAME.get(name)?.synonyms ?? []) this.inert.set(syn.name, why);
    }
    this.backendName = BACKEND_NAMES[storage.kind] ?? storage.kind;
    for (const def of BROKER_CONFIGS) {
      if (!def.option || !config.explicitOptions?.has(def.option)) continue;
      const v = def.fromOption ? def.fromOption(config) : String(config[def.option]);
      if (v === null) continue;
      this.staticValues.set(def.name, v);
      const fixed = this.fixedBroker.get(def.name);
      if (fixed && fixed.value !== v) {
        this.log?.warn("{name}={value} has no effect on the {backend} backend: {reason}", {
          name: def.name,
          value: v,
          backend: this.backendName,
          reason: fixed.reason,
        });
      }
    }
    this.recompute();
  }

  /** The backend's fixed value and reason when it cannot apply topic config `name`. */
  fixedTopicConfig(name: string): FixedConfig | undefined {
    return this.fixedTopic.get(name);
  }

  private notSupported(name: string, value: string, fixed: FixedConfig): KafkaError {
    return invalidConfig(
      `${name}=${value} is not supported on the ${this.backendName} backend: ${fixed.reason}` +
        (fixed.value === null ? "" : ` (only ${name}=${fixed.value} is accepted)`),
    );
  }

  /** Config overrides without the fixed keys (stored ones have no effect; the backend never sees them). */
  private withoutFixed(configs: Readonly<Record<string, string>>, fixed: ReadonlyMap<string, FixedConfig>) {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(configs)) if (!fixed.has(k)) out[k] = v;
    return out;
  }

  /**
   * Refuses canonical topic overrides that set a fixed config to another value than the backend's (INVALID_CONFIG
   * naming the key and why); returns the overrides without the fixed keys, for createTopic / alterTopicConfigs.
   */
  acceptTopicConfigs(configs: Readonly<TopicConfigs>): TopicConfigs {
    for (const [k, v] of Object.entries(configs)) {
      const fixed = this.fixedTopic.get(k);
      if (fixed && fixed.value !== v) throw this.notSupported(k, v, fixed);
    }
    return this.withoutFixed(configs, this.fixedTopic);
  }

  /** Loads the dynamic broker configs the backend stored and pushes the topic defaults into it (after open). */
  load(): void {
    this.storage.onBrokerConfigsChanged = () => {
      this.alterations.run(() => {
        this.reload();
        this.log?.info?.("dynamic broker configs altered through another gateway: reloaded");
      }).catch(() => {});
    };
    this.reload();
  }

  private reload(): void {
    this.dynDefault = this.sanitize(this.storage.brokerConfigs(""), "cluster default");
    this.dynBroker = this.sanitize(
      this.storage.brokerConfigs(this.brokerResource),
      `broker ${this.brokerResource}`,
    );
    this.brokerChanged();
  }

  /**
   * Calls `fn` now and after every change of the broker configs: how a dynamic config that acts outside the topic
   * defaults (connection limits, the cleaner's period) reaches what it governs.
   */
  watchBroker(fn: () => void): void {
    this.watchers.push(fn);
    fn();
  }

  private brokerChanged(): void {
    this.recompute();
    this.storage.setConfigDefaults(this.defaults);
    for (const fn of this.watchers) {
      try {
        fn();
      } catch (e) {
        this.log?.warn("applying the broker configs: {reason}", { reason: String(e) });
      }
    }
  }

  private sanitize(stored: Readonly<Record<string, string>>, what: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(stored)) {
      const r = resolveBrokerConfig(k);
      try {
        if (!r || !isDynamicBrokerConfig(r)) throw new Error(`${k} is not a dynamic broker config`);
        out[k] = parseConfigValue({ ...r.def, name: k }, v).value;
      } catch (e) {
        this.log?.warn("ignoring stored dynamic config of {what}: {reason}", { what, reason: String(e) });
      }
    }
    return out;
  }

  // ---- resolution ----

  /** A broker config's value as this broker sees it: dynamic per-broker > dynamic default > static > default. */
  brokerValue(name: string): string | null {
    const fixed = this.fixedBroker.get(name);
    if (fixed) return fixed.value;
    return this.dynBroker[name] ?? this.dynDefault[name] ?? this.staticValues.get(name) ??
      BROKER_CONFIG_BY_NAME.get(name)?.default ?? null;
  }

  private resolveTopicDefault(def: TopicConfigDef): string | null {
    for (const syn of def.synonyms) {
      const v = this.brokerValue(syn.name);
      if (v === null) continue;
      if (!syn.scale) return v;
      let ms = BigInt(v) * BigInt(syn.scale);
      if (def.name === "retention.ms" && ms < 0n) ms = -1n; // negative hours/minutes mean "forever"
      return ms.toString();
    }
    return def.default;
  }

  private recompute(): void {
    const d: TopicConfigs = {};
    for (const def of this.topicDefs) {
      const fixed = this.fixedTopic.get(def.name);
      const v = fixed ? fixed.value : this.resolveTopicDefault(def);
      if (v !== null) d[def.name] = v;
    }
    this.defaults = d;
    this.generation++;
  }

  /** Broker-level value of every topic config (what a topic without overrides uses). */
  topicDefaults(): Readonly<TopicConfigs> {
    return this.defaults;
  }

  /** Effective value of a topic config for a topic with `overrides` (a fixed config's value wins). */
  topicValue(overrides: TopicConfigs, name: string): string | null {
    const fixed = this.fixedTopic.get(name);
    if (fixed) return fixed.value;
    return overrides[name] ?? this.defaults[name] ?? null;
  }

  /** The produce path's view of a topic, cached per configs object and invalidated by broker config changes. */
  policy(meta: TopicMeta): TopicPolicy {
    const hit = this.policies.get(meta.configs);
    if (hit && hit.gen === this.generation) return hit.policy;
    const v = (k: string) => this.topicValue(meta.configs, k) ?? "";
    const cleanup = v("cleanup.policy").split(",");
    const policy: TopicPolicy = {
      maxMessageBytes: configNumber(v("max.message.bytes")),
      logAppendTime: v("message.timestamp.type") === "LogAppendTime",
      codec: CODECS[v("compression.type")] ?? -1,
      zstdLevel: configNumber(v("compression.zstd.level")),
      compact: cleanup.includes("compact"),
      delete: cleanup.includes("delete"),
      schemas: schemaPolicy(v),
    };
    this.policies.set(meta.configs, { gen: this.generation, policy });
    return policy;
  }

  /** One client-supplied topic config in canonical form; INVALID_CONFIG for a name this gateway does not have. */
  validateTopicConfig(name: string, value: string | null): string {
    return validateTopicConfig(name, value, this.topicDefByName);
  }

  /** Validates client-supplied topic configs (CreateTopics); returns canonical overrides. */
  validateTopicConfigs(configs: readonly { name: string; value: string | null }[]): TopicConfigs {
    if (hasDuplicates(configs.map((c) => c.name))) {
      throw invalidRequest("Error due to duplicate config keys");
    }
    const out: TopicConfigs = {};
    for (const c of configs) out[c.name] = validateTopicConfig(c.name, c.value, this.topicDefByName);
    return this.acceptTopicConfigs(out);
  }

  // ---- DescribeConfigs ----

  /**
   * Kafka's synonym list of a broker config: every synonym name with every source it is set in, ordered by source
   * (dynamic per-broker, dynamic default, static, default), then everything before the first entry of `name`
   * itself dropped.
   */
  private synonymsOf(name: string, perBroker: boolean, sensitive: boolean): DescribeConfigsSynonym[] {
    const names = brokerSynonyms(name);
    const out: DescribeConfigsSynonym[] = [];
    const add = (get: (n: string) => string | null | undefined, source: number) => {
      for (const n of names) {
        // a fixed config has one source: the backend's value, reported as its default
        const fixed = this.fixedBroker.get(n);
        const v = fixed ? (source === ConfigSource.DEFAULT_CONFIG ? fixed.value : null) : get(n);
        if (v !== undefined && v !== null) out.push({ name: n, value: sensitive ? null : v, source });
      }
    };
    if (perBroker) add((n) => this.dynBroker[n], ConfigSource.DYNAMIC_BROKER_CONFIG);
    add((n) => this.dynDefault[n], ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    if (perBroker) {
      add((n) => this.staticValues.get(n), ConfigSource.STATIC_BROKER_CONFIG);
      add((n) => BROKER_CONFIG_BY_NAME.get(n)?.default, ConfigSource.DEFAULT_CONFIG);
    }
    const first = out.findIndex((s) => s.name === name);
    return first < 0 ? [] : out.slice(first);
  }

  private entry(
    def: ConfigDef,
    value: string | null,
    readOnly: boolean,
    allSynonyms: DescribeConfigsSynonym[],
    synonyms: boolean,
    docs: boolean,
    doc: string = def.doc,
  ): Entry {
    const source = allSynonyms.length > 0 ? allSynonyms[0].source : ConfigSource.DEFAULT_CONFIG;
    return {
      name: def.name,
      value: isSensitive(def) ? null : value,
      readOnly,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: isSensitive(def),
      synonyms: synonyms ? allSynonyms : [],
      configType: CONFIG_TYPE_ID[def.type],
      documentation: docs ? doc : null,
    };
  }

  /** Every topic config (or those in `keys`) of a topic with `overrides`, sorted by name. */
  describeTopic(
    overrides: TopicConfigs,
    keys: readonly string[] | null,
    synonyms = false,
    docs = false,
  ): Entry[] {
    const out: Entry[] = [];
    for (const def of this.topicDefs) {
      if (keys && keys.length > 0 && !keys.includes(def.name)) continue;
      const primary = def.synonyms[0]?.name;
      const all = primary ? this.synonymsOf(primary, true, false) : [];
      const fixed = this.fixedTopic.get(def.name);
      if (fixed) {
        // what the backend really does; a stored override (from before) has no effect and is not shown
        out.push(this.entry(def, fixed.value, true, all, synonyms, docs, this.fixedDoc(fixed)));
        continue;
      }
      const override = overrides[def.name];
      if (override !== undefined) {
        all.unshift({ name: def.name, value: override, source: ConfigSource.TOPIC_CONFIG });
      }
      const doc = def.doc + this.inertDoc(def.name);
      out.push(this.entry(def, this.topicValue(overrides, def.name), false, all, synonyms, docs, doc));
    }
    return out;
  }

  private fixedDoc(fixed: FixedConfig): string {
    return `Read-only on the ${this.backendName} backend: ${fixed.reason}.`;
  }

  /** The sentence a config stored without effect on this backend adds to its documentation ("" otherwise). */
  private inertDoc(name: string): string {
    const note = this.storage.topicConfigNotes?.[name];
    if (note !== undefined) return ` On the ${this.backendName} backend: ${note}.`;
    const why = this.inert.get(name);
    return why === undefined
      ? ""
      : ` Accepted and stored; it has no effect on the ${this.backendName} backend: ${why}.`;
  }

  /** Throws unless `name` is "" (cluster default) or this broker's id. */
  private checkBrokerResource(name: string): void {
    if (name === "" || name === this.brokerResource) return;
    if (!/^-?\d+$/.test(name)) throw invalidRequest(`Broker id must be an integer, but it is: ${name}`);
    throw invalidRequest(
      `Unexpected broker id, expected ${this.brokerResource} or empty string, but received ${name}`,
    );
  }

  /**
   * Broker resource: "<nodeId>" lists every broker config and the per-listener ones set; "" lists the cluster-wide
   * dynamic defaults set. Accepted configs are never read-only; those without effect here say so in their
   * documentation (see BrokerConfigDef.noEffect).
   */
  describeBroker(resource: string, keys: readonly string[] | null, synonyms = false, docs = false): Entry[] {
    this.checkBrokerResource(resource);
    const perBroker = resource !== "";
    const out: Entry[] = [];
    const perListener = Object.keys({ ...this.dynDefault, ...this.dynBroker })
      .filter((n) => !BROKER_CONFIG_BY_NAME.has(n));
    const names = perBroker
      ? [...BROKER_CONFIGS.map((d) => d.name), ...perListener].sort()
      : Object.keys(this.dynDefault).filter((n) => !this.fixedBroker.has(n)).sort();
    for (const name of names) {
      if (keys && keys.length > 0 && !keys.includes(name)) continue;
      const r = resolveBrokerConfig(name);
      if (!r) continue; // sanitize() keeps only resolvable names
      const def = { ...r.def, name };
      const value = perBroker ? this.brokerValue(name) : this.dynDefault[name];
      const fixed = this.fixedBroker.get(name);
      out.push(
        this.entry(
          def,
          value,
          !isDynamicBrokerConfig(r) || fixed !== undefined,
          this.synonymsOf(name, perBroker, isSensitive(def)),
          synonyms,
          docs,
          fixed ? this.fixedDoc(fixed) : brokerDoc(def) + this.inertDoc(name),
        ),
      );
    }
    return out;
  }

  /** What a log line may show of a broker config value: nothing of a password. */
  loggableBrokerValue(name: string, value: string | null): string | null {
    const r = resolveBrokerConfig(name);
    return value !== null && (!r || isSensitive(r.def)) ? "[hidden]" : value;
  }

  /** Of `names`, the broker configs that are accepted and stored but have no effect on this gateway. */
  withoutEffect(names: readonly string[]): string[] {
    return names.filter((n) => resolveBrokerConfig(n)?.def.noEffect !== undefined || this.inert.has(n));
  }

  // ---- AlterConfigs / IncrementalAlterConfigs ----

  /** Alters a topic's overrides; resolves once they are durable and in effect. */
  alterTopic(
    name: string,
    ops: readonly ConfigAlteration[],
    incremental: boolean,
    validateOnly: boolean,
  ): Promise<void> {
    return this.alterations.run(async () => {
      const meta = this.storage.getTopic(name);
      if (!meta) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const current = this.withoutFixed(meta.configs, this.fixedTopic);
      const next = applyAlterations(
        current,
        ops,
        incremental,
        (k) => this.topicDefByName.get(k),
        (k) => invalidConfig(`Unknown topic config name: ${k}`),
        (k) => this.topicValue(current, k),
      );
      const accepted = this.acceptTopicConfigs(next);
      if (!validateOnly) await this.storage.alterTopicConfigs(name, accepted);
    });
  }

  /** Alters the dynamic configs of broker resource `resource` ("" = cluster-wide default, or this broker's id). */
  alterBroker(
    resource: string,
    ops: readonly ConfigAlteration[],
    incremental: boolean,
    validateOnly: boolean,
  ): Promise<void> {
    return this.alterations.run(async () => {
      this.checkBrokerResource(resource);
      const perBroker = resource !== "";
      const set = ops.filter((o) => o.op !== OP_DELETE).map((o) => o.name);
      checkBrokerNames(ops.map((o) => o.name), set);
      const current = this.withoutFixed(perBroker ? this.dynBroker : this.dynDefault, this.fixedBroker);
      const applied = applyAlterations(
        current,
        ops,
        incremental,
        (k) => {
          const r = resolveBrokerConfig(k);
          return r && { ...r.def, name: k };
        },
        (k) => invalidConfig(`Unknown broker config name: ${k}`),
        (k) => (perBroker ? this.brokerValue(k) : current[k] ?? this.brokerDefault(k)),
      );
      if (!perBroker) checkClusterDefault(set);
      for (const [k, v] of Object.entries(applied)) {
        const fixed = this.fixedBroker.get(k);
        if (fixed && fixed.value !== v) throw this.notSupported(k, v, fixed);
      }
      const next = this.withoutFixed(applied, this.fixedBroker);
      // Kafka checks this broker's value afterwards (a per-broker value outranks the cluster default)
      const [dynBroker, dynDefault] = perBroker ? [next, this.dynDefault] : [this.dynBroker, next];
      for (const o of ops) {
        const after = dynBroker[o.name] ?? dynDefault[o.name] ?? this.brokerDefault(o.name);
        checkThreadCount(o.name, this.brokerValue(o.name), after);
      }
      if (validateOnly) return;
      await this.storage.setBrokerConfigs(resource, next);
      if (perBroker) this.dynBroker = next;
      else this.dynDefault = next;
      this.brokerChanged();
    });
  }

  private brokerDefault(name: string): string | null {
    const fixed = this.fixedBroker.get(name);
    if (fixed) return fixed.value;
    return this.staticValues.get(name) ?? BROKER_CONFIG_BY_NAME.get(name)?.default ?? null;
  }
}
