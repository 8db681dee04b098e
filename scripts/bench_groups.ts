// Consumer-group coordinator benchmark: rebalance time, memory per member, heartbeat throughput and the
// stability of many concurrent groups. Printed figures, no asserts. All traffic goes to 127.0.0.1; every loop is
// bounded in count and time (a hard deadline covers the whole run).
//
//   deno task bench:groups [--stable-seconds N] [--reps N] [--blast-seconds N]
//
// The group members are a lightweight raw-protocol client built on the gateway's own codec: one TCP connection
// per member, JoinGroup v5 (with the KIP-394 MEMBER_ID_REQUIRED two-step), protocol type "consumer" with one
// protocol "range" (a ConsumerProtocolSubscription v0), SyncGroup v3 where the leader assigns one partition to
// every member, Heartbeat v3 every heartbeat interval (REBALANCE_IN_PROGRESS -> rejoin), LeaveGroup v3.
// The gateway runs with `--group-initial-rebalance-delay-ms 0 --log-level info`.
//
// Phases:
//  1. Rebalance time (gateway A). A group of 10 and one of 100 members, formed and stable. Two triggers, `--reps`
//     times each:
//       all rejoin  every member sends JoinGroup at once with a changed subscription (userData), heartbeats
//                   paused: a pure measure of the coordinator.
//       +1 joins    one new member joins; the others learn of the rebalance from their next Heartbeat (every
//                   300 ms here) and rejoin; the extra member then leaves (that rebalance is not measured).
//     client: time from sending the last JoinGroup to receiving the last SyncGroup response of the rebalance.
//     gateway: the coordinator's log line for that generation, "... ms after the last JoinGroup" (and "... ms
//     after the rebalance began", which for +1 includes the heartbeat round-trip of the members).
//  2. Memory (gateway B, fresh): VmRSS/VmHWM of the gateway before any member, then with 1,000 members in 100
//     groups of 10, all stable and heartbeating (1 s heartbeat, 10 s session timeout) for 5 s.
//  3. Heartbeat throughput: the 1,000 members' regular heartbeats pause, each connection pipelines batches of 16
//     Heartbeats for `--blast-seconds` (default 5); responses/s, error codes, and the gateway's CPU use.
//  4. Stability: 900 single-member groups join the 100 groups of 10 -> 1,000 groups, 1,900 members, heartbeat
//     1 s, session timeout 10 s. After a 3 s settle, hold for `--stable-seconds` (default 60; the target is 5
//     minutes) and count rebalances the gateway logged during the hold ("preparing to rebalance"), members it
//     removed, heartbeat errors, and groups whose generation changed (client side).
import { median } from "./bench.ts";
import { type RunningGateway, startGateway } from "../tests/helpers/gateway.ts";
import { Reader, Writer } from "../src/protocol/codec.ts";
import { writeRequestHeader } from "../src/protocol/header.ts";
import { type ApiSpec, compile, type CompiledApi } from "../src/protocol/schema.ts";
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  JoinGroupSpec,
} from "../src/protocol/messages/join_group.ts";
import {
  type SyncGroupRequest,
  type SyncGroupResponse,
  SyncGroupSpec,
} from "../src/protocol/messages/sync_group.ts";
import {
  type HeartbeatRequest,
  type HeartbeatResponse,
  HeartbeatSpec,
} from "../src/protocol/messages/heartbeat.ts";
import {
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  LeaveGroupSpec,
} from "../src/protocol/messages/leave_group.ts";
import { ErrorCode, errorInfo } from "../src/protocol/errors.ts";

