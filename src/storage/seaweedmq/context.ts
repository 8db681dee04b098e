// What the per-partition machinery (partition.ts, publisher.ts) shares with SeaweedMQStorage.
import type { SmqCluster } from "./transport/cluster.ts";
import type { Filer } from "./transport/filer.ts";
import type { LogFileCache, VolumeLocator } from "./log_files.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFn = (level: LogLevel, msg: string) => void;

export interface SmqContext {
  readonly cluster: SmqCluster;
  readonly filer: Filer;
  /** SeaweedMQ namespace of Kafka topics ("kafka"). */
  readonly namespace: string;
  readonly rpcTimeoutMs: number;
  /** How long a produce waits for a broker (re)connection before failing with REQUEST_TIMED_OUT. */
  readonly publishTimeoutMs: number;
  /** Acknowledged records are kept this long to re-publish them if a broker restart loses them. */
  readonly replayWindowMs: number;
  readonly replayMaxBytes: number;
  readonly log: LogFn;
  /** Reports one finished backend call (metrics). */
  observe(method: string, seconds: number, error: string | null): void;
  /** Incremented whenever a call to the broker fails as if it went away (see PartitionState.ensureReady). */
  brokerEpoch(address: string): number;
  noteBrokerFailure(address: string): void;
  /** Re-reads the topic's partition assignments (leaders); deduplicated per topic. */
  relookup(topic: string): Promise<void>;
  readonly closed: boolean;
  /** Direct reads of flushed log files (log_files.ts); absent = always FetchMessage. */
  readonly logFiles?: { readonly cache: LogFileCache; readonly volumes: VolumeLocator };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export type Timer = ReturnType<typeof setInterval>;

/** Lets the process exit while the timer is pending. */
export function unref(t: Timer): Timer {
  if (typeof t === "number") Deno.unrefTimer(t);
  else (t as { unref?: () => void }).unref?.();
  return t;
}
