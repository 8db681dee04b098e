// Enforcement of the client quotas (the request pipeline's quota step, src/request/quota.ts), as
// Kafka's ClientQuotaManager: each request of a (user, client id) is matched against the quota entities in
// Kafka's order of precedence, separately per quota type; its bytes (Produce request, Fetch response) or its
// time on the event loop (request_percentage) are recorded on the rate of the matched entity, and a rate over the
// quota yields the throttle time that brings it back under (rate.ts). A user-only quota is one rate shared by all
// client ids of the user, a client-id-only quota one per client id shared by all users, as Kafka's metric tags.
// Each gateway enforces the quotas on its own traffic, as each Kafka broker does.
import type { RequestHeader } from "../protocol/header.ts";
import {
  CONSUMER_BYTE_RATE,
  CONTROLLER_MUTATION_RATE,
  PRECEDENCE,
  PRODUCER_BYTE_RATE,
  type QuotaEntity,
  type QuotaKind,
  REQUEST_PERCENTAGE,
} from "./model.ts";
import { KAFKA_RATE_CONFIG, type RateConfig, throttleTimeMs, TokenBucket, WindowedRate } from "./rate.ts";
import type { QuotaTable } from "./store.ts";

/** Quota types enforced per request (connection_creation_rate is enforced when connections are accepted). */
export const QUOTA_TYPES = [PRODUCER_BYTE_RATE, CONSUMER_BYTE_RATE, REQUEST_PERCENTAGE] as const;
export type RequestQuotaType = typeof QUOTA_TYPES[number];

/** One enforced quota of an entity: what it has recorded and the throttling it handed out (metrics). */
export interface EnforcedQuota {
  readonly type: string;
  readonly user: string;
  readonly clientId: string;
  readonly entity: string;
  readonly quota: number;
  readonly throttleMsTotal: number;
  readonly throttled: number;
}

/** An entity's rate quota of one type (bytes/s, percent): Kafka's Rate sensor. */
export class QuotaSensor implements EnforcedQuota {
  readonly rate: WindowedRate;
  /** Throttle time handed out in total, and how many responses were throttled. */
  throttleMsTotal = 0;
  throttled = 0;

  constructor(
    readonly type: string,
    /** The user and client id the rate is kept for ("" where the matched entity has no such part). */
    readonly user: string,
    readonly clientId: string,
    /** The matched entity, as Kafka prints it ("/config/users/<default>/clients/app"). */
    readonly entity: string,
    public quota: number,
    config: RateConfig,
  ) {
    this.rate = new WindowedRate(config);
  }

  /** Records `value` and returns the throttle time it earns (Kafka's recordAndGetThrottleTimeMs). */
  record(value: number, nowMs: number, capMs: number): number {
    this.rate.record(value, nowMs);
    const window = this.rate.windowSize(nowMs);
    const ms = Math.min(throttleTimeMs(this.rate.perSecond(nowMs), this.quota, window), capMs);
    if (ms > 0) {
      this.throttleMsTotal += ms;
      this.throttled++;
    }
    return ms;
  }
}

/**
 * An entity's controller_mutation_rate (KIP-599): partitions created or deleted per second, kept in a token bucket.
 * Strict requests (CreateTopics v6+, CreatePartitions v3+, DeleteTopics v5+) are refused a topic while the bucket is
 * negative; every mutation request is throttled until it is back at zero.
 */
export class MutationSensor implements EnforcedQuota {
  readonly type = CONTROLLER_MUTATION_RATE;
  private readonly bucket: TokenBucket;
  throttleMsTotal = 0;
  throttled = 0;

  constructor(
    readonly user: string,
    readonly clientId: string,
    readonly entity: string,
    private _quota: number,
    config: RateConfig,
    nowMs: number,
  ) {
    this.bucket = new TokenBucket(_quota, config, nowMs);
  }

  get quota(): number {
    return this._quota;
  }

  set quota(q: number) {
    this._quota = q;
    this.bucket.setQuota(q);
  }

  /** The bucket is negative: a strict request's next topic is refused (THROTTLING_QUOTA_EXCEEDED). */
  exceeded(nowMs: number): boolean {
    return this.bucket.measure(nowMs) < 0;
  }