// ---------------------------------------------------------------------------------------------------- options
interface Options {
  stableSeconds: number;
  reps: number;
  blastSeconds: number;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { stableSeconds: 60, reps: 5, blastSeconds: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, max: number) => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${a} needs a number in ${min}..${max}`);
      return v;
    };
    if (a === "--stable-seconds") o.stableSeconds = num(1, 3600);
    else if (a === "--reps") o.reps = num(1, 100);
    else if (a === "--blast-seconds") o.blastSeconds = num(1, 120);
    else if (a === "--help" || a === "-h") {
      console.log("deno task bench:groups [--stable-seconds N] [--reps N] [--blast-seconds N]");
      Deno.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  }
  return o;
}

const OPTS = parseOptions(Deno.args);
/** Every loop of the run stops by this time at the latest. */
const HARD_DEADLINE = performance.now() +
  (OPTS.stableSeconds + OPTS.reps * 60 + OPTS.blastSeconds + 600) * 1000;
const alive = () => performance.now() < HARD_DEADLINE;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it holds; false after `timeoutMs`. */
async function waitUntil(cond: () => boolean, timeoutMs: number, everyMs = 5): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end && alive()) {
    if (cond()) return true;
    await sleep(everyMs);
  }
  return cond();
}

// ---------------------------------------------------------------------------------------------------- wire
const JOIN_V = 5, SYNC_V = 3, HEARTBEAT_V = 3, LEAVE_V = 3; // all non-flexible: response header v0
const API = new Map<number, CompiledApi>();
const api = (spec: ApiSpec) => {
  let c = API.get(spec.key);
  if (!c) API.set(spec.key, c = compile(spec));
  return c;
};

interface Pending {
  corr: number;
  resolve: (r: Reader) => void;
  reject: (e: Error) => void;
}

async function writeAll(conn: Deno.Conn, b: Uint8Array): Promise<void> {
  let o = 0;
  while (o < b.length) o += await conn.write(b.subarray(o));
}

/** One connection: requests are pipelined, responses come back in order (Kafka's per-connection guarantee). */
class Wire {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  private pending: Pending[] = [];
  private head = 0;
  private nextCorr = 1;
  private writing: Promise<void> = Promise.resolve();
  failure: Error | null = null;

  private constructor(private readonly conn: Deno.TcpConn, readonly clientId: string) {
    this.readLoop();
  }

  static async open(port: number, clientId: string): Promise<Wire> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new Wire(conn, clientId);
  }

  private frame(spec: ApiSpec, version: number, body: unknown): { corr: number; bytes: Uint8Array } {
    const corr = this.nextCorr++;
    const w = new Writer(256);
    w.int32(0); // size, patched below
    writeRequestHeader(
      w,
      { apiKey: spec.key, apiVersion: version, correlationId: corr, clientId: this.clientId },
      version >= spec.flexibleFrom,
    );
    api(spec).encodeRequest(w, version, body);
    const bytes = w.finish();
    new DataView(bytes.buffer, bytes.byteOffset).setInt32(0, bytes.length - 4);
    return { corr, bytes };
  }

  /** Sends `bodies` in one write; resolves with one Reader per response (positioned after the header). */
  pipeline(spec: ApiSpec, version: number, bodies: unknown[]): Promise<Reader[]> {
    if (this.failure) return Promise.reject(this.failure);
    const frames = bodies.map((b) => this.frame(spec, version, b));
    const total = frames.reduce((a, f) => a + f.bytes.length, 0);
    const all = new Uint8Array(total);
    let o = 0;
    for (const f of frames) {
      all.set(f.bytes, o);
      o += f.bytes.length;
    }
    const ps = frames.map((f) =>
      new Promise<Reader>((resolve, reject) => this.pending.push({ corr: f.corr, resolve, reject }))
    );
    this.writing = this.writing.then(() => writeAll(this.conn, all)).catch((e) => this.fail(e));
    return Promise.all(ps);
  }

  async request<T>(spec: ApiSpec, version: number, body: unknown): Promise<T> {
    const [r] = await this.pipeline(spec, version, [body]);
    return api(spec).decodeResponse(r, version) as T;
  }

  private fail(e: unknown): void {
    if (this.failure) return;
    this.failure = e instanceof Error ? e : new Error(String(e));
    for (let i = this.head; i < this.pending.length; i++) this.pending[i].reject(this.failure);
    this.pending = [];
    this.head = 0;
  }

  private async readLoop(): Promise<void> {
    try {
      while (this.failure === null) {
        if (this.end === this.buf.length) {
          if (this.start > 0) {
            this.buf.copyWithin(0, this.start, this.end);
            this.end -= this.start;
            this.start = 0;
          } else {
            const next = new Uint8Array(this.buf.length * 2);
            next.set(this.buf);
            this.buf = next;
          }
        }
        const n = await this.conn.read(this.buf.subarray(this.end));
        if (n === null) throw new Error("connection closed by the gateway");
        this.end += n;
        const view = new DataView(this.buf.buffer);
        while (this.end - this.start >= 4) {
          const size = view.getInt32(this.start);
          if (this.end - this.start < 4 + size) {
            if (4 + size > this.buf.length) {
              const next = new Uint8Array(4 + size);
              next.set(this.buf.subarray(this.start, this.end));
              this.end -= this.start;
              this.start = 0;
              this.buf = next;
            }
            break;
          }
          const frame = this.buf.slice(this.start + 4, this.start + 4 + size);
          this.start += 4 + size;
          if (this.start === this.end) this.start = this.end = 0;
          const p = this.pending[this.head++];
          if (this.head > 1024 && this.head * 2 > this.pending.length) {
            this.pending = this.pending.slice(this.head);
            this.head = 0;
          }
          if (p === undefined) throw new Error("response without a request");
          const r = new Reader(frame);
          const corr = r.int32();
          if (corr !== p.corr) throw new Error(`correlation id ${corr}, expected ${p.corr}`);
          p.resolve(r);
        }
      }
    } catch (e) {
      this.fail(e);
    }
  }

  close(): void {
    this.fail(new Error("closed"));
    try {
      this.conn.close();
    } catch { /* already closed */ }
  }
}

/** Opens `n` connections, `batch` at a time; failed connects are counted, not thrown. */
async function connectMany(
  port: number,
  n: number,
  prefix: string,
  batch = 100,
): Promise<{ wires: Wire[]; failed: number; firstError: string }> {
  const wires: Wire[] = [];
  let failed = 0, firstError = "";
  for (let i = 0; i < n && alive(); i += batch) {
    const got = await Promise.allSettled(
      Array.from({ length: Math.min(batch, n - i) }, (_, k) => Wire.open(port, `${prefix}-${i + k}`)),
    );
    for (const g of got) {
      if (g.status === "fulfilled") wires.push(g.value);
      else {
        failed++;
        firstError ||= String(g.reason);
      }
    }
  }
  return { wires, failed, firstError };
}

// ---------------------------------------------------------------------------------------------------- member
const TOPIC = "bench-groups";

/** ConsumerProtocolSubscription v0: version, topics, userData. */
function subscription(userData: number): Uint8Array {
  const u = new Writer(8).int32(userData).finish();
  return new Writer(64).int16(0).int32(1).string(TOPIC).bytes(u).finish();
}

/** ConsumerProtocolAssignment v0: version, [topic, [partition]], userData. */
function assignment(partition: number): Uint8Array {
  return new Writer(64).int16(0).int32(1).string(TOPIC).int32(1).int32(partition).bytes(null).finish();
}

interface MemberConfig {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatMs: number;
}

/** Round-trip times of regular heartbeats, collected while set (phase 4's hold); bounded. */
let rttSink: number[] | null = null;
const RTT_SINK_MAX = 5_000_000;

const countCode = (m: Map<number, number>, code: number) => m.set(code, (m.get(code) ?? 0) + 1);

class GroupMember {
  memberId = "";
  generation = -1;
  stable = false;
  isLeader = false;
  /** Part of the subscription; changing it makes the next JoinGroup a new subscription (forces a rebalance). */
  userData = 0;
  lastJoinSentAt = 0;
  lastSyncAt = 0;
  /** JoinGroups answered with an error other than MEMBER_ID_REQUIRED, by code. */
  readonly joinErrors = new Map<number, number>();
  readonly syncErrors = new Map<number, number>();
  /** Non-zero heartbeat error codes. */
  readonly hbErrors = new Map<number, number>();
  heartbeats = 0;
  maxHeartbeatMs = 0;
  rejoinsAfterHeartbeat = 0;
  hbPaused = false;
  hbInFlight = false;
  stopped = false;
  private joining: Promise<void> | null = null;
  private hbLoop: Promise<void> | null = null;

  constructor(readonly wire: Wire, readonly cfg: MemberConfig) {}

  get busy(): boolean {
    return this.joining !== null;
  }

  private joinBody(): JoinGroupRequest {
    return {
      groupId: this.cfg.groupId,
      sessionTimeoutMs: this.cfg.sessionTimeoutMs,
      rebalanceTimeoutMs: this.cfg.rebalanceTimeoutMs,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: [{ name: "range", metadata: subscription(this.userData) }],
      reason: null,
    };
  }

  private async sendJoin(): Promise<JoinGroupResponse> {
    this.lastJoinSentAt = performance.now();
    return await this.wire.request<JoinGroupResponse>(JoinGroupSpec, JOIN_V, this.joinBody());
  }

  /** Step one of the v4+ join: get a member id (MEMBER_ID_REQUIRED). */
  async requestMemberId(): Promise<void> {
    if (this.memberId !== "") return;
    const res = await this.sendJoin();
    if (res.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) {
      throw new Error(`expected MEMBER_ID_REQUIRED, got ${errorInfo(res.errorCode).name}`);
    }
    this.memberId = res.memberId;
  }

  /** Join (both steps when needed) and sync; one at a time per member. */
  join(): Promise<void> {
    this.joining ??= this.doJoin().finally(() => this.joining = null);
    return this.joining;
  }

  private async doJoin(): Promise<void> {
    this.stable = false;
    for (let attempt = 0; attempt < 50 && alive() && !this.stopped; attempt++) {
      const res = await this.sendJoin();
      if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.memberId = res.memberId;
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) {
        countCode(this.joinErrors, res.errorCode);
        if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
        if (res.errorCode !== ErrorCode.REBALANCE_IN_PROGRESS) await sleep(100);
        continue;
      }
      this.generation = res.generationId;
      this.isLeader = res.leader === this.memberId;
      const body: SyncGroupRequest = {
        groupId: this.cfg.groupId,
        generationId: res.generationId,
        memberId: this.memberId,
        groupInstanceId: null,
        protocolType: null,
        protocolName: null,
        assignments: this.isLeader
          ? res.members.map((m, i) => ({ memberId: m.memberId, assignment: assignment(i) }))
          : [],
      };
      const sres = await this.wire.request<SyncGroupResponse>(SyncGroupSpec, SYNC_V, body);
      if (sres.errorCode === ErrorCode.NONE) {
        this.lastSyncAt = performance.now();
        this.stable = true;
        return;
      }
      countCode(this.syncErrors, sres.errorCode);
      if (sres.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
    }
    throw new Error(`member ${this.memberId} of ${this.cfg.groupId} could not join`);
  }

  async heartbeat(): Promise<number> {
    const body: HeartbeatRequest = {
      groupId: this.cfg.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: null,
    };
    return (await this.wire.request<HeartbeatResponse>(HeartbeatSpec, HEARTBEAT_V, body)).errorCode;
  }

  /** `n` pipelined heartbeats in one write; their error codes. */
  async heartbeatBatch(n: number): Promise<number[]> {
    const body: HeartbeatRequest = {
      groupId: this.cfg.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: null,
    };
    const rs = await this.wire.pipeline(HeartbeatSpec, HEARTBEAT_V, new Array(n).fill(body));
    return rs.map((r) => (api(HeartbeatSpec).decodeResponse(r, HEARTBEAT_V) as HeartbeatResponse).errorCode);
  }

  startHeartbeats(): void {
    this.hbLoop ??= this.heartbeatLoop();
  }

  private async heartbeatLoop(): Promise<void> {
    await sleep(Math.random() * this.cfg.heartbeatMs); // spread the members over the interval
    while (!this.stopped && alive()) {
      await sleep(this.cfg.heartbeatMs);
      if (this.stopped) break;
      if (this.hbPaused || !this.stable || this.busy) continue;
      this.hbInFlight = true;
      let code: number;
      const t0 = performance.now();
      try {
        code = await this.heartbeat();
      } catch {
        this.stable = false; // connection gone: counted as not stable at the end
        break;
      } finally {
        this.hbInFlight = false;
      }
      this.heartbeats++;
      const rtt = performance.now() - t0;
      this.maxHeartbeatMs = Math.max(this.maxHeartbeatMs, rtt);
      if (rttSink !== null && rttSink.length < RTT_SINK_MAX) rttSink.push(rtt);
      if (code === ErrorCode.NONE) continue;
      countCode(this.hbErrors, code);
      if (
        code === ErrorCode.REBALANCE_IN_PROGRESS || code === ErrorCode.ILLEGAL_GENERATION ||
        code === ErrorCode.UNKNOWN_MEMBER_ID
      ) {
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = "";
        this.rejoinsAfterHeartbeat++;
        await this.join().catch(() => {});
      }
    }
  }

  async leave(): Promise<number> {
    const body: LeaveGroupRequest = {
      groupId: this.cfg.groupId,
      memberId: this.memberId,
      members: [{ memberId: this.memberId, groupInstanceId: null, reason: "bench" }],
    };
    this.stopped = true;
    this.stable = false;
    return (await this.wire.request<LeaveGroupResponse>(LeaveGroupSpec, LEAVE_V, body)).errorCode;
  }

  stop(): void {
    this.stopped = true;
    this.wire.close();
  }
}

/** Forms one group: all members get their id first, then all join together -> one generation. */
async function formGroup(wires: Wire[], cfg: MemberConfig): Promise<GroupMember[]> {
  const members = wires.map((w) => new GroupMember(w, cfg));
  await Promise.all(members.map((m) => m.requestMemberId()));
  await Promise.all(members.map((m) => m.join()));
  return members;
}

const allStable = (ms: GroupMember[]) => {
  const g = ms[0].generation;
  return ms.every((m) => m.stable && !m.busy && m.generation === g);
};

async function pauseHeartbeats(ms: GroupMember[]): Promise<void> {
  for (const m of ms) m.hbPaused = true;
  await waitUntil(() => ms.every((m) => !m.hbInFlight && !m.busy), 30_000);
}

const resumeHeartbeats = (ms: GroupMember[]) => {
  for (const m of ms) m.hbPaused = false;
};

// ---------------------------------------------------------------------------------------------------- gateway
interface Memory {
  rssMiB: number;
  hwmMiB: number;
}

/** Runs `cat` on a /proc file: Deno wants --allow-all for any read under /proc. */
async function procFile(path: string): Promise<string | null> {
  try {
    const out = await new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

async function memoryOf(pid: number): Promise<Memory> {
  const status = await procFile(`/proc/${pid}/status`) ?? "";
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kb("VmRSS") / 1024, hwmMiB: kb("VmHWM") / 1024 };
}

/** utime + stime of a process, in clock ticks (USER_HZ, 100 on Linux). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await procFile(`/proc/${pid}/stat`) ?? "";
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of stat(5)
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface GatewayRebalance {
  afterLastJoinMs: number;
  sinceBeganMs: number;
}

/**
 * The coordinator's "stable in generation" line for `groupId`/`generation`, waiting up to 5 s for it. The text
 * formatter quotes string values: `group "G" stable in generation 3 with 10 members: "0.52" ms after ...`.
 */
async function gatewayRebalance(
  gw: RunningGateway,
  groupId: string,
  generation: number,
): Promise<GatewayRebalance | null> {
  const re = new RegExp(
    `group "?${
      escapeRe(groupId)
    }"? stable in generation ${generation} with \\d+ members: "?([\\d.]+)"? ms after the last JoinGroup, "?([\\d.]+)"? ms after the rebalance began`,
  );
  let m: RegExpExecArray | null = null;
  await waitUntil(() => (m = re.exec(gw.logs())) !== null, 5_000, 20);
  if (m === null) return null;
  const found: RegExpExecArray = m;
  return { afterLastJoinMs: Number(found[1]), sinceBeganMs: Number(found[2]) };
}

