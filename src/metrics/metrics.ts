// Gateway metrics: plain counters and fixed-bucket histograms updated on the request path without allocating,
// rendered in the Prometheus text format (0.0.4) only when /metrics is scraped. State-like values (groups, lag,
// watermarks, storage sizes, connections) are not tracked at all: they are read from their owners at scrape
// time (src/ops/collect.ts).
//
// Naming follows Prometheus conventions: `kgw_` prefix, base units (seconds, bytes), `_total` on counters.
// Label values that grow with the workload (topics, groups, partitions, backend methods) are capped at
// --metrics-max-series distinct values per family; the excess is folded into the value "_other" (counters) or
// left out (gauges), and kgw_metrics_series_dropped says how many were left out.
import type { BackendRpcObserver } from "../storage/storage.ts";
import type { BatchInfo } from "../records/batch_info.ts";
import { countRecords } from "../records/layout.ts";
import { errorInfo } from "../protocol/errors.ts";
import { ApiKey } from "../protocol/api_keys.ts";
import type { FetchResponseTopic } from "../protocol/messages/fetch.ts";

/** Request latency (s): 100 µs … 30 s (a Fetch long poll is capped at 30 s). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
];
/** Batch sizes (bytes): 64 B … 16 MiB. */
export const SIZE_BUCKETS: readonly number[] = [
  64,
  256,
  1024,
  4096,
  16384,
  65536,
  262144,
  1048576,
  4194304,
  16777216,
];
/** Records per batch. */
export const COUNT_BUCKETS: readonly number[] = [1, 2, 5, 10, 50, 100, 500, 1000, 5000, 10000, 50000];
/** Rebalance duration (s). */
export const REBALANCE_BUCKETS: readonly number[] = [
  0.01,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
  120,
  300,
];
/** Event-loop delay (s). */
export const LOOP_DELAY_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
];
/** Backend RPC latency (s). */
export const RPC_BUCKETS: readonly number[] = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

/** Label value that collects everything beyond the series cap. */
export const OTHER = "_other";

/** A histogram with fixed upper bounds; `counts` are per bucket (not cumulative), the last one is +Inf. */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }
}

/** Byte and record counters of one topic (label `topic`). */
export class TopicCounters {
  bytesIn = 0;
  recordsIn = 0;
  batchesIn = 0;
  bytesOut = 0;
  recordsOut = 0;
  constructor(readonly topic: string) {}
}

/** API keys and versions the request table has room for (Kafka's keys stay below 100, versions below 20). */
const MAX_API_KEY = 128;
const MAX_API_VERSION = 32;

export interface ApiName {
  readonly key: number;
  readonly name: string;
}

/**
 * Every number the request path updates. One instance per gateway; `null` in Broker.metrics when metrics are
 * off (--metrics false), so the handlers skip even the calls.
 */