  /** Partitions created or deleted (negative: given back for a topic that was not changed after all). */
  record(permits: number, nowMs: number): void {
    this.bucket.record(permits, nowMs);
  }

  /** Throttle time for the request that recorded last. */
  throttle(nowMs: number): number {
    const ms = this.bucket.throttleMs(nowMs);
    if (ms > 0) {
      this.throttleMsTotal += ms;
      this.throttled++;
    }
    return ms;
  }
}

/** What a (user, client id) pair resolved to: the sensor of each quota type, or null when no quota applies. */
interface Resolved {
  readonly generation: number;
  readonly produce: QuotaSensor | null;
  readonly fetch: QuotaSensor | null;
  readonly request: QuotaSensor | null;
  readonly mutation: MutationSensor | null;
}

/** Percent of one thread per ms of time: Kafka's nanosToPercentage (100 % = one second per second). */
const PERCENT_PER_MS = 100 / 1000;

/** A sensor unused this long is forgotten (Kafka's InactiveSensorExpirationTimeSeconds, 3600 s). */
const SENSOR_EXPIRY_MS = 3600_000;

/** Users, client ids per user and sensors kept before the idle ones are dropped (client id churn). */
const MAX_RESOLVED = 10_000;

export interface ManagerOptions {
  readonly rate?: RateConfig;
  /** The clock (tests). */
  readonly now?: () => number;
}

/**
 * What the quota step knows of a request: who sent it (the principal's name) and its header. A RequestContext is
 * one; the manager is the pipeline's QuotaManager (src/request/quota.ts) without importing the request layer.
 */
export interface QuotaSubject {
  readonly principal: { readonly name: string };
  readonly header: Pick<RequestHeader, "apiKey" | "clientId">;
}

export class ClientQuotaManager {
  private table: QuotaTable;
  private generation = 0;
  private readonly rateConfig: RateConfig;
  private readonly now: () => number;
  /** user → client id → resolution (strings from request headers are reused: lookups allocate nothing). */
  private readonly resolved = new Map<string, Map<string, Resolved>>();
  /** type|user|clientId → sensor. */
  readonly sensors = new Map<string, QuotaSensor>();
  /** user|clientId → controller_mutation_rate sensor. */
  readonly mutationSensors = new Map<string, MutationSensor>();

  constructor(table: QuotaTable, options: ManagerOptions = {}) {
    this.table = table;
    this.rateConfig = options.rate ?? KAFKA_RATE_CONFIG;
    this.now = options.now ?? Date.now;
  }

  /** Quotas changed: every pair is matched again; existing sensors keep their rates and take the new quota. */
  setTable(table: QuotaTable): void {
    this.table = table;
    this.generation++;
    this.resolved.clear();
    this.forgetIdle();
  }

  /** Drops the sensors nothing was recorded on for an hour (as Kafka's sensors expire). */
  private forgetIdle(): void {
    const now = this.now();
    let dropped = false;
    for (const [k, s] of this.sensors) {
      if (now - s.rate.lastRecordMs > SENSOR_EXPIRY_MS) {
        this.sensors.delete(k);
        dropped = true;
      }
    }
    if (dropped) this.resolved.clear(); // no pair may keep recording on a sensor no longer listed
  }

  get rateWindow(): RateConfig {
    return this.rateConfig;
  }

  /** `kind`: which quota the request's API counts against besides request_percentage (its registration's). */
  throttleMs(
    ctx: QuotaSubject,
    requestBytes: number,
    responseBytes: number,
    loopMs: number,
    kind: QuotaKind,
  ): number {
    if (!this.table.hasClientQuotas) return 0; // no quotas: nothing recorded, nothing allocated
    const r = this.resolve(ctx.principal.name, ctx.header.clientId ?? "");
    const now = this.now();
    let ms = 0;
    if (kind === "produce" && r.produce !== null) {
      ms = r.produce.record(requestBytes, now, Number.MAX_SAFE_INTEGER);
    } else if (kind === "fetch" && r.fetch !== null) {
      ms = r.fetch.record(responseBytes, now, Number.MAX_SAFE_INTEGER);
    }
    if (r.request !== null) {
      // Kafka caps a request-time throttle at one quota window (ClientRequestQuotaManager.maxThrottleTimeMs).
      ms = Math.max(ms, r.request.record(loopMs * PERCENT_PER_MS, now, this.rateConfig.windowMs));
    }
    if (r.mutation !== null && kind === "mutation") ms = Math.max(ms, r.mutation.throttle(now));
    return ms;
  }

