// Kafka's rules for altering dynamic broker configs beyond each value's type and range
// (DynamicBrokerConfig.validateConfigs, then the reconfigurables' validateReconfiguration), with Kafka's messages.
// Kafka's ConfigAdminManager turns each into INVALID_REQUEST (KAFKA-13609).
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { isDynamicBrokerConfig, resolveBrokerConfig } from "./broker_defs.ts";

function refuse(message: string, names: readonly string[]): void {
  if (names.length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `${message}: ${names.join(", ")}`);
}

/**
 * Before the values are parsed: read-only names, and TLS key/trust store configs without a listener (Kafka takes
 * those per listener only).
 * `set` are the names given a value; `named` every name of the request (DELETE included).
 */
export function checkBrokerNames(named: readonly string[], set: readonly string[]): void {
  refuse(
    "Cannot update these configs dynamically",
    named.filter((n) => {
      const r = resolveBrokerConfig(n);
      return r !== undefined && !isDynamicBrokerConfig(r);
    }),
  );
  refuse(
    "These security configs can be dynamically updated only per-listener using the listener prefix",
    set.filter((n) => {
      const r = resolveBrokerConfig(n);
      return r?.listener === null && r.def.perListener === "only";
    }),
  );
}

/** Kafka's per-broker configs (and per-listener ones but connection limits) cannot be cluster-wide defaults. */
export function checkClusterDefault(set: readonly string[]): void {
  refuse(
    "Cannot update these configs at default cluster level, broker id must be specified",
    set.filter((n) => resolveBrokerConfig(n)?.def.perBroker === true),
  );
}

/**
 * A thread count may change to at least 1, at least half and at most double its current value at once (Kafka's
 * DynamicThreadPool, network acceptors, log cleaner). Kafka answers "Invalid dynamic configuration" and logs the
 * cause; here the cause follows.
 */
export function checkThreadCount(name: string, current: string | null, next: string | null): void {
  const def = resolveBrokerConfig(name)?.def;
  if (!def?.threads || current === null || next === null || current === next) return;
  const [from, to] = [Number(current), Number(next)];
  let why: string | null = null;
  if (def.threads === "cleaner") {
    if (to < 1) why = "Log cleaner threads should be at least 1";
    else if (to < Math.floor(from / 2)) {
      why = `Log cleaner threads cannot be reduced to less than half the current value ${from}`;
    } else if (to > from * 2) {
      why = `Log cleaner threads cannot be increased to more than double the current value ${from}`;
    }
  } else {
    const failed = `Dynamic thread count update validation failed for ${name}=${to}`;
    if (to <= 0) why = `${failed}, value should be at least 1`;
    else if (to < Math.floor(from / 2)) {
      why = `${failed}, value should be at least half the current value ${from}`;
    } else if (to > from * 2) {
      why = `${failed}, value should not be greater than double the current value ${from}`;
    }
  }
  if (why) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Invalid dynamic configuration: ${why}`);
}