export class GatewayMetrics implements BackendRpcObserver {
  /** apiKey * MAX_API_VERSION + version -> requests / latency histogram. */
  private readonly requestCounts = new Float64Array(MAX_API_KEY * MAX_API_VERSION);
  private readonly requestLatency: (Histogram | undefined)[] = new Array(MAX_API_KEY * MAX_API_VERSION);
  /** apiKey * 4096 + (errorCode + 1) -> responses (or partitions) answered with that error. */
  private readonly errors = new Map<number, number>();
  /** Requests that closed the connection instead of getting an answer, by reason. */
  readonly protocolErrors = new Map<string, number>();
  private readonly topics = new Map<string, TopicCounters>();
  private other: TopicCounters | null = null;
  readonly produceBatchBytes = new Histogram(SIZE_BUCKETS);
  readonly produceBatchRecords = new Histogram(COUNT_BUCKETS);
  /** Idempotent batches recognised as retries of stored ones (answered with their original offset). */
  produceDuplicates = 0;
  readonly fetchBatchBytes = new Histogram(SIZE_BUCKETS);
  bytesReceived = 0;
  bytesSent = 0;
  connectionsAccepted = 0;
  connectionsRejected = 0;
  /** Connections closed by the idle timeout (connections-max-idle-ms). */
  connectionsIdleClosed = 0;
  connectionsClosed = 0;
  /** Failed TLS handshakes by listener name (src/security/tls/listener.ts). */
  private readonly tlsHandshakeFailures = new Map<string, number>();
  /** SSL connections refused because their certificate's DN maps to no principal (ssl-principal-mapping-rules). */
  sslAuthenticationFailures = 0;
  /** SASL authentications by "mechanism\0success|failure" (mechanisms: the enabled ones and "unsupported"). */
  private readonly saslAuthentications = new Map<string, number>();
  /** Connections closed because their SASL session expired without re-authentication (KIP-368). */
  saslSessionsExpired = 0;
  /** Refused HTTP authentications by "port\0reason" (ports: ops, schema-registry; HTTP_AUTH_FAILURE_LABEL). */
  private readonly httpAuthFailures = new Map<string, number>();
  rebalances = 0;
  readonly rebalanceDuration = new Histogram(REBALANCE_BUCKETS);
  private readonly rebalancesByGroup = new Map<string, number>();
  private readonly rpcLatency = new Map<string, Histogram>();
  private readonly rpcErrors = new Map<string, number>();
  /** Failed storage I/O operations by errno class (a short fixed set of values, see storageError()). */
  private readonly storageErrors = new Map<string, number>();
  readonly loopDelay = new Histogram(LOOP_DELAY_BUCKETS);
  private loopDelayMax = 0;
  private loopDelayPrevMax = 0;
  private loopTimer: ReturnType<typeof setInterval> | null = null;
  /** Unix time (s) the process started (process_start_time_seconds). */
  readonly startTime = (Date.now() - performance.now()) / 1000;
  private readonly apiNames: string[] = [];

  constructor(readonly maxSeries: number, apis: readonly ApiName[] = []) {
    for (const a of apis) this.apiNames[a.key] = a.name;
  }

  apiName(key: number): string {
    return this.apiNames[key] ?? String(key);
  }

  // ------------------------------------------------------------------------------------------ request path

  /** One answered request: its latency (ms) and frame size (bytes, without the size prefix). */
  request(apiKey: number, version: number, ms: number, frameBytes: number): void {
    this.bytesReceived += frameBytes + 4;
    if (apiKey < 0 || apiKey >= MAX_API_KEY || version < 0 || version >= MAX_API_VERSION) return;
    const i = apiKey * MAX_API_VERSION + version;
    this.requestCounts[i]++;
    let h = this.requestLatency[i];
    if (h === undefined) h = this.requestLatency[i] = new Histogram(LATENCY_BUCKETS);
    h.observe(ms / 1000);
  }

  /** A response of `bytes` bytes (without the size prefix) was queued. */
  sent(bytes: number): void {
    this.bytesSent += bytes + 4;
  }

  /** A response (or one partition of it) carried `code`. NONE is ignored. */
  error(apiKey: number, code: number): void {
    if (code === 0) return;
    const k = apiKey * 4096 + code + 1;
    this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
  }

  /** A request that closed its connection: unknown API, unsupported version, malformed, handler failure. */
  protocolError(reason: string): void {
    this.protocolErrors.set(reason, (this.protocolErrors.get(reason) ?? 0) + 1);
  }

  /** A TLS handshake on listener `listener` failed (the connection was closed). */
  tlsHandshakeFailed(listener: string): void {
    this.tlsHandshakeFailures.set(listener, (this.tlsHandshakeFailures.get(listener) ?? 0) + 1);
  }

  /** Failed TLS handshakes on a listener (tests). */
  tlsHandshakeFailuresOf(listener: string): number {
    return this.tlsHandshakeFailures.get(listener) ?? 0;
  }

  /** One SASL authentication (or re-authentication) that completed or failed. */
  saslAuthentication(mechanism: string, ok: boolean): void {
    const k = `${mechanism}\0${ok ? "success" : "failure"}`;
    this.saslAuthentications.set(k, (this.saslAuthentications.get(k) ?? 0) + 1);
  }

