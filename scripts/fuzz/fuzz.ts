// Protocol fuzz harness (issue 11, reliability under hostile input): `deno task fuzz [--seconds N] [--seed S]`.
//
// Starts the real gateway (small frame, request-memory, unread-response and idle limits, so that a limit that is
// not enforced shows within the RSS bound), then, over several connections in parallel, sends for every API
// version it advertises requests generated from the API's schema: first each one valid, then mutated copies
// (mutate.ts) and now and then valid ones; a connection the gateway closes is the right answer to garbage, the
// worker reconnects. Beside them: slow-loris connections, clients that never read their answers (floods),
// half-sent 8-15 MiB frames, and the frames of corpus/ (regressions) at the start. Healthy clients run in a
// worker thread (healthy.ts). The run fails when the gateway dies, a healthy request takes longer than the
// stall limit, the healthy consumer does not read back exactly what was acknowledged, the gateway's RSS passes
// a bound, its live memory (heap after a full GC, at 40 % and at the end) is left grown, a connection, request
// memory or queued response outlives the clients, or the gateway no longer answers ApiVersions, Metadata, /readyz
// and the ops API.
// Frames around a stall are replayed one by one afterwards to confirm the culprit; suspicious frames are saved
// as hex under --out, and --replay sends such files again.
import { startGateway, useBackend } from "../../tests/helpers/gateway.ts";
import { fetchBody, requestFrame } from "../../tests/helpers/wire.ts";
import type { RunningGateway } from "../../tests/helpers/gateway.ts";
import { startSeaweedFS } from "../../tests/helpers/seaweedfs.ts";
import type { SeaweedFS } from "../../tests/helpers/seaweedfs.ts";
import { buildRegistry } from "../../src/handlers/apis.ts";
import type { ApiSpec } from "../../src/protocol/schema.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";
import { FetchSpec } from "../../src/protocol/messages/fetch.ts";
import { ProduceSpec } from "../../src/protocol/messages/produce.ts";
import { ApiKey } from "../../src/protocol/api_keys.ts";
import { buildBatch } from "../../src/records/batch.ts";
import { Rng } from "./rng.ts";
import { buildBatchPool, buildLegacyPool, buildRequest, type Built, type Pools } from "./generate.ts";
import { concat } from "../../tests/helpers/bytes.ts";
import { mutate } from "./mutate.ts";
import { Client, FrameConn, frameToHex, hexToFrame, sizePrefixed, type WaitResult } from "./wire.ts";
import { apiVersions, createTopics, metadata, produce } from "./requests.ts";
import type { FromHealthy, HealthyResult, HealthyStart, StallEvent, ToHealthy } from "./healthy.ts";

// ---------------------------------------------------------------------------------------------------------------
// Options

interface Options {
  seconds: number;
  seed: number;
  connections: number;
  maxRssMib: number;
  maxHeapGrowthMib: number;
  stallMs: number;
  idleMs: number;
  out: string;
  corpus: string | null;
  replay: string | null;
  backend: "embedded" | "seaweedmq";
  triageSeconds: number;
  failOnGatewayErrors: boolean;
  /** Connection kinds the fuzz workers open (all by default). */
  modes: ReadonlySet<Mode>;
}

const MODES = ["normal", "slowloris", "flood", "bigpartial"] as const;
type Mode = typeof MODES[number];

const HELP = `deno task fuzz [options]
Exits 1 when a check fails; the last line is "fuzz: N passed, N failed" (N = checks).
  --seconds N                fuzzing time (default 60)
  --seed S                   PRNG seed (default: random; printed at start). It fixes the frames each connection
                             generates; the gateway's answers and timing decide how many of them are sent
  --connections N            parallel fuzz connections (default 4)
  --max-rss-mib N            fail when the gateway's RSS exceeds this (default 512; seaweedmq 768)
  --max-heap-growth-mib N    fail when the gateway's V8 heap after a full collection at the end, the fuzzer gone,
                             exceeds what it was at 40 % of the run, under fuzzing, by more than this (default 16)
  --stall-ms N               a healthy request slower than this is a stall (default 1000)
  --idle-ms N                the gateway's --connections-max-idle-ms (default 2000)
  --out DIR                  where suspicious frames (hex) and the gateway log go (default: a new temp dir)
  --corpus DIR|none          hex frames replayed first in every run (default scripts/fuzz/corpus)
  --replay PATH              send only the frames of this .hex file or directory (with the healthy clients and checks)
  --backend embedded|seaweedmq   seaweedmq starts a SeaweedFS through tests/helpers/seaweedfs.ts (needs weed)
  --triage-seconds N         time for replaying stall suspects one by one after the run (default 30)
  --fail-on-gateway-errors   count error-level gateway log lines (handler exceptions, failed reads) as a failed check
  --modes LIST               connection kinds, comma-separated (default all): normal (mutated frames),
                             slowloris, flood (answers never read), bigpartial (half-sent 8-15 MiB frames)`;

const VALUE_FLAGS = new Set([
  "seconds",
  "seed",
  "connections",
  "max-rss-mib",
  "max-heap-growth-mib",
  "stall-ms",
  "idle-ms",
  "out",
  "corpus",
  "replay",
  "backend",
  "triage-seconds",
  "modes",
]);

function parseOptions(argv: string[]): Options {
  const a: Record<string, string | undefined> = {};
  let failOnGatewayErrors = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      console.log(HELP);
      Deno.exit(0);
    }
    if (arg === "--fail-on-gateway-errors") {
      failOnGatewayErrors = true;
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (m === null || !VALUE_FLAGS.has(m[1])) {
      console.error(`fuzz: unknown argument ${arg}\n${HELP}`);
      Deno.exit(2);
    }
    const v = m[2] ?? argv[++i];
    if (v === undefined) {
      console.error(`fuzz: --${m[1]} needs a value`);
      Deno.exit(2);
    }
    a[m[1]] = v;
  }
  const num = (name: string, def: number): number => {
    const v = a[name];
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      console.error(`fuzz: --${name} must be a non-negative number, got ${v}`);
      Deno.exit(2);
    }
    return n;
  };
  const backend = a.backend ?? "embedded";
  if (backend !== "embedded" && backend !== "seaweedmq") {
    console.error(`fuzz: --backend must be embedded or seaweedmq`);
    Deno.exit(2);
  }
  const modes = new Set<Mode>();
  for (const m of (a.modes ?? MODES.join(",")).split(",")) {
    const mode = MODES.find((x) => x === m.trim());
    if (mode === undefined) {
      console.error(`fuzz: --modes takes ${MODES.join(", ")}; got ${m}`);
      Deno.exit(2);
    }
    modes.add(mode);
  }
  const defCorpus = new URL("./corpus/", import.meta.url).pathname;
  return {
    seconds: num("seconds", 60),
    seed: a.seed !== undefined ? num("seed", 0) >>> 0 : crypto.getRandomValues(new Uint32Array(1))[0],
    connections: Math.max(1, Math.floor(num("connections", 4))),
    maxRssMib: num("max-rss-mib", backend === "seaweedmq" ? 768 : 512),
    maxHeapGrowthMib: num("max-heap-growth-mib", 16),
    stallMs: num("stall-ms", 1000),
    idleMs: Math.max(100, num("idle-ms", 2000)),
    out: a.out ?? "",
    corpus: a.corpus === "none" ? null : (a.corpus ?? defCorpus),
    replay: a.replay ?? null,
    backend,
    triageSeconds: num("triage-seconds", 30),
    failOnGatewayErrors,
    modes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Bookkeeping

interface FrameRecord {
  readonly id: number;
  readonly worker: number;
  readonly api: string;
  readonly apiKey: number;
  readonly version: number;
  readonly mutation: string;
  readonly bytes: Uint8Array;
  /** The size prefix promises more bytes than were sent. */
  readonly partial: boolean;
  readonly sentAt: number;
  /** Local port of the connection (gateway logs name the peer by it). */
  readonly port: number;
  outcome: WaitResult | "pending";
  /** ms until the answer or close (also for answers that came after we moved on); null = never. */
  latencyMs: number | null;
}

interface ApiStats {
  sent: number;
  valid: number;
  answered: number;
  closed: number;
  noAnswer: number;
}

interface Incident {
  readonly event: StallEvent;
  readonly detectedAt: number;
  /** Frames sent around the stall; their outcomes keep updating until the run ends. */
  readonly window: FrameRecord[];
}

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9.-]+/g, "_");
const MiB = 1024 * 1024;
/**
 * The gateway runs with a 16 MiB frame limit and a 32 MiB request memory budget (instead of 100 and 256 MiB), so
 * that big half-sent frames exhaust the budget within the RSS bound if it is not enforced.
 */
