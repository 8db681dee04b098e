// The healthy clients, run in a Web Worker so that the fuzzers' work on the main thread can never delay them
// (a stall measured here is the gateway's). A producer appends a known sequence to the healthy topic, a
// consumer fetches it back, a pinger sends ApiVersions and Metadata; every request's latency is recorded, a
// watchdog reports any request in flight longer than the stall limit while it is still in flight, and at the
// end the consumer's records are compared with what the producer had acknowledged.
import { buildBatch } from "../../src/records/batch.ts";
import { decodeBatchRecords } from "../../src/records/record.ts";
import { Client } from "./wire.ts";
import { apiVersions, fetchOne, metadata, produce } from "./requests.ts";

export interface HealthyStart {
  readonly type: "start";
  readonly port: number;
  readonly topic: string;
  readonly topicId: string;
  readonly produceVersion: number;
  readonly fetchVersion: number;
  readonly metadataVersion: number;
  readonly apiVersionsVersion: number;
  readonly stallMs: number;
}

export type ToHealthy = HealthyStart | { readonly type: "stop" };

export type Who = "producer" | "consumer" | "pinger";

export interface StallEvent {
  readonly type: "stall";
  readonly who: Who;
  readonly api: string;
  /** Date.now() when the request was sent. */
  readonly sentAt: number;
}

export interface ProblemEvent {
  readonly type: "problem";
  readonly who: Who;
  readonly message: string;
}

export interface HealthyResult {
  readonly type: "result";
  readonly latencies: Record<Who, number[]>;
  readonly acked: number;
  readonly consumed: number;
  /** Loss, reorder, duplication, corruption: empty when the consumer read exactly what was acknowledged. */
  readonly sequenceProblems: string[];
  /** Largest delay of this worker's own timers (a busy harness machine, not the gateway). */
  readonly maxTimerLagMs: number;
}

export type FromHealthy = StallEvent | ProblemEvent | HealthyResult;

interface Scope {
  postMessage(m: FromHealthy): void;
  onmessage: ((e: MessageEvent<ToHealthy>) => void) | null;
  close(): void;
}
const scope = self as unknown as Scope;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();
const dec = new TextDecoder();
/** Long enough to measure a long stall instead of giving up on it. */
const CALL_TIMEOUT_MS = 40_000;

interface Inflight {
  who: Who;
  api: string;
  sentAt: number;
  reported: boolean;
}

class Healthy {
  private stopping = false;
  private readonly inflight = new Map<Who, Inflight>();
  readonly latencies: Record<Who, number[]> = { producer: [], consumer: [], pinger: [] };
  /** Acknowledged records in offset order, and the values of batches whose fate is unknown (errors). */
  /** `at`: when the acknowledgement arrived (ISO time, to line up with the gateway log). */
  private readonly acked: { offset: number; value: string; at: string }[] = [];
  private readonly unknownFate = new Set<string>();
  private readonly consumed: { offset: number; value: string }[] = [];
  /** Offsets the consumer expected when a later one came instead. */
  private readonly gaps: number[] = [];
  private readonly problems: string[] = [];
  private nextOffset = 0;
  private maxLag = 0;

  constructor(private readonly cfg: HealthyStart) {}

  private problem(who: Who, message: string): void {
    scope.postMessage({ type: "problem", who, message });
  }