  /** An HTTP request refused by the authentication of `port` (the ops port or the schema registry). */
  httpAuthenticationFailed(port: "ops" | "schema-registry", reason: string): void {
    const k = `${port}\0${reason}`;
    this.httpAuthFailures.set(k, (this.httpAuthFailures.get(k) ?? 0) + 1);
  }

  /** How many SASL authentications of `mechanism` ended so (tests). */
  saslAuthenticationsOf(mechanism: string, ok: boolean): number {
    return this.saslAuthentications.get(`${mechanism}\0${ok ? "success" : "failure"}`) ?? 0;
  }

  /**
   * Counts every non-zero `errorCode` in a response body, at any depth (top level, topics, partitions,
   * members...). Used for the APIs other than Produce and Fetch, which count their partition errors themselves.
   * Byte fields (Uint8Array) and arrays of them are not entered.
   */
  countResponseErrors(apiKey: number, res: unknown): void {
    this.walk(apiKey, res, 0);
  }

  private walk(apiKey: number, v: unknown, depth: number): void {
    if (depth > 6 || v === null || typeof v !== "object" || ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x === null || typeof x !== "object" || ArrayBuffer.isView(x)) return;
        this.walk(apiKey, x, depth + 1);
      }
      return;
    }
    const o = v as Record<string, unknown>;
    for (const k in o) {
      const x = o[k];
      if (typeof x === "number") {
        if (x !== 0 && k === "errorCode") this.error(apiKey, x);
      } else if (x !== null && typeof x === "object") this.walk(apiKey, x, depth + 1);
    }
  }

  /** The counters of a topic; beyond the series cap every new topic shares the "_other" counters. */
  topic(name: string): TopicCounters {
    let t = this.topics.get(name);
    if (t !== undefined) return t;
    if (this.topics.size < this.maxSeries) {
      t = new TopicCounters(name);
      this.topics.set(name, t);
      return t;
    }
    return this.other ??= new TopicCounters(OTHER);
  }

  /** A partition's append succeeded: bytes and records (from the batch headers) in. */
  produced(topic: string, bytes: number, batches: readonly BatchInfo[]): void {
    let records = 0;
    for (let i = 0; i < batches.length; i++) records += batches[i].recordCount;
    const t = this.topic(topic);
    t.bytesIn += bytes;
    t.recordsIn += records;
    t.batchesIn += batches.length;
    this.produceBatchBytes.observe(bytes);
    this.produceBatchRecords.observe(records);
  }

  /**
   * A partition's fetched data: stored RecordBatch v2 chunks (records counted from the batch headers, never
   * decoded) or, for Fetch v0-3, one down-converted message set (bytes only).
   */
  fetched(topic: string, records: Uint8Array | readonly Uint8Array[], v2: boolean): void {
    let bytes = 0, n = 0;
    if (records instanceof Uint8Array) {
      bytes = records.length;
      if (v2) n = countRecords(records);
    } else {
      for (let i = 0; i < records.length; i++) {
        const c = records[i];
        bytes += c.length;
        if (v2) n += countRecords(c);
      }
    }
    if (bytes === 0) return;
    const t = this.topic(topic);
    t.bytesOut += bytes;
    t.recordsOut += n;
    this.fetchBatchBytes.observe(bytes);
  }

  /** A Fetch response about to be sent: partition errors, and bytes and records out per topic. */
  fetchResponse(
    storage: { getTopicById(id: string): { name: string } | undefined },
    version: number,
    responses: readonly FetchResponseTopic[],
  ): void {
    for (let i = 0; i < responses.length; i++) {
      const t = responses[i];
      let name: string | null | undefined;
      const parts = t.partitions;
      for (let j = 0; j < parts.length; j++) {
        const p = parts[j];
        if (p.errorCode !== 0) {
          this.error(ApiKey.Fetch, p.errorCode);
          continue;
        }
        const rec = p.records;
        if (rec === null || rec === undefined || rec.length === 0) continue;
        if (name === undefined) {
          name = version >= 13
            ? (t.topicId === undefined ? null : storage.getTopicById(t.topicId)?.name ?? null)
            : t.topic ?? null;
        }
        if (name !== null) this.fetched(name, rec, version >= 4);
      }
    }
  }

  // ------------------------------------------------------------------------------------------ groups, backend

  /** A rebalance completed (the group became Stable) after `ms` milliseconds. */
  rebalance(groupId: string, ms: number): void {
    this.rebalances++;
    this.rebalanceDuration.observe(ms / 1000);
    const key = this.rebalancesByGroup.has(groupId) || this.rebalancesByGroup.size < this.maxSeries
      ? groupId
      : OTHER;
    this.rebalancesByGroup.set(key, (this.rebalancesByGroup.get(key) ?? 0) + 1);
  }

  /** BackendRpcObserver: a storage backend's remote call finished. */
  rpc(method: string, seconds: number, error: string | null): void {
    let h = this.rpcLatency.get(method);
    if (h === undefined) {
      const key = this.rpcLatency.size < this.maxSeries ? method : OTHER;
      h = this.rpcLatency.get(key);
      if (h === undefined) this.rpcLatency.set(key, h = new Histogram(RPC_BUCKETS));
      if (key === OTHER) method = OTHER;
    }
    h.observe(seconds);
    if (error !== null) {
      const k = `${method}\u0000${error}`;
      const key = this.rpcErrors.has(k) || this.rpcErrors.size < this.maxSeries
        ? k
        : `${OTHER}\u0000${OTHER}`;
      this.rpcErrors.set(key, (this.rpcErrors.get(key) ?? 0) + 1);
    }
  }

  /**
   * The kinds a backend reports to storageError(), shown at 0 from the start: a counter that appears only with its
   * first error makes increase() miss that error.
   */
  storageErrorKinds(kinds: readonly string[]): void {
    for (const k of kinds) if (!this.storageErrors.has(k)) this.storageErrors.set(k, 0);
  }

  /** A storage I/O operation failed; `kind` is an errno class ("ENOSPC", "EIO", "EACCES", ..., "other"). */
  storageError(kind: string): void {
    const key = this.storageErrors.has(kind) || this.storageErrors.size < this.maxSeries ? kind : OTHER;
    this.storageErrors.set(key, (this.storageErrors.get(key) ?? 0) + 1);
  }

  /** Storage errors counted for `kind` (tests, admin API). */
  storageErrorsOf(kind: string): number {
    return this.storageErrors.get(kind) ?? 0;
  }

  // ------------------------------------------------------------------------------------------ process

  /** Starts the event-loop delay probe (a 100 ms timer that does not keep the process alive). */
  start(): void {
    if (this.loopTimer !== null) return;
    const period = 100;
    let last = performance.now();
    let windowStart = last;
    this.loopTimer = setInterval(() => {
      const now = performance.now();
      const delay = Math.max(0, now - last - period) / 1000;
      last = now;
      this.loopDelay.observe(delay);
      if (delay > this.loopDelayMax) this.loopDelayMax = delay;
      if (now - windowStart >= 10_000) {
        this.loopDelayPrevMax = this.loopDelayMax;
        this.loopDelayMax = 0;
        windowStart = now;
      }
    }, period);
    Deno.unrefTimer(this.loopTimer as unknown as number);
  }

  stop(): void {
    if (this.loopTimer !== null) clearInterval(this.loopTimer);
    this.loopTimer = null;
  }

  /** Largest event-loop delay seen over the last 10-20 s. */
  get loopDelayRecentMax(): number {
    return Math.max(this.loopDelayMax, this.loopDelayPrevMax);
  }

  // ------------------------------------------------------------------------------------------ reading

  topicCounters(): Iterable<TopicCounters> {
    const all = [...this.topics.values()];
    if (this.other !== null) all.push(this.other);
    return all;
  }

  /** Counters of one topic when it is tracked (admin API, dashboard). */
  topicCountersOf(name: string): TopicCounters | undefined {
    return this.topics.get(name);
  }

  /** Writes the families held here (request path, process) to `out`. */
  render(out: Exposition): void {
    out.family("kgw_requests_total", "counter", "Requests answered, by API and version.");
    for (let i = 0; i < this.requestCounts.length; i++) {
      const n = this.requestCounts[i];
      if (n === 0) continue;
      out.sample("kgw_requests_total", this.apiLabels(i), n);
    }
    out.family("kgw_request_duration_seconds", "histogram", "Time from request decoded to response queued.");
    for (let i = 0; i < this.requestLatency.length; i++) {
      const h = this.requestLatency[i];
      if (h !== undefined) out.histogram("kgw_request_duration_seconds", this.apiLabels(i), h);
    }
    out.family(
      "kgw_request_errors_total",
      "counter",
      "Error codes in responses (per partition, group or topic entry), by API and Kafka error name.",
    );
    for (const [k, n] of this.errors) {
      const api = Math.floor(k / 4096), code = (k % 4096) - 1;
      out.sample(
        "kgw_request_errors_total",
        labels({ api: this.apiName(api), error: errorInfo(code).name }),
        n,
      );
    }
    out.family(
      "kgw_protocol_errors_total",
      "counter",
      "Requests that closed their connection instead of being answered, by reason.",
    );
    for (const [reason, n] of this.protocolErrors) {
      out.sample("kgw_protocol_errors_total", labels({ reason }), n);
    }
    out.family("kgw_network_received_bytes_total", "counter", "Request bytes received (with size prefixes).");
    out.sample("kgw_network_received_bytes_total", "", this.bytesReceived);
    out.family("kgw_network_sent_bytes_total", "counter", "Response bytes queued (with size prefixes).");
    out.sample("kgw_network_sent_bytes_total", "", this.bytesSent);

    const topics = [...this.topicCounters()];
    const perTopic = (name: string, help: string, get: (t: TopicCounters) => number) => {
      out.family(name, "counter", help);
      for (const t of topics) out.sample(name, labels({ topic: t.topic }), get(t));
    };
    perTopic("kgw_topic_bytes_in_total", "Record batch bytes appended, by topic.", (t) => t.bytesIn);
    perTopic(
      "kgw_topic_records_in_total",
      "Records appended (from batch headers), by topic.",
      (t) => t.recordsIn,
    );
    perTopic("kgw_topic_batches_in_total", "Record batches appended, by topic.", (t) => t.batchesIn);
    perTopic("kgw_topic_bytes_out_total", "Record bytes returned by Fetch, by topic.", (t) => t.bytesOut);
    perTopic(
      "kgw_topic_records_out_total",
      "Records returned by Fetch (from batch headers; whole batches), by topic.",
      (t) => t.recordsOut,
    );
    out.family(
      "kgw_produce_batch_size_bytes",
      "histogram",
      "Bytes appended per partition per Produce request.",
    );
    out.histogram("kgw_produce_batch_size_bytes", "", this.produceBatchBytes);
    out.family(
      "kgw_produce_batch_records",
      "histogram",
      "Records appended per partition per Produce request.",
    );
    out.histogram("kgw_produce_batch_records", "", this.produceBatchRecords);
    out.family(
      "kgw_produce_duplicates_total",
      "counter",
      "Idempotent batches recognised as retries of stored ones: answered with their original offset, not written.",
    );
    out.sample("kgw_produce_duplicates_total", "", this.produceDuplicates);
    out.family(
      "kgw_fetch_batch_size_bytes",
      "histogram",
      "Bytes returned per partition per Fetch response (partitions with data).",
    );
    out.histogram("kgw_fetch_batch_size_bytes", "", this.fetchBatchBytes);

    out.family("kgw_connections_accepted_total", "counter", "Kafka connections accepted.");
    out.sample("kgw_connections_accepted_total", "", this.connectionsAccepted);
    out.family(
      "kgw_connections_rejected_total",
      "counter",
      "Kafka connections refused (max-connections, max-connections-per-ip, connection_creation_rate).",
    );
    out.sample("kgw_connections_rejected_total", "", this.connectionsRejected);
    out.family("kgw_connections_closed_total", "counter", "Kafka connections closed.");
    out.sample("kgw_connections_closed_total", "", this.connectionsClosed);
    out.family(
      "kgw_connections_idle_closed_total",
      "counter",
      "Kafka connections closed for showing no activity for connections-max-idle-ms.",
    );
    out.sample("kgw_connections_idle_closed_total", "", this.connectionsIdleClosed);
    out.family(
      "kgw_tls_handshake_failures_total",
      "counter",
      "TLS handshakes that failed (plaintext client, missing or untrusted client certificate, old TLS version), by listener; each closed only its connection.",
    );
    for (const [listener, n] of this.tlsHandshakeFailures) {
      out.sample("kgw_tls_handshake_failures_total", labels({ listener }), n);
    }
    out.family(
      "kgw_ssl_authentication_failures_total",
      "counter",
      "SSL connections closed because their client certificate's subject maps to no principal (ssl-principal-mapping-rules).",
    );
    out.sample("kgw_ssl_authentication_failures_total", "", this.sslAuthenticationFailures);
    out.family(
      "kgw_sasl_authentications_total",
      "counter",
      "SASL authentications and re-authentications, by mechanism and result (success, failure).",
    );
    for (const [k, n] of this.saslAuthentications) {
      const [mechanism, result] = k.split("\0");
      out.sample("kgw_sasl_authentications_total", labels({ mechanism, result }), n);
    }
    out.family(
      "kgw_sasl_sessions_expired_total",
      "counter",
      "Connections closed because their SASL session (sasl-session-lifetime-ms) expired without re-authentication.",
    );
    out.sample("kgw_sasl_sessions_expired_total", "", this.saslSessionsExpired);
    out.family(
      "kgw_http_authentication_failures_total",
      "counter",
      "HTTP requests refused by the authentication of the ops port or the schema registry (--http-auth), by port and reason (wrong_password, unknown_user, bad_token, malformed, no_credential_store, not_authorized).",
    );
    for (const [k, n] of this.httpAuthFailures) {
      const [port, reason] = k.split("\0");
      out.sample("kgw_http_authentication_failures_total", labels({ port, reason }), n);
    }

    out.family(
      "kgw_group_rebalances_total",
      "counter",
      "Completed rebalances (group became Stable), by group.",
    );
    for (const [g, n] of this.rebalancesByGroup) {
      out.sample("kgw_group_rebalances_total", labels({ group: g }), n);
    }
    out.family(
      "kgw_group_rebalance_duration_seconds",
      "histogram",
      "Time from the start of a rebalance to the group becoming Stable.",
    );
    out.histogram("kgw_group_rebalance_duration_seconds", "", this.rebalanceDuration);

    out.family("kgw_backend_rpc_duration_seconds", "histogram", "Storage backend remote calls, by method.");
    for (const [m, h] of this.rpcLatency) {
      out.histogram("kgw_backend_rpc_duration_seconds", labels({ method: m }), h);
    }
    out.family(
      "kgw_backend_rpc_errors_total",
      "counter",
      "Failed storage backend remote calls, by method and code.",
    );
    for (const [k, n] of this.rpcErrors) {
      const [method, code] = k.split("\u0000");
      out.sample("kgw_backend_rpc_errors_total", labels({ method, code }), n);
    }

    out.family(
      "kgw_storage_errors_total",
      "counter",
      "Failed storage I/O operations (embedded log), by errno class: ENOSPC, EDQUOT, EIO, EACCES, EPERM, EROFS, " +
        "EMFILE, ENFILE, other. Each condition is logged once; /readyz is not ready while one lasts.",
    );
    for (const [kind, n] of this.storageErrors) out.sample("kgw_storage_errors_total", labels({ kind }), n);

    const mem = Deno.memoryUsage();
    out.family("process_resident_memory_bytes", "gauge", "Resident set size of the gateway process.");
    out.sample("process_resident_memory_bytes", "", mem.rss);
    out.family("process_heap_bytes", "gauge", "V8 heap in use.");
    out.sample("process_heap_bytes", "", mem.heapUsed);
    out.family("process_external_memory_bytes", "gauge", "Buffers outside the V8 heap (ArrayBuffers).");
    out.sample("process_external_memory_bytes", "", mem.external);
    out.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.");
    out.sample("process_start_time_seconds", "", Math.round(this.startTime));
    out.family(
      "kgw_event_loop_delay_seconds",
      "histogram",
      "Lateness of a 100 ms timer (event-loop blocking).",
    );
    out.histogram("kgw_event_loop_delay_seconds", "", this.loopDelay);
    out.family(
      "kgw_event_loop_delay_max_seconds",
      "gauge",
      "Largest event-loop delay over the last 10-20 s.",
    );
    out.sample("kgw_event_loop_delay_max_seconds", "", this.loopDelayRecentMax);
  }

  private apiLabels(i: number): string {
    const key = Math.floor(i / MAX_API_VERSION);
    return labels({ api: this.apiName(key), version: String(i % MAX_API_VERSION) });
  }

  /** Requests counted for an API, all versions (tests, dashboard). */
  requestsOf(apiKey: number): number {
    let n = 0;
    for (let v = 0; v < MAX_API_VERSION; v++) n += this.requestCounts[apiKey * MAX_API_VERSION + v];
    return n;
  }
}