  /** The clock quotas are measured on (ms). */
  nowMs(): number {
    return this.now();
  }

  /** The controller_mutation_rate sensor for a request's principal and client id, or null. */
  mutationSensor(user: string, clientId: string): MutationSensor | null {
    if (!this.table.hasClientQuotas) return null;
    return this.resolve(user, clientId).mutation;
  }

  private resolve(user: string, clientId: string): Resolved {
    let byClient = this.resolved.get(user);
    if (byClient === undefined || byClient.size >= MAX_RESOLVED) {
      // many distinct client ids (or users): start over rather than grow; matching again is cheap
      if (this.resolved.size >= MAX_RESOLVED) this.resolved.clear();
      byClient = new Map();
      this.resolved.set(user, byClient);
    }
    let r = byClient.get(clientId);
    if (r === undefined || r.generation !== this.generation) {
      r = {
        generation: this.generation,
        produce: this.match(PRODUCER_BYTE_RATE, user, clientId),
        fetch: this.match(CONSUMER_BYTE_RATE, user, clientId),
        request: this.match(REQUEST_PERCENTAGE, user, clientId),
        mutation: this.matchMutation(user, clientId),
      };
      byClient.set(clientId, r);
    }
    return r;
  }

  private matchMutation(user: string, clientId: string): MutationSensor | null {
    const found = matchQuota(this.table, CONTROLLER_MUTATION_RATE, user, clientId);
    if (found === null) return null;
    const key = `${found.sensorUser}|${found.sensorClient}`;
    let s = this.mutationSensors.get(key);
    if (s === undefined) {
      s = new MutationSensor(
        found.sensorUser,
        found.sensorClient,
        found.entity,
        found.quota,
        this.rateConfig,
        this.now(),
      );
      this.mutationSensors.set(key, s);
    } else {
      s.quota = found.quota;
    }
    return s;
  }

  /** The sensor of the most specific entity holding `type` for (user, clientId), or null. */
  private match(type: string, user: string, clientId: string): QuotaSensor | null {
    const found = matchQuota(this.table, type, user, clientId);
    if (found === null) return null;
    const { quota, sensorUser, sensorClient, entity } = found;
    const key = `${type}|${sensorUser}|${sensorClient}`;
    let s = this.sensors.get(key);
    if (s === undefined) {
      if (this.sensors.size >= MAX_RESOLVED) this.forgetIdle();
      s = new QuotaSensor(type, sensorUser, sensorClient, entity, quota, this.rateConfig);
      this.sensors.set(key, s);
    } else {
      s.quota = quota;
    }
    return s;
  }
}

export interface MatchedQuota {
  readonly quota: number;
  /** Which user and client id the rate is kept for. */
  readonly sensorUser: string;
  readonly sensorClient: string;
  /** The matched entity as Kafka's config path names it. */
  readonly entity: string;
}

/** Kafka's precedence (model.ts PRECEDENCE): the first entity that holds `type` for (user, clientId). */
export function matchQuota(
  table: QuotaTable,
  type: string,
  user: string,
  clientId: string,
): MatchedQuota | null {
  for (const level of PRECEDENCE) {
    const entity: { user?: string | null; clientId?: string | null } = {};
    if (level.user !== null) entity.user = level.user === "name" ? user : null;
    if (level.clientId !== null) entity.clientId = level.clientId === "name" ? clientId : null;
    const quota = table.value(entity as QuotaEntity, type);
    if (quota === undefined) continue;
    return {
      quota,
      sensorUser: level.user === null ? "" : user,
      sensorClient: level.clientId === null ? "" : clientId,
      entity: configPath(entity),
    };
  }
  return null;
}

/** "/config/users/alice/clients/<default>", as Kafka's docs name quota entities. */
export function configPath(e: QuotaEntity): string {
  const name = (v: string | null) => v === null ? "<default>" : v;
  let p = "/config";
  if (e.user !== undefined) p += `/users/${name(e.user)}`;
  if (e.clientId !== undefined) p += `/clients/${name(e.clientId)}`;
  if (e.ip !== undefined) p += `/ips/${name(e.ip)}`;
  return p;
}
