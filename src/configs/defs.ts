// Config definitions: every topic config of Kafka 3.9 (type, default, validation, broker synonyms) and the broker
// configs this gateway exposes (static values from flags/env/config file, and every config Kafka changes at
// runtime, with what the gateway does with it).
// Gathered here from values.ts (value types, Kafka's validators, parsing to canonical form), topic_defs.ts and
// broker_defs.ts, with Kafka's ConfigSource and ConfigResource ids.

export {
  type Check,
  CONFIG_TYPE_ID,
  type ConfigDef,
  configNumber,
  type ConfigType,
  ConfigValueError,
  isSensitive,
  parseConfigValue,
  type Parsed,
} from "./values.ts";
export { type Synonym, TOPIC_CONFIG_BY_NAME, TOPIC_CONFIGS, type TopicConfigDef } from "./topic_defs.ts";
export {
  BROKER_CONFIG_BY_NAME,
  BROKER_CONFIGS,
  type BrokerConfigDef,
  brokerDoc,
  brokerSynonyms,
  isDynamicBrokerConfig,
  resolveBrokerConfig,
  type ResolvedBrokerConfig,
} from "./broker_defs.ts";

/** Kafka's ConfigSource ids (DescribeConfigs v1+, CreateTopics v5+). */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  DYNAMIC_CLIENT_METRICS_CONFIG: 7,
  DYNAMIC_GROUP_CONFIG: 8,
} as const;

/** Kafka's ConfigResource types. */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;