// ------------------------------------------------------------------------------------------ exposition format

function escapeLabel(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/** `{a="x",b="y"}` from an object (empty string for no labels). */
export function labels(l: Record<string, string | number>): string {
  const parts: string[] = [];
  for (const k in l) parts.push(`${k}="${escapeLabel(String(l[k]))}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Prometheus text exposition 0.0.4 being built; each family is declared once, before its samples. */
export class Exposition {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();
  /** Series left out per family because of the cap. */
  readonly dropped = new Map<string, number>();

  constructor(readonly maxSeries: number) {}

  family(name: string, type: "counter" | "gauge" | "histogram", help: string): void {
    if (this.seen.has(name)) return;
    this.seen.add(name);
    this.lines.push(`# HELP ${name} ${help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n")}`);
    this.lines.push(`# TYPE ${name} ${type}`);
  }

  sample(name: string, labelText: string, value: number): void {
    this.lines.push(`${name}${labelText} ${num(value)}`);
  }

  /** A gauge family with many label sets (partitions, groups): at most maxSeries samples, the rest counted. */
  capped(name: string, series: Iterable<[string, number]>): void {
    let n = 0;
    for (const [l, v] of series) {
      if (n++ >= this.maxSeries) {
        this.dropped.set(name, (this.dropped.get(name) ?? 0) + 1);
        continue;
      }
      this.sample(name, l, v);
    }
  }

  histogram(name: string, labelText: string, h: Histogram): void {
    const inner = labelText === "" ? "" : labelText.slice(1, -1) + ",";
    let cum = 0;
    for (let i = 0; i < h.bounds.length; i++) {
      cum += h.counts[i];
      this.lines.push(`${name}_bucket{${inner}le="${num(h.bounds[i])}"} ${cum}`);
    }
    cum += h.counts[h.bounds.length];
    this.lines.push(`${name}_bucket{${inner}le="+Inf"} ${cum}`);
    this.lines.push(`${name}_sum${labelText} ${num(h.sum)}`);
    this.lines.push(`${name}_count${labelText} ${h.count}`);
  }

  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/**
 * Times one backend call for a BackendRpcObserver (helper for storage backends): `codeOf` turns a failure into
 * a short code label (a gRPC status name, say).
 */
export async function observeRpc<T>(
  observer: BackendRpcObserver | null,
  method: string,
  call: () => Promise<T>,
  codeOf: (e: unknown) => string,
): Promise<T> {
  if (observer === null) return call();
  const t0 = performance.now();
  try {
    const r = await call();
    observer.rpc(method, (performance.now() - t0) / 1000, null);
    return r;
  } catch (e) {
    observer.rpc(method, (performance.now() - t0) / 1000, codeOf(e));
    throw e;
  }
}