const countMatches = (s: string, re: RegExp) => (s.match(re) ?? []).length;

// ---------------------------------------------------------------------------------------------------- output
const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), xs.length ? -Infinity : NaN);
const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN;
const loadAvg = async () => (await procFile("/proc/loadavg"))?.split(" ").slice(0, 3).join(" ") ?? "?";
const f1 = (x: number) => Number.isFinite(x) ? x.toFixed(1) : "n/a";
const f2 = (x: number) => Number.isFinite(x) ? x.toFixed(2) : "n/a";
const int = (x: number) => Math.round(x).toLocaleString("en-US");

function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => i === 0 ? c.padEnd(w[i]) : c.padStart(w[i])).join("  ");
  return [line(header), w.map((x) => "-".repeat(x)).join("  "), ...rows.map(line)].join("\n");
}

const codes = (m: Map<number, number>) =>
  m.size === 0 ? "none" : [...m].map(([c, n]) => `${errorInfo(c).name}(${c}) x${n}`).join(", ");

function mergeCodes(ms: GroupMember[], pick: (m: GroupMember) => Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of ms) for (const [c, n] of pick(m)) out.set(c, (out.get(c) ?? 0) + n);
  return out;
}

const progress = (s: string) => console.error(`[bench:groups] ${s}`);