const MAX_REQUEST_BYTES = 16 * MiB;
const QUEUED_REQUEST_BYTES = 32 * MiB;
/** And 4 MiB of unread responses per connection (instead of 16 MiB), for the same reason with the floods. */
const QUEUED_RESPONSE_BYTES = 4 * MiB;
const FRAME_KEEP_MS = 15_000;
const ANSWER_WAIT_MS = 400;
/** Connections left waiting for a late answer (to time it) at most. */
const MAX_LINGERING = 48;

class Harness {
  readonly apiStats = new Map<string, ApiStats>();
  private recent: FrameRecord[] = [];
  private nextFrameId = 1;
  private correlation = 1000;
  readonly incidents: Incident[] = [];
  stallCount = 0;
  /** Answers that break the framing or the correlation of requests and responses. */
  violations = 0;
  readonly violationSamples: string[] = [];
  readonly healthyProblems: string[] = [];
  stopping = false;
  gatewayDead: string | null = null;
  /** Connections the gateway closed (counted once per connection). */
  closedByGateway = 0;
  connections = 0;
  connectFailures = 0;
  lingering = 0;
  slowlorisClosedByGateway = 0;
  slowlorisTotal = 0;
  slowlorisActive = 0;
  bigPartialActive = 0;
  bigPartialTotal = 0;
  bigPartialClosedByGateway = 0;
  stopAt = Infinity;
  private readonly tasks = new Set<Promise<void>>();
  floods = 0;
  rssSamples: { t: number; kib: number }[] = [];
  peakRssKib = 0;
  rssExceededAt: number | null = null;
  readonly rssJumps: string[] = [];
  readonly gatewayErrors: { line: string; frames: FrameRecord[] }[] = [];
  private logScanned = 0;
  readonly savedFiles: string[] = [];
  /** "key:version" of the API versions sent valid, and mutated. */
  readonly covered = new Set<string>();
  readonly mutated = new Set<string>();

  constructor(
    readonly opts: Options,
    readonly gw: RunningGateway,
    readonly targets: readonly { spec: ApiSpec; version: number }[],
    readonly pools: Pools,
  ) {}

  /** Runs a task beside the fuzz workers; awaited at the end. */
  background(p: Promise<void>): void {
    this.tasks.add(p);
    p.finally(() => this.tasks.delete(p));
  }

  async backgroundDone(): Promise<void> {
    await Promise.all([...this.tasks]);
  }

  stats(api: string): ApiStats {
    let s = this.apiStats.get(api);
    if (s === undefined) {
      s = { sent: 0, valid: 0, answered: 0, closed: 0, noAnswer: 0 };
      this.apiStats.set(api, s);
    }
    return s;
  }

  nextCorrelation(): number {
    this.correlation = (this.correlation + 1) & 0x7fffffff;
    return this.correlation;
  }

  record(r: Omit<FrameRecord, "id" | "outcome" | "latencyMs">): FrameRecord {
    const rec: FrameRecord = { ...r, id: this.nextFrameId++, outcome: "pending", latencyMs: null };
    this.recent.push(rec);
    const s = this.stats(r.api);
    s.sent++;
    if (r.mutation === "valid") {
      s.valid++;
      this.covered.add(`${r.apiKey}:${r.version}`);
    } else if (r.worker >= 0) this.mutated.add(`${r.apiKey}:${r.version}`);
    return rec;
  }

  settle(rec: FrameRecord, outcome: WaitResult): void {
    if (rec.outcome !== "pending" && rec.outcome !== "timeout") return;
    const first = rec.outcome === "pending";
    rec.outcome = outcome;
    if (outcome !== "timeout") rec.latencyMs = Date.now() - rec.sentAt;
    const s = this.stats(rec.api);
    if (outcome === "frame") s.answered++;
    else if (outcome === "closed") s.closed++;
    else if (first) s.noAnswer++;
    if (!first && outcome !== "timeout") s.noAnswer--;
  }

  prune(): void {
    const cut = Date.now() - FRAME_KEEP_MS;
    if (this.recent.length > 0 && this.recent[0].sentAt < cut) {
      this.recent = this.recent.filter((f) => f.sentAt >= cut);
    }
  }

  /** A response must carry the correlation id of the request it answers (whatever bytes that id was sent as). */
  checkCorrelation(rec: FrameRecord, got: number | undefined): void {
    if (rec.bytes.length < 12) return;
    const sent = new DataView(rec.bytes.buffer, rec.bytes.byteOffset).getInt32(8);
    if (got !== sent) this.noteViolation(rec, `answered with correlation id ${got}, the request had ${sent}`);
  }

  noteViolation(rec: FrameRecord, what: string): void {
    this.violations++;
    if (this.violationSamples.length < 10) {
      this.violationSamples.push(`${rec.api} v${rec.version} [${rec.mutation}]: ${what}`);
      this.saveFrames("protocol-violation", [rec]);
    }
  }

  framesBetween(from: number, to: number): FrameRecord[] {
    return this.recent.filter((f) => f.sentAt >= from && f.sentAt <= to);
  }

  onStall(e: StallEvent): void {
    this.stallCount++;
    const now = Date.now();
    console.log(`fuzz: STALL: healthy ${e.who} ${e.api} sent ${now - e.sentAt} ms ago has no answer yet`);
    // Requests stalled by the same freeze are one incident.
    const last = this.incidents.at(-1);
    if (last !== undefined && e.sentAt <= last.detectedAt) return;
    // The culprit was sent before the stalled request was handled: keep the frames of the seconds before it.
    if (this.incidents.length < 5) {
      this.incidents.push({ event: e, detectedAt: now, window: this.framesBetween(e.sentAt - 3000, now) });
    }
  }