  /** Runs one request, timing it; the watchdog sees it while in flight. */
  private async timed<T>(who: Who, api: string, fn: () => Promise<T>): Promise<T> {
    const f: Inflight = { who, api, sentAt: Date.now(), reported: false };
    this.inflight.set(who, f);
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.latencies[who].push(performance.now() - t0);
      this.inflight.delete(who);
    }
  }

  private async watchdog(): Promise<void> {
    let last = performance.now();
    while (!this.stopping) {
      await sleep(50);
      const now = performance.now();
      this.maxLag = Math.max(this.maxLag, now - last - 50);
      last = now;
      for (const f of this.inflight.values()) {
        if (!f.reported && Date.now() - f.sentAt > this.cfg.stallMs) {
          f.reported = true;
          scope.postMessage({ type: "stall", who: f.who, api: f.api, sentAt: f.sentAt });
        }
      }
    }
  }

  private async connect(who: Who): Promise<Client> {
    for (let i = 0;; i++) {
      try {
        return await Client.open(this.cfg.port, `healthy-${who}`);
      } catch (e) {
        if (i >= 20) throw e;
        await sleep(100);
      }
    }
  }

  private async producer(): Promise<void> {
    let c = await this.connect("producer");
    let seq = 0;
    while (!this.stopping) {
      const n = 1 + (seq % 5);
      const values = Array.from({ length: n }, (_, i) => `v-${seq + i}`);
      const batch = await buildBatch({
        records: values.map((v) => ({ key: enc.encode(`k-${v}`), value: enc.encode(v) })),
      });
      try {
        const r = await this.timed(
          "producer",
          "Produce",
          () => produce(c, this.cfg.produceVersion, this.cfg.topic, 0, batch, CALL_TIMEOUT_MS),
        );
        if (r.errorCode !== 0) {
          this.problem("producer", `Produce answered error ${r.errorCode}`);
          for (const v of values) this.unknownFate.add(v);
        } else {
          const at = new Date().toISOString();
          values.forEach((value, i) => this.acked.push({ offset: r.baseOffset + i, value, at }));
        }
      } catch (e) {
        this.problem("producer", `Produce failed: ${(e as Error).message}`);
        for (const v of values) this.unknownFate.add(v);
        c.close();
        c = await this.connect("producer");
      }
      seq += n;
      await sleep(10);
    }
    c.close();
  }

  /** One fetch from nextOffset; returns the high watermark (or -1). */
  private async fetchOnce(c: Client): Promise<number> {
    const topic = { name: this.cfg.topic, id: this.cfg.topicId };
    const r = await this.timed(
      "consumer",
      "Fetch",
      () => fetchOne(c, this.cfg.fetchVersion, topic, this.nextOffset, 100, CALL_TIMEOUT_MS),
    );
    if (r.errorCode !== 0) {
      this.problem("consumer", `Fetch at ${this.nextOffset} answered error ${r.errorCode}`);
      return -1;
    }
    for (const rec of await decodeAll(r.records)) {
      if (rec.offset < this.nextOffset) continue; // the batch began before the fetch offset
      if (rec.offset !== this.nextOffset) {
        this.problems.push(`gap: expected offset ${this.nextOffset}, got ${rec.offset}`);
        this.gaps.push(this.nextOffset);
      }
      this.consumed.push(rec);
      this.nextOffset = rec.offset + 1;
    }
    return r.highWatermark;
  }

  /** After the run: fetches again where gaps were seen, to tell a record skipped by a read from one gone. */
  private async rereadGaps(): Promise<void> {
    if (this.gaps.length === 0) return;
    const c = await this.connect("consumer");
    try {
      for (const offset of this.gaps.slice(0, 5)) {
        const topic = { name: this.cfg.topic, id: this.cfg.topicId };
        const r = await fetchOne(c, this.cfg.fetchVersion, topic, offset, 0, CALL_TIMEOUT_MS);
        const first = (await decodeAll(r.records)).find((x) => x.offset >= offset);
        this.problems.push(
          `re-read at offset ${offset} after the run: ${
            first === undefined ? `nothing (error ${r.errorCode})` : `offset ${first.offset} = ${first.value}`
          }`,
        );
      }
    } catch (e) {
      this.problems.push(`re-read failed: ${(e as Error).message}`);
    } finally {
      c.close();
    }
  }

  private async consumer(untilOffset: () => number | null): Promise<void> {
    let c = await this.connect("consumer");
    while (true) {
      const until = untilOffset();
      if (until !== null && this.nextOffset >= until) break;
      try {
        await this.fetchOnce(c);
      } catch (e) {
        this.problem("consumer", `Fetch failed: ${(e as Error).message}`);
        c.close();
        c = await this.connect("consumer");
        await sleep(50);
      }
    }
    c.close();
  }

  private async pinger(): Promise<void> {
    let c = await this.connect("pinger");
    for (let i = 0; !this.stopping; i++) {
      try {
        if (i % 5 === 4) {
          const m = await this.timed(
            "pinger",
            "Metadata",
            () => metadata(c, this.cfg.metadataVersion, [this.cfg.topic], CALL_TIMEOUT_MS),
          );
          const t = m.topics[0];
          if (t === undefined || t.errorCode !== 0) {
            this.problem("pinger", `Metadata for the healthy topic: error ${t?.errorCode}`);
          }
        } else {
          const a = await this.timed(
            "pinger",
            "ApiVersions",
            () => apiVersions(c, this.cfg.apiVersionsVersion, CALL_TIMEOUT_MS),
          );
          if (a.errorCode !== 0) this.problem("pinger", `ApiVersions answered error ${a.errorCode}`);
        }
      } catch (e) {
        this.problem("pinger", `request failed: ${(e as Error).message}`);
        c.close();
        c = await this.connect("pinger");
      }
      await sleep(100);
    }
    c.close();
  }

  /** Consumed records versus acknowledged ones: the same records at the same offsets, nothing else. */
  private verify(): string[] {
    const out = [...this.problems];
    const ackedAt = new Map<number, string>();
    for (const a of this.acked) {
      if (ackedAt.has(a.offset)) out.push(`offset ${a.offset} acknowledged twice`);
      ackedAt.set(a.offset, a.value);
    }
    const seen = new Set<string>();
    let lastSeq = -1;
    for (const r of this.consumed) {
      if (seen.has(r.value)) out.push(`duplicate: ${r.value} again at offset ${r.offset}`);
      seen.add(r.value);
      const seq = Number(r.value.slice(2));
      if (!(seq > lastSeq)) out.push(`reorder: ${r.value} at offset ${r.offset} after v-${lastSeq}`);
      lastSeq = Math.max(lastSeq, seq);
      const want = ackedAt.get(r.offset);
      if (want === undefined) {
        if (!this.unknownFate.has(r.value)) {
          out.push(`unacknowledged record ${r.value} at offset ${r.offset}`);
        }
      } else if (want !== r.value) {
        out.push(`offset ${r.offset}: acknowledged ${want}, read ${r.value}`);
      }
    }
    for (const a of this.acked) {
      if (!seen.has(a.value)) out.push(`lost: ${a.value} (acknowledged at offset ${a.offset}, ${a.at})`);
    }

    return out.slice(0, 200);
  }

  async run(stopped: Promise<void>): Promise<HealthyResult> {
    const wd = this.watchdog();
    let drainUntil: number | null = null;
    const cons = this.consumer(() => drainUntil);
    const prod = this.producer();
    const ping = this.pinger();
    await stopped;
    this.stopping = true;
    await Promise.all([prod, ping]);
    // Drain: read up to the last acknowledged offset (bounded: a lost record would never come).
    drainUntil = this.acked.length > 0 ? this.acked[this.acked.length - 1].offset + 1 : 0;
    const deadline = sleep(15_000).then(() => {
      drainUntil = -1;
    });
    await Promise.race([cons, deadline]);
    drainUntil = -1;
    await cons;
    await this.rereadGaps();
    await wd;
    return {
      type: "result",
      latencies: this.latencies,
      acked: this.acked.length,
      consumed: this.consumed.length,
      sequenceProblems: this.verify(),
      maxTimerLagMs: this.maxLag,
    };
  }
}