// ---------------------------------------------------------------------------------------------------- phase 1
interface RebalanceCase {
  label: string;
  client: number[];
  gwAfterJoin: number[];
  gwSinceBegan: number[];
  failures: number;
}

async function benchRebalance(gw: RunningGateway, n: number): Promise<RebalanceCase[]> {
  const cfg: MemberConfig = {
    groupId: `bench-rebalance-${n}`,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    heartbeatMs: 300,
  };
  const { wires, failed, firstError } = await connectMany(gw.port, n, `rb${n}`);
  if (failed > 0) throw new Error(`${failed} of ${n} connections failed: ${firstError}`);
  const members = await formGroup(wires, cfg);
  for (const m of members) m.startHeartbeats();
  const all: RebalanceCase = {
    label: `${n} members, all rejoin`,
    client: [],
    gwAfterJoin: [],
    gwSinceBegan: [],
    failures: 0,
  };
  const plus: RebalanceCase = {
    label: `${n} members, +1 joins`,
    client: [],
    gwAfterJoin: [],
    gwSinceBegan: [],
    failures: 0,
  };
  const record = async (c: RebalanceCase, group: GroupMember[]) => {
    const gen = group[0].generation;
    c.client.push(max(group.map((m) => m.lastSyncAt)) - max(group.map((m) => m.lastJoinSentAt)));
    const g = await gatewayRebalance(gw, cfg.groupId, gen);
    if (g === null) c.failures++;
    else {
      c.gwAfterJoin.push(g.afterLastJoinMs);
      c.gwSinceBegan.push(g.sinceBeganMs);
    }
  };
  try {
    for (let rep = 0; rep < OPTS.reps && alive(); rep++) {
      // All rejoin with a new subscription, heartbeats paused.
      await pauseHeartbeats(members);
      const before = members[0].generation;
      for (const m of members) m.userData++;
      await Promise.all(members.map((m) => m.join()));
      if (allStable(members) && members[0].generation > before) await record(all, members);
      else all.failures++;
      resumeHeartbeats(members);

      // One extra member joins; the others find out from a heartbeat.
      for (const m of members) m.lastJoinSentAt = m.lastSyncAt = 0;
      const [extraWire] = (await connectMany(gw.port, 1, `rb${n}-extra${rep}`)).wires;
      const extra = new GroupMember(extraWire, cfg);
      const group = [...members, extra];
      await extra.join();
      if (await waitUntil(() => allStable(group), 30_000)) await record(plus, group);
      else plus.failures++;
      // It leaves again (a rebalance that is not measured) before the next repetition.
      const genWith = extra.generation;
      await extra.leave();
      extra.stop();
      if (!await waitUntil(() => allStable(members) && members[0].generation > genWith, 30_000)) {
        throw new Error(`group ${cfg.groupId} did not settle after the extra member left`);
      }
    }
  } finally {
    for (const m of members) m.stop();
  }
  return [all, plus];
}