  /**
   * Error-level gateway log lines (an exception in a handler, a failed read): each is kept with the frames sent
   * in the two seconds before it, narrowed to the API the line names, for a post-mortem.
   */
  scanLogs(): void {
    const log = this.gw.logs();
    const fresh = log.slice(this.logScanned);
    const nl = fresh.lastIndexOf("\n");
    if (nl < 0) return;
    this.logScanned += nl + 1;
    for (const line of fresh.slice(0, nl).split("\n")) {
      if (!/\[(ERR|FTL)\]|"level":\s*"(ERROR|FATAL)"/.test(line)) continue;
      const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+) ([+-]\d\d:\d\d)/.exec(line);
      const at = m !== null ? Date.parse(`${m[1]}T${m[2]}${m[3]}`) : Date.now();
      let frames = this.framesBetween(at - 2000, at + 50);
      const api = this.targets.find((t) => line.includes(`${t.spec.name} v`))?.spec.name;
      if (api !== undefined) frames = frames.filter((f) => f.api === api);
      if (this.gatewayErrors.length < 200) {
        this.gatewayErrors.push({ line: line.slice(0, 400), frames: frames.slice(-8) });
      }
    }
  }

  private sampling = false;

  /**
   * VmRSS and liveness from /proc/<pid>/status. Read through `cat`: Deno grants /proc/<pid>/ reads only with
   * --allow-all, and the task keeps its permissions scoped (--allow-run is needed for the gateway anyway).
   */
  async sampleRss(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    let status: string;
    try {
      const out = await new Deno.Command("cat", { args: [`/proc/${this.gw.pid}/status`], stderr: "null" })
        .output();
      status = out.success ? new TextDecoder().decode(out.stdout) : "";
    } finally {
      this.sampling = false;
    }
    if (status === "") {
      this.gatewayDead ??= "the gateway process is gone";
      return;
    }
    if (/^State:\s+Z/m.test(status)) {
      this.gatewayDead ??= "the gateway process is a zombie (exited)";
      return;
    }
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (m === null) return;
    const kib = Number(m[1]);
    const prev = this.rssSamples.at(-1);
    this.rssSamples.push({ t: Date.now(), kib });
    // A jump of 64 MiB within one sample: keep what was sent just before, to find what costs that much.
    if (prev !== undefined && kib - prev.kib >= 64 * 1024 && this.rssJumps.length < 5) {
      const frames = this.framesBetween(prev.t - 1000, Date.now()).filter((f) =>
        !f.mutation.startsWith("flood")
      );
      this.rssJumps.push(`+${((kib - prev.kib) / 1024).toFixed(0)} MiB to ${(kib / 1024).toFixed(0)} MiB`);
      this.saveFrames(`rss-jump-${this.rssJumps.length}`, frames.slice(-30));
    }
    if (kib > this.peakRssKib) this.peakRssKib = kib;
    if (kib > this.opts.maxRssMib * 1024 && this.rssExceededAt === null) {
      this.rssExceededAt = Date.now();
      console.log(`fuzz: RSS ${(kib / 1024).toFixed(0)} MiB exceeds --max-rss-mib ${this.opts.maxRssMib}`);
      this.saveFrames("rss", this.framesBetween(Date.now() - 5000, Date.now()).slice(-40));
    }
  }

  async saveFrame(name: string, f: FrameRecord, extra: readonly string[] = []): Promise<string> {
    const file = `${this.opts.out}/${name}`;
    const comments = [
      `${f.api} v${f.version} (key ${f.apiKey}), mutation ${f.mutation}`,
      `fuzz worker ${f.worker}, frame ${f.id}, outcome ${f.outcome}${
        f.latencyMs !== null ? ` after ${f.latencyMs} ms` : ""
      }`,
      ...extra,
    ];
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, frameToHex(f.bytes, comments));
    this.savedFiles.push(file);
    return file;
  }

  private readonly pendingSaves: Promise<unknown>[] = [];

  saveFrames(dir: string, frames: readonly FrameRecord[]): void {
    for (const f of frames) {
      const name = `${dir}/${String(f.id).padStart(7, "0")}-${fileSafe(f.api)}-v${f.version}.hex`;
      this.pendingSaves.push(this.saveFrame(name, f).catch(() => {}));
    }
  }

  async savesDone(): Promise<void> {
    await Promise.all(this.pendingSaves);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fuzz connections

function splitSend(conn: FrameConn, bytes: Uint8Array, rng: Rng): Promise<boolean> {
  return (async () => {
    let pos = 0;
    while (pos < bytes.length) {
      const n = rng.int(1, 16);
      if (!await conn.send(bytes.subarray(pos, pos + n))) return false;
      pos += n;
      if (rng.chance(0.3)) await sleep(1);
    }
    return true;
  })();
}

/** Leaves a connection open until its answer (or close) arrives, to time it, then closes it. */
function linger(h: Harness, conn: FrameConn, seen: number, recs: readonly FrameRecord[]): void {
  if (h.lingering >= MAX_LINGERING || h.stopping) {
    conn.close();
    return;
  }
  h.lingering++;
  conn.wait(seen, 35_000).then((r) => {
    if (r === "frame" || (r === "closed" && conn.closedByPeer)) { for (const rec of recs) h.settle(rec, r); }
    if (conn.closedByPeer) h.closedByGateway++;
    h.lingering--;
    conn.close();
  });
}

/** A valid Fetch of fuzz-a's first MiB, for the unread-response flood. */
function floodFrame(h: Harness, rng: Rng): Uint8Array {
  const version = rng.int(4, 12);
  const body = fetchBody(h.pools.topics[0], 0, 0, { maxBytes: MiB });
  return requestFrame(FetchSpec, version, h.nextCorrelation(), body, "fuzz-flood");
}

async function fuzzWorker(
  h: Harness,
  id: number,
  rng: Rng,
  sweep: readonly { spec: ApiSpec; version: number }[],
) {
  let sweepAt = 0;
  while (!h.stopping && h.gatewayDead === null) {
    const weights: readonly (readonly [number, Mode])[] = [
      [90, "normal"],
      [5, "slowloris"],
      [4, "flood"],
      [3, "bigpartial"],
    ];
    const mode = rng.weighted(weights.filter(([, m]) => h.opts.modes.has(m)));
    // Slow-loris, flood and big-partial connections run beside the worker (they mostly wait), a few at a time.
    if (mode !== "normal") {
      // Drawn whether or not it runs, so the worker's own sequence does not depend on timing.
      const child = rng.fork(MODES.indexOf(mode));
      const busy = mode === "slowloris"
        ? h.slowlorisActive >= 4
        : mode === "flood"
        ? h.floods >= 6
        : h.bigPartialActive >= 12;
      if (busy) {
        if (!h.opts.modes.has("normal")) await sleep(50);
        continue;
      }
      let side: FrameConn;
      try {
        // A flooding client reads nothing at all: its answers pile up on the gateway's side.
        side = await FrameConn.open(h.gw.port, false, mode !== "flood");
        h.connections++;
      } catch {
        h.connectFailures++;
        await sleep(50);
        continue;
      }
      if (mode === "slowloris") h.background(slowloris(h, side, child));
      else if (mode === "flood") h.background(flood(h, side, child, id));
      else h.background(bigPartial(h, side, child, id));
      continue;
    }
    let conn: FrameConn;
    try {
      conn = await FrameConn.open(h.gw.port, false);
      h.connections++;
    } catch {
      h.connectFailures++;
      await sleep(50);
      continue;
    }
    const frames = rng.int(1, 20);
    for (let i = 0; i < frames && !h.stopping && !conn.closed; i++) {
      // First every API version once with a valid request (coverage), then random targets.
      const sweepTarget = sweepAt < sweep.length ? sweep[sweepAt++] : null;
      const t = sweepTarget ?? rng.pick(h.targets);
      const built: Built = buildRequest(
        t.spec,
        t.version,
        rng,
        h.pools,
        h.nextCorrelation(),
        sweepTarget === null,
      );
      const pipeline = sweepTarget === null && rng.chance(0.08) ? rng.int(2, 4) : 1;
      const recs: FrameRecord[] = [];
      const parts: Uint8Array[] = [];
      let partial = false;
      for (let k = 0; k < pipeline; k++) {
        const b = k === 0 ? built : buildRequest(t.spec, t.version, rng, h.pools, h.nextCorrelation(), false);
        const m = sweepTarget !== null
          ? { bytes: sizePrefixed(b.payload), mutation: "valid", partial: false }
          : mutate(b, rng, MAX_REQUEST_BYTES);
        parts.push(m.bytes);
        partial ||= m.partial;
        recs.push(h.record({
          worker: id,
          api: t.spec.name,
          apiKey: t.spec.key,
          version: t.version,
          mutation: pipeline > 1 ? `pipelined ${k + 1}/${pipeline}: ${m.mutation}` : m.mutation,
          bytes: m.bytes,
          partial: m.partial,
          sentAt: Date.now(),
          port: conn.localPort,
        }));
        if (m.partial) break; // nothing after a frame the gateway is still waiting for
      }
      const bytes = parts.length === 1 ? parts[0] : concat(parts);
      const seen = conn.framesReceived;
      const split = bytes.length < 4096 && rng.chance(0.05);
      const ok = split ? await splitSend(conn, bytes, rng) : await conn.send(bytes);
      if (!ok) {
        for (const r of recs) h.settle(r, "closed");
        break;
      }
      const res = await conn.wait(seen + recs.length - 1, partial ? 300 : ANSWER_WAIT_MS);
      // Pipelined frames: the first ones may have been answered before a later one closed the connection.
      const answered = conn.framesReceived - seen;
      if (recs.length === 1 && answered >= 1) h.checkCorrelation(recs[0], conn.correlationIds[seen]);
      if (conn.protocolViolation !== null) h.noteViolation(recs[0], conn.protocolViolation);
      recs.forEach((r, k) => h.settle(r, k < answered ? "frame" : res));
      if (res === "timeout") {
        linger(h, conn, conn.framesReceived, recs.slice(answered));
        break;
      }
    }
    if (conn.closedByPeer) h.closedByGateway++;
    if (!conn.closed) conn.close();
    h.prune();
  }
}

/** A frame that never completes: the gateway should drop the connection after --connections-max-idle-ms. */
async function slowloris(h: Harness, conn: FrameConn, rng: Rng): Promise<void> {
  h.slowlorisActive++;
  const head = new Uint8Array([0, 0, 0x10, 0, 0, ApiKey.Metadata, 0, rng.int(0, 12)]);
  await conn.send(head);
  const limit = h.opts.idleMs * 2 + 1000;
  const res = await conn.wait(conn.framesReceived, Math.max(1, Math.min(limit, h.stopAt - Date.now())));
  // Cut short by the end of the run: no verdict.
  if (res === "closed" || Date.now() - conn.openedAt >= limit) {
    h.slowlorisTotal++;
    if (res === "closed" && conn.closedByPeer) h.slowlorisClosedByGateway++;
  }
  conn.close();
  h.slowlorisActive--;
}

let garbage: Uint8Array | null = null;

/**
 * A frame declared 8-15 MiB of which all but a few bytes are sent, then nothing: the gateway must not keep
 * memory for such frames beyond its request budget, and drops the connection at the idle timeout.
 */
async function bigPartial(h: Harness, conn: FrameConn, rng: Rng, worker: number): Promise<void> {
  h.bigPartialActive++;
  try {
    garbage ??= new Rng(7).bytes(MAX_REQUEST_BYTES);
    const size = rng.int(8 * MiB, MAX_REQUEST_BYTES - 1);
    const head = new Uint8Array(8);
    new DataView(head.buffer).setInt32(0, size);
    head.set([0, ApiKey.Produce, 0, 9], 4);
    const sent = size - rng.int(1, 4096);
    const bytes = concat([head, garbage.subarray(0, sent - 4)]);
    h.record({
      worker,
      api: "Produce (big partial)",
      apiKey: ApiKey.Produce,
      version: 9,
      mutation: `declared ${size} bytes, sent ${sent}`,
      bytes: head,
      partial: true,
      sentAt: Date.now(),
      port: conn.localPort,
    });
    const limit = h.opts.idleMs * 2 + 1000;
    const hold = Math.max(1, Math.min(limit, h.stopAt - Date.now()));
    // When the budget is spent the gateway stops reading: our write then waits, which is the point.
    conn.send(bytes).catch(() => {});
    const res = await conn.wait(conn.framesReceived, hold);
    if (res === "closed" || Date.now() - conn.openedAt >= limit) {
      h.bigPartialTotal++;
      if (res === "closed" && conn.closedByPeer) h.bigPartialClosedByGateway++;
    }
  } finally {
    conn.close();
    h.bigPartialActive--;
  }
}

/** Pipelines valid 1 MiB fetches without reading a byte of the answers, then gives up on the connection. */
async function flood(h: Harness, conn: FrameConn, rng: Rng, worker: number): Promise<void> {
  h.floods++;
  try {
    const deadline = Date.now() + 3000;
    for (let i = 0; i < 200 && Date.now() < deadline && !h.stopping; i++) {
      const bytes = floodFrame(h, rng);
      const rec = h.record({
        worker,
        api: "Fetch (flood)",
        apiKey: ApiKey.Fetch,
        version: new DataView(bytes.buffer).getInt16(6),
        mutation: "flood (unread 1 MiB fetches)",
        bytes,
        partial: false,
        sentAt: Date.now(),
        port: conn.localPort,
      });
      const sent = await Promise.race([
        conn.send(bytes),
        sleep(Math.max(1, deadline - Date.now())).then(() => null),
      ]);
      if (sent === null) break; // the gateway stopped reading: our side's buffer is full
      if (!sent) {
        h.settle(rec, "closed");
        break;
      }
    }
    await sleep(Math.max(0, deadline - Date.now()));
  } finally {
    conn.close();
    h.floods--;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Corpus / replay

async function loadFrames(path: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch {
    return [];
  }
  const files: string[] = [];
  if (stat.isDirectory) {
    for await (const e of Deno.readDir(path)) {
      if (e.isFile && e.name.endsWith(".hex")) files.push(`${path}/${e.name}`);
    }
    files.sort();
  } else files.push(path);
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const f of files) {
    out.push({ name: f.slice(f.lastIndexOf("/") + 1), bytes: hexToFrame(await Deno.readTextFile(f)) });
  }
  return out;
}

/** Sends each frame on a fresh connection, one after another, timing its answer. */
async function replayFrames(
  h: Harness,
  frames: readonly { name: string; bytes: Uint8Array }[],
  gapMs: number,
) {
  for (const f of frames) {
    if (h.stopping || h.gatewayDead !== null) return;
    const bytes = f.bytes;
    const apiKey = bytes.length >= 6 ? new DataView(bytes.buffer).getInt16(4) : -1;
    const version = bytes.length >= 8 ? new DataView(bytes.buffer).getInt16(6) : -1;
    let conn: FrameConn;
    try {
      conn = await FrameConn.open(h.gw.port, false);
    } catch {
      continue;
    }
    const rec = h.record({
      worker: -1,
      api: h.targets.find((t) => t.spec.key === apiKey)?.spec.name ?? `key${apiKey}`,
      apiKey,
      version,
      mutation: `corpus ${f.name}`,
      bytes,
      partial: false,
      sentAt: Date.now(),
      port: conn.localPort,
    });
    console.log(`fuzz: replaying ${f.name} (${bytes.length} bytes)`);
    await conn.send(bytes);
    const res = await conn.wait(0, gapMs);
    h.settle(rec, res);
    if (res === "timeout") linger(h, conn, 0, [rec]);
    else conn.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Triage: replay stall suspects alone and see which one freezes a ping

async function pingLatency(port: number, timeoutMs: number): Promise<number | null> {
  let c: Client | null = null;
  try {
    c = await Client.open(port, "fuzz-triage");
    const t0 = performance.now();
    await apiVersions(c, 3, timeoutMs);
    return performance.now() - t0;
  } catch {
    return null;
  } finally {
    c?.close();
  }
}

/**
 * Sends `f` on a fresh connection while a second one pings back to back for a while (long enough to cover the
 * frame's own answer time); returns the slowest ping (a ping without answer counts as the limit), or null when
 * the gateway could not be reached.
 */
async function replayAndPing(h: Harness, f: FrameRecord): Promise<number | null> {
  const limit = h.opts.stallMs + 500;
  let ping: Client;
  let conn: FrameConn;
  try {
    ping = await Client.open(h.gw.port, "fuzz-triage");
    conn = await FrameConn.open(h.gw.port, false);
  } catch {
    return null;
  }
  let worst = 0;
  try {
    await conn.send(f.bytes);
    const until = Date.now() + Math.min(8000, Math.max(2000, (f.latencyMs ?? 0) + 500));
    while (Date.now() < until) {
      const t0 = performance.now();
      try {
        await apiVersions(ping, 3, limit);
      } catch {
        worst = limit;
        break;
      }
      worst = Math.max(worst, performance.now() - t0);
      await sleep(20);
    }
  } finally {
    ping.close();
    conn.close();
  }
  return worst;
}

async function waitResponsive(port: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    const l = await pingLatency(port, 1000);
    if (l !== null && l < 200) return true;
  }
  return false;
}

async function triage(h: Harness): Promise<string[]> {
  const confirmed: string[] = [];
  if (h.incidents.length === 0 || h.gatewayDead !== null) return confirmed;
  const deadline = Date.now() + h.opts.triageSeconds * 1000;
  const tried = new Set<number>();
  for (const [n, inc] of h.incidents.entries()) {
    // Suspects: frames answered slowly or never (the culprit's own answer waits for its busy loop to end).
    // Frames that were never meant to be answered (floods that read nothing, frames whose prefix promises more
    // bytes) are the least likely; an answer slower than the stall limit is the most likely.
    const rank = (f: FrameRecord) =>
      f.latencyMs !== null ? f.latencyMs : f.mutation.startsWith("flood") || f.partial ? -1 : 400;
    const suspects = inc.window
      .filter((f) => rank(f) > 300)
      .sort((a, b) => rank(b) - rank(a))
      .filter((f) => !tried.has(f.id))
      .slice(0, 12);
    h.saveFrames(`stall-${n + 1}-suspects`, suspects);
    for (const f of suspects) {
      if (Date.now() > deadline) {
        console.log("fuzz: triage time is up (--triage-seconds)");
        return confirmed;
      }
      tried.add(f.id);
      if (!await waitResponsive(h.gw.port, Date.now() + 35_000)) break;
      const worst = await replayAndPing(h, f);
      if (worst === null) continue;
      if (worst > h.opts.stallMs) {
        const file = await h.saveFrame(
          `stall-confirmed-${confirmed.length + 1}-${fileSafe(f.api)}-v${f.version}.hex`,
          f,
          [`replayed alone, it delayed an ApiVersions ping by ${worst.toFixed(0)} ms`],
        );
        confirmed.push(`${f.api} v${f.version} [${f.mutation}] -> ${file}`);
        console.log(`fuzz: triage: CONFIRMED stall culprit ${f.api} v${f.version} (${f.mutation})`);
      }
    }
  }
  await waitResponsive(h.gw.port, Date.now() + 35_000);
  return confirmed;
}

// ---------------------------------------------------------------------------------------------------------------
// Setup and checks

const HEALTHY_TOPIC = "healthy-check";
const FUZZ_TOPICS = ["fuzz-a", "fuzz-b"];

async function setup(
  gw: RunningGateway,
  rng: Rng,
  backend: Options["backend"],
): Promise<{ pools: Pools; healthyTopicId: string; advertised: Map<number, [number, number]> }> {
  const c = await Client.open(gw.port, "fuzz-setup");
  try {
    const av = await apiVersions(c, 3, 10_000);
    const advertised = new Map<number, [number, number]>();
    for (const k of av.apiKeys) advertised.set(k.apiKey, [k.minVersion, k.maxVersion]);
    // The healthy topic pins every config a broker-level AlterConfigs from the fuzzer could change under it.
    await createTopics(c, [
      { name: FUZZ_TOPICS[0], partitions: 2, configs: {} },
      { name: FUZZ_TOPICS[1], partitions: 1, configs: {} },
      {
        name: HEALTHY_TOPIC,
        partitions: 1,
        configs: {
          "retention.ms": "-1",
          "retention.bytes": "-1",
          "max.message.bytes": "1048588",
          "message.timestamp.type": "CreateTime",
          // Read-only on SeaweedMQ (and fixed to what is wanted here).
          ...(backend === "embedded" ? { "cleanup.policy": "delete", "segment.bytes": "1073741824" } : {}),
        },
      },
    ]);
    const md = await metadata(c, 12, [...FUZZ_TOPICS, HEALTHY_TOPIC], 10_000);
    const idOf = (n: string): string => {
      const t = md.topics.find((x) => x.name === n);
      // topicId is a v10+ field: typed optional where message types follow the version ranges.
      if (t === undefined || t.errorCode !== 0 || t.topicId === undefined) {
        throw new Error(`setup: topic ${n} not in Metadata`);
      }
      return t.topicId;
    };

    // fuzz-a gets about 1 MiB so fetches return real batches (and the unread-response flood has weight).
    for (let i = 0; i < 16; i++) {
      const batch = await buildBatch({ records: [{ key: null, value: rng.bytes(64 * 1024) }] });
      const r = await produce(c, 9, FUZZ_TOPICS[0], 0, batch, 10_000);
      if (r.errorCode !== 0) throw new Error(`setup: produce to ${FUZZ_TOPICS[0]}: error ${r.errorCode}`);
    }
    const pools: Pools = {
      topics: FUZZ_TOPICS,
      topicIds: FUZZ_TOPICS.map(idOf),
      newTopics: ["fuzz-new-0", "fuzz-new-1", "fuzz-new-2", "fuzz-new-3"],
      groups: ["fuzz-g1", "fuzz-g2"],
      batches: await buildBatchPool(rng),
      legacy: buildLegacyPool(rng),
    };
    return { pools, healthyTopicId: idOf(HEALTHY_TOPIC), advertised };
  } finally {
    c.close();
  }
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function finalChecks(h: Harness): Promise<Check[]> {
  const checks: Check[] = [];
  const port = h.gw.port;
  const call = async (name: string, fn: (c: Client) => Promise<string | null>) => {
    let c: Client | null = null;
    try {
      c = await Client.open(port, "fuzz-final");
      const problem = await fn(c);
      checks.push({ name, ok: problem === null, detail: problem ?? "answered" });
    } catch (e) {
      checks.push({ name, ok: false, detail: (e as Error).message });
    } finally {
      c?.close();
    }
  };
  await call("gateway answers ApiVersions after fuzzing", async (c) => {
    const r = await apiVersions(c, 3, 5000);
    return r.errorCode === 0 ? null : `error ${r.errorCode}`;
  });
  await call("gateway answers Metadata after fuzzing", async (c) => {
    const r = await metadata(c, 12, [HEALTHY_TOPIC], 5000);
    return r.topics[0]?.errorCode === 0 ? null : `error ${r.topics[0]?.errorCode}`;
  });
  const http = h.gw.httpPort;
  const get = async (path: string, wantJson: boolean): Promise<string | null> => {
    if (http === null) return "no ops HTTP port";
    try {
      const r = await fetch(`http://127.0.0.1:${http}${path}`, { signal: AbortSignal.timeout(5000) });
      const text = await r.text();
      if (r.status !== 200) return `${path}: HTTP ${r.status} ${text.slice(0, 200)}`;
      if (wantJson) JSON.parse(text);
      return null;
    } catch (e) {
      return `${path}: ${(e as Error).message}`;
    }
  };
  const ready = await get("/readyz", true);
  checks.push({ name: "/readyz answers 200 after fuzzing", ok: ready === null, detail: ready ?? "ready" });
  const opsProblems: string[] = [];
  for (
    const p of ["/metrics", "/api/v1/overview", "/api/v1/topics", "/api/v1/groups", "/api/v1/connections"]
  ) {
    const e = await get(p, p.startsWith("/api"));
    if (e !== null) opsProblems.push(e);
  }
  checks.push({
    name: "ops endpoints (/metrics, /api/v1/*) answer after fuzzing",
    ok: opsProblems.length === 0,
    detail: opsProblems.join("; ") || "all 200",
  });
  return checks;
}

/** GET /api/v1/memory (src/ops/state.ts memoryInfo): the gateway runs with --expose-gc, so it collects first. */
interface MemoryInfo {
  gc: boolean;
  rss: number;
  heapUsed: number;
  external: number;
  connections: number;
  requestMemoryBytes: number;
  pendingResponseBytes: number;
}

async function memoryOf(h: Harness): Promise<MemoryInfo | string> {
  try {
    const r = await fetch(`http://127.0.0.1:${h.gw.httpPort}/api/v1/memory`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!r.ok) return `HTTP ${r.status}: ${(await r.text()).slice(0, 200)}`;
    return await r.json() as MemoryInfo;
  } catch (e) {
    return String(e);
  }
}

const mib = (b: number) => (b / MiB).toFixed(1);

/**
 * A leak is memory still held once the clients that caused it are gone. RSS cannot tell that apart from heap
 * warm-up and the allocator keeping freed pages (an RSS-floor heuristic failed on correct code), so the check
 * compares live data: the V8 heap after a full collection at 40 % of the run (warm-up done, fuzzing in full
 * swing: in-flight requests only make this baseline larger) and at the end, once every fuzz and healthy
 * connection has closed; growth beyond the limit is what the fuzzer left behind (a clean 60 s run: under 1 MiB;
 * ~0.5 KiB kept per request: +26 MiB). External buffers are not compared: at 40 % they are mostly answers in
 * flight, and V8 frees unreachable ones after the collection returns (2.5-49 MiB at the end of runs here). The
 * absolute RSS bound stays a separate check: it catches a cap that is not enforced while the connections are
 * open (the unread-response cap removed: RSS 578 MiB, and healthy requests stall).
 */
function heapGrowthCheck(h: Harness, mid: MemoryInfo | string | null, end: MemoryInfo | string): Check {
  const limit = h.opts.maxHeapGrowthMib;
  const name =
    `gateway heap after GC not left grown by the fuzzer (<= +${limit} MiB from 40 % of the run to its end)`;
  if (typeof end === "string") return { name, ok: false, detail: `GET /api/v1/memory failed: ${end}` };
  if (mid === null) return { name, ok: true, detail: "run too short for a mid-run measurement" };
  if (typeof mid === "string") return { name, ok: false, detail: `GET /api/v1/memory failed: ${mid}` };
  if (!mid.gc || !end.gc) return { name, ok: false, detail: "the gateway did not collect (no --expose-gc)" };
  const growth = end.heapUsed - mid.heapUsed;
  const sign = growth >= 0 ? "+" : "";
  return {
    name,
    ok: growth <= limit * MiB,
    detail:
      `${mib(mid.heapUsed)} MiB at 40 %, ${mib(end.heapUsed)} MiB at the end (${sign}${mib(growth)} MiB); ` +
      `external ${mib(mid.external)} / ${mib(end.external)} MiB`,
  };
}

/** Once every client has gone, nothing may stay charged or queued, and no connection may stay open. */
function liveCountsCheck(end: MemoryInfo | string, open: string): Check {
  const name = "after every client closed: 0 connections, 0 request memory charged, 0 response bytes queued";
  if (typeof end === "string") return { name, ok: false, detail: `GET /api/v1/memory failed: ${end}` };
  return {
    name,
    ok: end.connections === 0 && end.requestMemoryBytes === 0 && end.pendingResponseBytes === 0,
    detail: `${end.connections} connections, ${end.requestMemoryBytes} request bytes charged, ` +
      `${end.pendingResponseBytes} response bytes queued${open ? `; still open: ${open}` : ""}`,
  };
}

/** The gateway's view of the connections still open (GET /api/v1/connections), for a failed live-count check. */
async function openConnections(h: Harness, end: MemoryInfo | string): Promise<string> {
  if (typeof end === "string" || end.connections === 0) return "";
  try {
    const r = await fetch(`http://127.0.0.1:${h.gw.httpPort}/api/v1/connections`, {
      signal: AbortSignal.timeout(10_000),
    });
    return (await r.text()).slice(0, 2000);
  } catch (e) {
    return `GET /api/v1/connections failed: ${e}`;
  }
}

/** Waits (up to `ms`) until the gateway holds no connection, charge or queued response. */
async function settledMemory(h: Harness, ms: number): Promise<MemoryInfo | string> {
  const until = Date.now() + ms;
  let m = await memoryOf(h);
  while (
    Date.now() < until &&
    (typeof m === "string" || m.connections > 0 || m.requestMemoryBytes > 0 || m.pendingResponseBytes > 0)
  ) {
    await sleep(250);
    m = await memoryOf(h);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const opts = parseOptions(Deno.args);
  if (opts.out === "") opts.out = await Deno.makeTempDir({ prefix: "kgw-fuzz-" });
  await Deno.mkdir(opts.out, { recursive: true });
  console.log(
    `fuzz: seed ${opts.seed} (repeat with --seed ${opts.seed}), ${opts.seconds} s, ${opts.connections} connections`,
  );
  console.log(`fuzz: frames and the gateway log go to ${opts.out}`);
  const rng = new Rng(opts.seed);

  let swfs: SeaweedFS | null = null;
  let gw: RunningGateway;
  try {
    if (opts.backend === "seaweedmq") {
      swfs = await startSeaweedFS();
      useBackend("seaweedmq", swfs.gatewayArgs);
    }
    gw = await startGateway({
      // GET /api/v1/memory collects garbage before it measures (the leak check)
      v8Flags: ["--expose-gc"],
      args: [
        "--connections-max-idle-ms",
        String(opts.idleMs),
        "--max-request-bytes",
        String(MAX_REQUEST_BYTES),
        "--queued-max-request-bytes",
        String(QUEUED_REQUEST_BYTES),
        "--max-queued-response-bytes",
        String(QUEUED_RESPONSE_BYTES),
      ],
    });
  } catch (e) {
    await swfs?.stop();
    throw e;
  }
  console.log(
    `fuzz: gateway pid ${gw.pid} on ${gw.bootstrap} (ops HTTP ${gw.httpPort}), backend ${opts.backend}`,
  );
  let worker: Worker | null = null;
  try {
    const { pools, healthyTopicId, advertised } = await setup(gw, rng, opts.backend);

    // Targets: what the gateway advertises, with the schemas from the same registry it serves.
    const registry = buildRegistry();
    const targets: { spec: ApiSpec; version: number }[] = [];
    const mismatches: string[] = [];
    for (const v of registry.versions()) {
      const adv = advertised.get(v.apiKey);
      if (adv === undefined || adv[0] !== v.minVersion || adv[1] !== v.maxVersion) {
        mismatches.push(
          `key ${v.apiKey}: registry ${v.minVersion}-${v.maxVersion}, advertised ${adv?.join("-") ?? "none"}`,
        );
      }
    }
    for (const [key, [lo, hi]] of advertised) {
      const entry = registry.get(key);
      if (entry === undefined) {
        mismatches.push(`key ${key} advertised but not in the registry`);
        continue;
      }
      for (let v = lo; v <= hi; v++) targets.push({ spec: entry.spec, version: v });
    }
    console.log(`fuzz: ${advertised.size} APIs, ${targets.length} API versions to fuzz`);

    const h = new Harness(opts, gw, targets, pools);

    // Healthy clients in their own thread.
    worker = new Worker(new URL("./healthy.ts", import.meta.url).href, { type: "module" });
    const healthyDone = Promise.withResolvers<HealthyResult>();
    worker.onmessage = (e: MessageEvent<FromHealthy>) => {
      const m = e.data;
      if (m.type === "stall") h.onStall(m);
      else if (m.type === "problem") {
        if (h.healthyProblems.length < 50) h.healthyProblems.push(`${m.who}: ${m.message}`);
        if (h.healthyProblems.length <= 5) console.log(`fuzz: healthy ${m.who}: ${m.message}`);
      } else healthyDone.resolve(m);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      healthyDone.reject(new Error(`healthy worker failed: ${e.message}`));
    };
    const maxOf = (key: number) => advertised.get(key)?.[1] ?? 0;
    const start: HealthyStart = {
      type: "start",
      port: gw.port,
      topic: HEALTHY_TOPIC,
      topicId: healthyTopicId,
      produceVersion: maxOf(ProduceSpec.key),
      fetchVersion: maxOf(FetchSpec.key),
      metadataVersion: maxOf(MetadataSpec.key),
      apiVersionsVersion: Math.min(3, maxOf(ApiVersionsSpec.key)),
      stallMs: opts.stallMs,
    };
    worker.postMessage(start satisfies ToHealthy);

    // Monitors: RSS and liveness every 200 ms, gateway log every second.
    const monitor = setInterval(() => void h.sampleRss(), 200);
    const logScan = setInterval(() => h.scanLogs(), 1000);
    await sleep(500); // a healthy baseline before the first hostile byte

    const fuzzStart = Date.now();
    const stopAt = fuzzStart + opts.seconds * 1000;
    h.stopAt = stopAt;
    const tasks: Promise<void>[] = [];
    if (opts.replay !== null) {
      const frames = await loadFrames(opts.replay);
      if (frames.length === 0) throw new Error(`--replay ${opts.replay}: no .hex frames`);
      tasks.push(replayFrames(h, frames, Math.max(1500, opts.stallMs + 500)));
    } else {
      if (opts.corpus !== null) {
        const corpus = await loadFrames(opts.corpus);
        if (corpus.length > 0) tasks.push(replayFrames(h, corpus, 1500));
      }
      // Every API version once with a valid request first, shared out between the connections.
      const order = [...targets];
      for (let i = order.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (let i = 0; i < opts.connections; i++) {
        const mine = order.filter((_, j) => j % opts.connections === i);
        tasks.push(fuzzWorker(h, i, rng.fork(i), mine));
      }
    }
    let lastReport = Date.now();
    // The leak check's baseline, at 40 % of the run (runs of 20 s and more).
    let midMemory: MemoryInfo | string | null = null;
    const midAt = opts.seconds >= 20 && opts.replay === null
      ? fuzzStart + 0.4 * opts.seconds * 1000
      : Infinity;
    while (Date.now() < stopAt && h.gatewayDead === null) {
      await sleep(200);
      if (midMemory === null && Date.now() >= midAt) {
        midMemory = await memoryOf(h);
        if (typeof midMemory !== "string") {
          console.log(
            `fuzz: live memory at 40 %: heap ${mib(midMemory.heapUsed)} + external ${
              mib(midMemory.external)
            } MiB after GC`,
          );
        }
      }
      if (opts.replay !== null && h.stopping) break;
      if (Date.now() - lastReport >= 10_000) {
        lastReport = Date.now();
        let sent = 0;
        for (const s of h.apiStats.values()) sent += s.sent;
        console.log(
          `fuzz: t=${
            Math.round((Date.now() - fuzzStart) / 1000)
          }s frames ${sent}, closed by gateway ${h.closedByGateway}, ` +
            `RSS ${((h.rssSamples.at(-1)?.kib ?? 0) / 1024).toFixed(0)} MiB, stalls ${h.stallCount}`,
        );
      }
    }
    if (opts.replay !== null) {
      await Promise.race([Promise.all(tasks), sleep(Math.max(0, stopAt - Date.now()))]);
    }
    h.stopping = true;
    await Promise.all(tasks);
    await h.backgroundDone();
    const fuzzEnd = Date.now();
    await h.sampleRss();
    if (h.gatewayDead !== null) {
      console.log(`fuzz: GATEWAY DIED: ${h.gatewayDead}`);
      h.saveFrames("crash-last-frames", h.framesBetween(Date.now() - 3000, Date.now()).slice(-60));
    }

    // Healthy clients: stop, drain, verify.
    worker.postMessage({ type: "stop" } satisfies ToHealthy);
    const healthy = await Promise.race([
      healthyDone.promise,
      sleep(90_000).then(() => null),
    ]);
    clearInterval(monitor);
    h.scanLogs();
    // Every fuzz connection closes (lingering ones wait up to 35 s for an answer) and the healthy clients have
    // stopped: the end of the leak check.
    for (const until = Date.now() + 40_000; h.lingering > 0 && Date.now() < until;) await sleep(100);
    const endMemory = h.gatewayDead === null ? await settledMemory(h, 15_000) : "the gateway is dead";

    const confirmed = h.gatewayDead === null ? await triage(h) : [];
    if (h.gatewayErrors.length > 0) {
      for (const [i, e] of h.gatewayErrors.slice(0, 20).entries()) {
        for (const f of e.frames) {
          await h.saveFrame(`gateway-error-${i + 1}/${f.id}-${fileSafe(f.api)}-v${f.version}.hex`, f, [
            `gateway logged: ${e.line}`,
          ]);
        }
      }
    }
    clearInterval(logScan);

    // ---- checks ----
    const checks: Check[] = [];
    await h.sampleRss();
    checks.push({
      name: "gateway process alive",
      ok: h.gatewayDead === null,
      detail: h.gatewayDead ?? `pid ${gw.pid} running`,
    });
    checks.push({
      name: "ApiVersions advertises exactly the registry's APIs",
      ok: mismatches.length === 0,
      detail: mismatches.join("; ") || `${advertised.size} APIs`,
    });
    const uncovered = targets.filter((t) =>
      !h.covered.has(`${t.spec.key}:${t.version}`) || !h.mutated.has(`${t.spec.key}:${t.version}`)
    );
    if (opts.replay === null && opts.modes.has("normal")) {
      checks.push({
        name: "every advertised API version was sent valid and mutated",
        ok: uncovered.length === 0,
        detail: uncovered.length === 0
          ? `${targets.length} API versions`
          : `not reached: ${uncovered.slice(0, 10).map((t) => `${t.spec.name} v${t.version}`).join(", ")}`,
      });
    }
    checks.push({
      name: "every answer to a fuzz frame is a well-formed frame with the request's correlation id",
      ok: h.violations === 0,
      detail: h.violations === 0
        ? "all answers matched"
        : `${h.violations}: ${h.violationSamples.slice(0, 3).join("; ")}`,
    });
    const allLat = healthy === null
      ? []
      : [...healthy.latencies.producer, ...healthy.latencies.consumer, ...healthy.latencies.pinger];
    const maxLat = allLat.length === 0 ? NaN : Math.max(...allLat);
    checks.push({
      name: `no healthy request took longer than ${opts.stallMs} ms (stall)`,
      ok: h.stallCount === 0 && !(maxLat > opts.stallMs),
      detail: h.stallCount === 0
        ? `max ${maxLat.toFixed(1)} ms`
        : `${h.stallCount} stalled request(s), max ${maxLat.toFixed(0)} ms; ` +
          h.incidents.map((i) =>
            `${i.event.who} ${i.event.api} at +${((i.event.sentAt - fuzzStart) / 1000).toFixed(1)}s`
          ).join(", "),
    });
    checks.push({
      name: "healthy requests answered without errors or dropped connections",
      ok: healthy !== null && h.healthyProblems.length === 0,
      detail: healthy === null
        ? "the healthy clients did not finish"
        : h.healthyProblems.slice(0, 5).join("; ") || `${allLat.length} requests`,
    });
    checks.push({
      name: "healthy consumer read exactly what the producer had acknowledged",
      ok: healthy !== null && healthy.sequenceProblems.length === 0 && healthy.acked > 0,
      detail: healthy === null
        ? "the healthy clients did not finish"
        : healthy.sequenceProblems.length > 0
        ? healthy.sequenceProblems.slice(0, 5).join("; ")
        : `${healthy.acked} acknowledged, ${healthy.consumed} read back in order`,
    });
    checks.push({
      name: `gateway RSS stayed under ${opts.maxRssMib} MiB`,
      ok: h.peakRssKib <= opts.maxRssMib * 1024,
      detail: `peak ${(h.peakRssKib / 1024).toFixed(0)} MiB`,
    });
    if (opts.replay === null) {
      checks.push(heapGrowthCheck(h, midMemory, endMemory));
      checks.push(liveCountsCheck(endMemory, await openConnections(h, endMemory)));
    }
    if (opts.failOnGatewayErrors) {
      checks.push({
        name: "no error-level line in the gateway log",
        ok: h.gatewayErrors.length === 0,
        detail: `${h.gatewayErrors.length} logged`,
      });
    }
    if (h.gatewayDead === null) checks.push(...await finalChecks(h));
    else checks.push({ name: "gateway answers after fuzzing", ok: false, detail: "the gateway is dead" });

    // ---- summary ----
    await h.savesDone();
    if (healthy !== null && (healthy.sequenceProblems.length > 0 || h.healthyProblems.length > 0)) {
      const lines = [...h.healthyProblems, ...healthy.sequenceProblems];
      await Deno.writeTextFile(`${opts.out}/healthy-problems.txt`, lines.join("\n") + "\n");
      console.log(`healthy client problems: ${opts.out}/healthy-problems.txt`);
    }
    await Deno.writeTextFile(`${opts.out}/gateway.log`, gw.logs());
    console.log("\n==== fuzz summary ====");
    console.log(
      `seed ${opts.seed}, ${((fuzzEnd - fuzzStart) / 1000).toFixed(1)} s fuzzing, backend ${opts.backend}`,
    );
    console.log("frames per API: sent (valid) / answered / closed by gateway / no answer in 400 ms");
    let total = 0;
    const rows = [...h.apiStats.entries()].sort((a, b) => b[1].sent - a[1].sent);
    for (const [api, s] of rows) {
      total += s.sent;
      console.log(
        `  ${api.padEnd(24)} ${
          String(s.sent).padStart(7)
        } (${s.valid}) / ${s.answered} / ${s.closed} / ${s.noAnswer}`,
      );
    }
    console.log(
      `frames sent ${total}; connections opened ${h.connections} (${h.connectFailures} connects failed), ` +
        `closed by the gateway ${h.closedByGateway}`,
    );
    console.log(
      `slow-loris connections dropped by the gateway within 2x idle timeout: ${h.slowlorisClosedByGateway}/${h.slowlorisTotal}`,
    );
    console.log(
      `half-sent 8-15 MiB frames dropped by the gateway within 2x idle timeout: ${h.bigPartialClosedByGateway}/${h.bigPartialTotal}`,
    );
    if (healthy !== null) {
      const fmt = (xs: readonly number[]) =>
        xs.length === 0
          ? "no requests"
          : `n=${xs.length} p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${
            percentile(xs, 99).toFixed(1)
          } ms, max ${Math.max(...xs).toFixed(1)} ms`;
      console.log(`healthy latency: all ${fmt(allLat)}`);
      console.log(`  producer ${fmt(healthy.latencies.producer)}`);
      console.log(`  consumer ${fmt(healthy.latencies.consumer)} (fetch max wait 100 ms)`);
      console.log(`  pinger   ${fmt(healthy.latencies.pinger)}`);
      console.log(`  healthy thread's own timer lag max ${healthy.maxTimerLagMs.toFixed(0)} ms`);
    }
    const rssAt = (q: number) => {
      const t = fuzzStart + q * (fuzzEnd - fuzzStart);
      const near = h.rssSamples.find((x) => x.t >= t) ?? h.rssSamples.at(-1);
      return near === undefined ? "?" : (near.kib / 1024).toFixed(0);
    };
    console.log(
      `gateway RSS peak ${(h.peakRssKib / 1024).toFixed(0)} MiB (limit ${opts.maxRssMib} MiB); ` +
        `at 0/25/50/75/100% of the run: ${[0, 0.25, 0.5, 0.75, 1].map(rssAt).join("/")} MiB`,
    );
    if (h.rssJumps.length > 0) {
      console.log(
        `RSS jumps (frames sent just before each under ${opts.out}/rss-jump-*): ${h.rssJumps.join(", ")}`,
      );
    }
    if (confirmed.length > 0) {
      console.log("stall culprits confirmed by replaying them alone:");
      for (const c of confirmed) console.log(`  ${c}`);
    } else if (h.incidents.length > 0) {
      console.log("stall culprits: none confirmed by replay (suspects saved)");
    }
    if (h.gatewayErrors.length > 0) {
      console.log(
        `gateway error-level log lines: ${h.gatewayErrors.length} (frames under ${opts.out}/gateway-error-*)`,
      );
      const distinct = new Map<string, number>();
      for (const e of h.gatewayErrors) {
        const key = e.line.replace(/^\S+ \S+ \S+ /, "").replace(/\d+/g, "N").slice(0, 160);
        distinct.set(key, (distinct.get(key) ?? 0) + 1);
      }
      for (const [k, n] of [...distinct].slice(0, 10)) console.log(`  ${n}x ${k}`);
    }
    if (h.savedFiles.length > 0) console.log(`saved ${h.savedFiles.length} frame file(s) under ${opts.out}`);
    console.log("checks:");
    for (const c of checks) console.log(`  ${c.ok ? "PASS" : "FAIL"} ${c.name}: ${c.detail}`);
    const passed = checks.filter((c) => c.ok).length;
    const failed = checks.length - passed;
    console.log(`fuzz: ${passed} passed, ${failed} failed`);
    return failed === 0 ? 0 : 1;
  } finally {
    worker?.terminate();
    await gw.stop();
    await Deno.remove(gw.dataDir, { recursive: true }).catch(() => {});
    await swfs?.stop();
  }
}

try {
  Deno.exit(await main());
} catch (e) {
  // A harness or setup failure is a failed run too, in the same format CI greps for.
  console.error(`fuzz: run failed: ${(e as Error)?.stack ?? e}`);
  console.log("fuzz: 0 passed, 1 failed");
  Deno.exit(1);
}