/** The records of the whole batches in a Fetch answer (a partial batch at the end is left out), CRC-checked. */
async function decodeAll(buf: Uint8Array | null): Promise<{ offset: number; value: string }[]> {
  const out: { offset: number; value: string }[] = [];
  if (buf === null) return out;
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const size = 12 + new DataView(buf.buffer, buf.byteOffset + pos + 8, 4).getInt32(0);
    if (pos + size > buf.length) break;
    const { records } = await decodeBatchRecords(buf.subarray(pos, pos + size), { verifyCrc: true });
    for (const r of records) {
      out.push({ offset: r.offset, value: r.value === null ? "<null>" : dec.decode(r.value) });
    }
    pos += size;
  }
  return out;
}

let stop: (() => void) | null = null;
scope.onmessage = (e: MessageEvent<ToHealthy>) => {
  const m = e.data;
  if (m.type === "stop") {
    stop?.();
    return;
  }
  const stopped = new Promise<void>((r) => (stop = r));
  new Healthy(m).run(stopped).then(
    (res) => scope.postMessage(res),
    (err) => {
      scope.postMessage({ type: "problem", who: "consumer", message: `healthy clients crashed: ${err}` });
      scope.postMessage({
        type: "result",
        latencies: { producer: [], consumer: [], pinger: [] },
        acked: 0,
        consumed: 0,
        sequenceProblems: [`healthy clients crashed: ${err}`],
        maxTimerLagMs: 0,
      });
    },
  );
};