// ---------------------------------------------------------------------------------------------------- main
async function main(): Promise<void> {
  progress(
    `stable hold ${OPTS.stableSeconds} s, ${OPTS.reps} repetitions, heartbeat blast ${OPTS.blastSeconds} s; ulimit -n ${(await new Deno
      .Command("sh", { args: ["-c", "ulimit -n"], stdout: "piped" }).output().then((o) =>
        new TextDecoder().decode(o.stdout).trim()
      ).catch(() => "?"))}`,
  );
  const gatewayArgs = ["--group-initial-rebalance-delay-ms", "0", "--log-level", "info"];
  const out: string[] = [];

  // ---- 1. rebalance time
  progress("phase 1: rebalance time (gateway A)");
  const gwA = await startGateway({ args: gatewayArgs });
  let cases: RebalanceCase[] = [];
  try {
    for (const n of [10, 100]) cases = cases.concat(await benchRebalance(gwA, n));
  } finally {
    await gwA.stop();
  }
  const target10 = cases.filter((c) => c.label.startsWith("10 "));
  const worst10 = max(target10.flatMap((c) => c.gwAfterJoin));
  out.push(
    `1. Rebalance time, ${OPTS.reps} repetitions per row (ms). gw = the coordinator's log line ("... after the last ` +
      `JoinGroup" / "... after the rebalance began");\n   client = last JoinGroup sent -> last SyncGroup response ` +
      `received. Heartbeat 300 ms, session timeout 10 s.`,
    table(
      [
        "case",
        "gw after last join: median",
        "max",
        "client: median",
        "max",
        "gw since began: median",
        "max",
        "failed",
      ],
      cases.map((c) => [
        c.label,
        f2(median(c.gwAfterJoin)),
        f2(max(c.gwAfterJoin)),
        f2(median(c.client)),
        f2(max(c.client)),
        f2(median(c.gwSinceBegan)),
        f2(max(c.gwSinceBegan)),
        String(c.failures),
      ]),
    ),
    `   target: rebalance of 10 members <= 20 ms gateway-side after the last join: max ${f2(worst10)} ms -> ${
      worst10 <= 20 ? "MET" : "NOT MET"
    }`,
    "",
  );

  // ---- 2-4 on a fresh gateway
  progress("phase 2: memory with 1,000 members in 100 groups of 10 (gateway B)");
  const gw = await startGateway({ args: gatewayArgs });
  const stableCfg = (groupId: string): MemberConfig => ({
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    heartbeatMs: 1_000,
  });
  const everyone: GroupMember[] = [];
  try {
    await sleep(1_000);
    const memBefore = await memoryOf(gw.pid);
    const t0 = performance.now();
    const c1 = await connectMany(gw.port, 1_000, "m");
    const tConnected = performance.now();
    if (c1.failed > 0) progress(`${c1.failed} of 1,000 connections failed: ${c1.firstError}`);
    await sleep(2_000);
    const memConnected = await memoryOf(gw.pid);
    const groups10: GroupMember[][] = [];
    for (let g = 0; g * 10 < c1.wires.length; g++) groups10.push([]);
    const formed = await Promise.all(
      groups10.map((_, g) => formGroup(c1.wires.slice(g * 10, g * 10 + 10), stableCfg(`bench-g10-${g}`))),
    );
    const tFormed = performance.now();
    const members1000 = formed.flat();
    everyone.push(...members1000);
    for (const m of members1000) m.startHeartbeats();
    await sleep(5_000);
    const stable1000 = formed.filter(allStable).length;
    const mem1000 = await memoryOf(gw.pid);
    out.push(
      `2. Gateway memory (MiB). ${members1000.length} members connected in ${formed.length} groups of 10 ` +
        `(${c1.failed} connections failed); connect ${f1(tConnected - t0)} ms, all groups formed ${
          f1(tFormed - tConnected)
        } ms later; ${stable1000}/${formed.length} groups stable after 5 s of heartbeats.`,
    );

    // ---- 3. heartbeat throughput
    progress(`phase 3: heartbeat blast, ${OPTS.blastSeconds} s`);
    await pauseHeartbeats(members1000);
    const genBefore = members1000.map((m) => m.generation);
    const WINDOW = 16;
    let responses = 0;
    const blastErrors = new Map<number, number>();
    let blastFailures = 0;
    const gwCpu0 = await cpuTicks(gw.pid), myCpu0 = await cpuTicks(Deno.pid);
    const b0 = performance.now();
    const bEnd = b0 + OPTS.blastSeconds * 1000;
    await Promise.all(members1000.map(async (m) => {
      for (let i = 0; i < 1_000_000 && performance.now() < bEnd && alive(); i++) {
        try {
          for (const code of await m.heartbeatBatch(WINDOW)) {
            responses++;
            if (code !== ErrorCode.NONE) countCode(blastErrors, code);
          }
        } catch {
          blastFailures++;
          return;
        }
      }
    }));
    const bElapsed = (performance.now() - b0) / 1000;
    const gwCpu = (await cpuTicks(gw.pid) - gwCpu0) / 100 / bElapsed * 100;
    const myCpu = (await cpuTicks(Deno.pid) - myCpu0) / 100 / bElapsed * 100;
    const memBlast = await memoryOf(gw.pid);
    const genChanged = members1000.filter((m, i) => m.generation !== genBefore[i]).length;
    resumeHeartbeats(members1000);

    // ---- 4. stability of 1,000 groups
    progress("phase 4: 900 single-member groups join");
    const c2 = await connectMany(gw.port, 900, "s");
    if (c2.failed > 0) progress(`${c2.failed} of 900 connections failed: ${c2.firstError}`);
    const singles = await Promise.all(c2.wires.map((w, i) => formGroup([w], stableCfg(`bench-g1-${i}`))));
    const singleMembers = singles.flat();
    everyone.push(...singleMembers);
    for (const m of singleMembers) m.startHeartbeats();
    const allGroups = [...formed, ...singles];
    await waitUntil(() => allGroups.every(allStable), 30_000, 50);
    await sleep(3_000);
    const memHoldStart = await memoryOf(gw.pid);
    const logStart = gw.logs().length;
    const gen0 = everyone.map((m) => m.generation);
    const hb0 = everyone.reduce((a, m) => a + m.heartbeats, 0);
    const errs0 = mergeCodes(everyone, (m) => m.hbErrors);
    for (const m of everyone) m.maxHeartbeatMs = 0;
    const rtts: number[] = [];
    rttSink = rtts;
    const loadStart = await loadAvg();
    progress(
      `phase 4: holding ${allGroups.length} groups / ${everyone.length} members for ${OPTS.stableSeconds} s`,
    );
    const h0 = performance.now();
    const holdEnd = h0 + OPTS.stableSeconds * 1000;
    let nextReport = h0 + 60_000;
    while (performance.now() < holdEnd && alive()) {
      await sleep(Math.min(1_000, holdEnd - performance.now()));
      if (performance.now() >= nextReport) {
        nextReport += 60_000;
        const mem = await memoryOf(gw.pid);
        progress(
          `  ${f1((performance.now() - h0) / 1000)} s: RSS ${f1(mem.rssMiB)} MiB, ${
            countMatches(gw.logs().slice(logStart), /preparing to rebalance/g)
          } rebalances so far`,
        );
      }
    }
    const holdSeconds = (performance.now() - h0) / 1000;
    rttSink = null;
    const loadEnd = await loadAvg();
    rtts.sort((a, b) => a - b);
    const window = gw.logs().slice(logStart);
    const memHoldEnd = await memoryOf(gw.pid);
    const spurious = countMatches(window, /preparing to rebalance/g);
    const removed = countMatches(window, /removed from group|did not rejoin in time/g);
    const hbHold = everyone.reduce((a, m) => a + m.heartbeats, 0) - hb0;
    const errsNow = mergeCodes(everyone, (m) => m.hbErrors);
    const errsHold = new Map<number, number>();
    for (const [c, n] of errsNow) if (n - (errs0.get(c) ?? 0) > 0) errsHold.set(c, n - (errs0.get(c) ?? 0));
    const genMoved = new Set(
      everyone.filter((m, i) => m.generation !== gen0[i]).map((m) => m.cfg.groupId),
    ).size;
    const stableEnd = allGroups.filter(allStable).length;
    const maxHb = max(everyone.map((m) => m.maxHeartbeatMs));

    out[out.length - 1] += "\n" + table(["state", "VmRSS", "VmHWM"], [
      ["gateway started, no members", f1(memBefore.rssMiB), f1(memBefore.hwmMiB)],
      [
        `${c1.wires.length} connections open, idle (no request yet)`,
        f1(memConnected.rssMiB),
        f1(memConnected.hwmMiB),
      ],
      [
        `${members1000.length} members / ${formed.length} groups, stable, heartbeating`,
        f1(mem1000.rssMiB),
        f1(mem1000.hwmMiB),
      ],
      ["after the heartbeat blast", f1(memBlast.rssMiB), f1(memBlast.hwmMiB)],
      [
        `${everyone.length} members / ${allGroups.length} groups, hold start`,
        f1(memHoldStart.rssMiB),
        f1(memHoldStart.hwmMiB),
      ],
      [
        `${everyone.length} members / ${allGroups.length} groups, hold end`,
        f1(memHoldEnd.rssMiB),
        f1(memHoldEnd.hwmMiB),
      ],
    ]) +
      `\n   per member (1,000 members vs none): ${
        f1((mem1000.rssMiB - memBefore.rssMiB) * 1024 / members1000.length)
      } KiB` +
      `\n   target: 1,000 consumers <= 256 MB RSS: ${f1(mem1000.rssMiB * 1.048576)} MB (${
        f1(mem1000.rssMiB)
      } MiB) -> ${mem1000.rssMiB * 1.048576 <= 256 ? "MET" : "NOT MET"}\n`;
    out.push(
      `3. Heartbeat throughput: ${members1000.length} connections, each pipelining batches of ${WINDOW} Heartbeat v3, ` +
        `${f1(bElapsed)} s.`,
      table([
        "responses",
        "responses/s",
        "error codes",
        "failed connections",
        "gateway CPU",
        "bench CPU",
        "generations changed",
      ], [[
        int(responses),
        int(responses / bElapsed),
        codes(blastErrors),
        String(blastFailures),
        `${f1(gwCpu)} %`,
        `${f1(myCpu)} %`,
        String(genChanged),
      ]]),
      "",
      `4. Stability: ${allGroups.length} groups (${formed.length} x 10 members + ${singles.length} x 1) = ${everyone.length} ` +
        `members, heartbeat 1 s, session timeout 10 s, held ${
          f1(holdSeconds)
        } s (${c2.failed} connections failed).`,
      table([
        "heartbeats",
        "per s",
        "heartbeat RTT p50 / p99 / max",
        "RTT > 1 s",
        "heartbeat errors",
        "rebalances (gw log)",
        "members removed",
        "groups w/ new generation",
        "stable at end",
      ], [[
        int(hbHold),
        int(hbHold / holdSeconds),
        `${f1(percentile(rtts, 0.5))} / ${f1(percentile(rtts, 0.99))} / ${f1(maxHb)} ms`,
        String(rtts.length - rtts.filter((x) => x <= 1_000).length),
        codes(errsHold),
        String(spurious),
        String(removed),
        String(genMoved),
        `${stableEnd}/${allGroups.length}`,
      ]]),
      `   load average (1/5/15 min) at hold start ${loadStart}, at hold end ${loadEnd} (${navigator.hardwareConcurrency} CPUs)`,
      `   spurious rebalances: ${spurious}`,
      `   target: 1,000 concurrent groups stable for 5 minutes with no spurious rebalance: held ${
        f1(holdSeconds)
      } s, ` +
        `${spurious} rebalances -> ${
          spurious === 0 && removed === 0 && holdSeconds >= 300
            ? "MET"
            : spurious === 0 && removed === 0
            ? `no rebalance in ${f1(holdSeconds)} s (run --stable-seconds 300 for the full target)`
            : "NOT MET"
        }`,
    );
    const joinErrs = mergeCodes(everyone, (m) => m.joinErrors),
      syncErrs = mergeCodes(everyone, (m) => m.syncErrors);
    out.push(
      `   JoinGroup errors (whole phase 2-4): ${codes(joinErrs)}; SyncGroup errors: ${codes(syncErrs)}`,
    );
  } finally {
    for (const m of everyone) m.stop();
    await gw.stop();
  }
  console.log("\n" + out.join("\n"));
}

await main();
