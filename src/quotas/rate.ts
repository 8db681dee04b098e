// Kafka's windowed rate (org.apache.kafka.common.metrics.stats.Rate over a SampledStat) and the throttle time
// Kafka's ClientQuotaManager derives from it. A rate keeps `samples` windows of `windowMs` each; a value is added
// to the current window, a new window starts when the current one is `windowMs` old, and windows older than
// samples × windowMs are reset before being read. The rate is the sum of the windows over the elapsed time, with
// the elapsed time taken to be at least (samples - 1) whole windows, so that a client's first burst is measured
// over a full quota window rather than over the few ms since its first request.

export interface RateConfig {
  /** quota.window.num (Kafka's default 11). */
  readonly samples: number;
  /** quota.window.size.seconds in ms (Kafka's default 1000). */
  readonly windowMs: number;
}

export const KAFKA_RATE_CONFIG: RateConfig = { samples: 11, windowMs: 1000 };

/** One entity's rate (bytes/s, or percent of a thread). Windows are plain numbers in preallocated arrays. */
export class WindowedRate {
  private readonly starts: Float64Array;
  private readonly sums: Float64Array;
  private used = 0;
  private current = 0;
  /** Last time anything was recorded (sensor expiry). */
  lastRecordMs = 0;

  constructor(private readonly config: RateConfig) {
    this.starts = new Float64Array(config.samples);
    this.sums = new Float64Array(config.samples);
  }

  /** Adds `value` at `nowMs` (negative values un-record, as Kafka's unrecordQuotaSensor). */
  record(value: number, nowMs: number): void {
    const { samples, windowMs } = this.config;
    this.lastRecordMs = nowMs;
    if (this.used === 0) {
      this.used = 1;
      this.current = 0;
      this.starts[0] = nowMs;
      this.sums[0] = 0;
    } else if (nowMs - this.starts[this.current] >= windowMs) {
      // SampledStat.advance: the next window, a new one until there are `samples`, then the oldest reused
      this.current = (this.current + 1) % samples;
      if (this.current >= this.used) this.used = this.current + 1;
      this.starts[this.current] = nowMs;
      this.sums[this.current] = 0;
    }
    this.sums[this.current] += value;
  }

  /** Resets windows older than samples × windowMs (SampledStat.purgeObsoleteSamples). */
  private purge(nowMs: number): void {
    const expireAge = this.config.samples * this.config.windowMs;
    for (let i = 0; i < this.used; i++) {
      if (nowMs - this.starts[i] >= expireAge) {
        this.starts[i] = nowMs;
        this.sums[i] = 0;
      }
    }
  }

  /** Rate.windowSize: the elapsed time the rate is measured over, in ms (at least 1). */
  windowSize(nowMs: number): number {
    this.purge(nowMs);
    const { samples, windowMs } = this.config;
    let oldest = nowMs;
    for (let i = 0; i < this.used; i++) if (this.starts[i] < oldest) oldest = this.starts[i];
    let elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / windowMs);
    if (fullWindows < samples - 1) elapsed += (samples - 1 - fullWindows) * windowMs;
    return Math.max(elapsed, 1);
  }

  /** The rate per second at `nowMs`. */
  perSecond(nowMs: number): number {
    const size = this.windowSize(nowMs); // purges first
    let sum = 0;
    for (let i = 0; i < this.used; i++) sum += this.sums[i];
    return sum / (size / 1000);
  }
}

/**
 * ClientQuotaManager.throttleTime: how long the client must stay quiet for its observed rate O over window W to
 * fall to the quota T, assuming it records nothing more: O·W / (W + X) = T, so X = (O − T) / T · W. 0 when within
 * the quota (Kafka's Quota.acceptable: O ≤ T).
 */
export function throttleTimeMs(observed: number, quota: number, windowMs: number): number {
  if (observed <= quota) return 0;
  if (quota <= 0) return windowMs; // a zero quota: held back a whole window at a time
  return Math.round((observed - quota) / quota * windowMs);
}

/**
 * Kafka's TokenBucket (KIP-599), the controller mutation quota's measure: it holds up to (samples - 1) windows'
 * worth of the quota, refills at the quota per second, and each mutation takes its partitions from it; it may go
 * negative, and a negative bucket is the quota exceeded, for as long as refilling takes.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private quota: number, private readonly config: RateConfig, nowMs: number) {
    this.tokens = this.burst();
    this.last = nowMs;
  }

  private burst(): number {
    return (this.config.samples - 1) * (this.config.windowMs / 1000) * this.quota;
  }

  setQuota(quota: number): void {
    this.quota = quota;
    this.tokens = Math.min(this.tokens, this.burst());
  }

  /** Tokens left at `nowMs` (negative: over the quota). */
  measure(nowMs: number): number {
    this.tokens = Math.min(this.burst(), this.tokens + this.quota * Math.max(0, nowMs - this.last) / 1000);
    this.last = Math.max(this.last, nowMs);
    return this.tokens;
  }

  record(value: number, nowMs: number): void {
    this.tokens = Math.min(this.burst(), this.measure(nowMs) - value);
  }

  /** How long until the bucket is back at zero (0 when not negative). */
  throttleMs(nowMs: number): number {
    const t = this.measure(nowMs);
    return t >= 0 ? 0 : Math.ceil(-t / this.quota * 1000);
  }
}
