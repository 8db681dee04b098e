// Gateway leases in the filer: each gateway keeps an entry members/<nodeId> (JSON MemberRecord) whose `seq` it
// raises with every heartbeat. Liveness is judged by watching `seq` move with the observer's own monotonic clock,
// never by comparing clocks across hosts. The entry's extended attribute "kgw-incarnation" holds the writer's
// incarnation, and every write is a compare-and-set on it: two processes with one node id cannot both keep it.
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import { json, parseJson } from "../storage/seaweedmq/meta.ts";
import type { Endpoint } from "./view.ts";

export interface MemberRecord {
  readonly nodeId: number;
  /** Advertised listener: what clients are told. */
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /**
   * Advertised address per listener name (--listen NAME://..., --advertised-listener). Absent in the leases of
   * gateways that predate named listeners: those have one listener, host:port.
   */
  readonly listeners?: Readonly<Record<string, Endpoint>>;
  /** Random per process start (and per self-fencing): a new incarnation is a new leader. */
  readonly incarnation: string;
  /** Raised by every heartbeat. */
  readonly seq: number;
  /** Version of the assignment document this gateway has applied (its releases done). */
  readonly applied: number;
  /**
   * Version whose gains this gateway has also taken over (serves, or is retrying a failed takeover): a topic's
   * creator waits for every gateway's `served` before answering, so no gateway contradicts the leaders it was told.
   */
  readonly served: number;
}

export const INCARNATION_ATTR = "kgw-incarnation";
const TEXT = new TextEncoder();
const TEXT_DECODER = new TextDecoder();

export function newIncarnation(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

export function parseMember(content: Uint8Array): MemberRecord | null {
  try {
    const v = parseJson(content) as Record<string, unknown>;
    if (
      typeof v?.nodeId !== "number" || typeof v.host !== "string" || typeof v.port !== "number" ||
      typeof v.incarnation !== "string" || typeof v.seq !== "number" || typeof v.applied !== "number"
    ) return null;
    const listeners = parseListeners(v.listeners);
    return {
      nodeId: v.nodeId,
      host: v.host,
      port: v.port,
      rack: typeof v.rack === "string" ? v.rack : null,
      ...(listeners !== undefined ? { listeners } : {}),
      incarnation: v.incarnation,
      seq: v.seq,
      applied: v.applied,
      served: typeof v.served === "number" ? v.served : v.applied,
    };
  } catch {
    return null;
  }
}

/** A lease's listener endpoints; malformed entries are left out (undefined when there are none). */
function parseListeners(v: unknown): Record<string, Endpoint> | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Record<string, Endpoint> = {};
  let n = 0;
  for (const [name, e] of Object.entries(v as Record<string, unknown>)) {
    const ep = e as Record<string, unknown> | null;
    if (typeof ep?.host === "string" && typeof ep.port === "number") {
      out[name] = { host: ep.host, port: ep.port };
      n++;
    }
  }
  return n > 0 ? out : undefined;
}

/** Another live process holds this gateway's node id. */
export class NodeIdInUseError extends Error {
  override name = "NodeIdInUseError";
}

/**
 * Decides, from an observer's monotonic clock, which members are alive: a member is alive while its `seq` (or
 * incarnation) changed less than the lease timeout ago. A member first seen counts as just changed, so a new
 * controller treats everyone as alive for a full lease timeout before declaring anyone dead. A missing entry is
 * a member that left.
 */
export class LivenessTracker {
  private readonly seen = new Map<number, { incarnation: string; seq: number; changedAt: number }>();

  constructor(private readonly leaseTimeoutMs: number) {}

  observe(records: readonly MemberRecord[], now: number): MemberRecord[] {
    const listed = new Set<number>();
    const alive: MemberRecord[] = [];
    for (const r of records) {
      listed.add(r.nodeId);
      let s = this.seen.get(r.nodeId);
      if (!s || s.incarnation !== r.incarnation || s.seq !== r.seq) {
        s = { incarnation: r.incarnation, seq: r.seq, changedAt: now };
        this.seen.set(r.nodeId, s);
      }
      if (now - s.changedAt < this.leaseTimeoutMs) alive.push(r);
    }
    for (const id of [...this.seen.keys()]) if (!listed.has(id)) this.seen.delete(id);
    return alive;
  }

  /** How long the member's entry has not changed (0 when unknown). */
  silentFor(nodeId: number, now: number): number {
    const s = this.seen.get(nodeId);
    return s ? now - s.changedAt : 0;
  }
}

export interface MembershipOptions {
  readonly filer: Filer;
  /** Directory of the member entries. */
  readonly dir: string;
  readonly self: Omit<MemberRecord, "incarnation" | "seq" | "applied" | "served">;
  readonly leaseTimeoutMs: number;
  readonly log: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** This gateway's own lease entry: join (with the node-id clash check), heartbeats, leave. */
export class Membership {
  incarnation = newIncarnation();
  private seq = 0;
  /** The incarnation the filer entry holds (the compare-and-set's expected value); null when there is none. */
  private held: string | null = null;
  private readonly name: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: MembershipOptions) {
    this.name = String(opts.self.nodeId);
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private content(applied: number, served: number): Uint8Array {
    const r: MemberRecord = {
      ...this.opts.self,
      incarnation: this.incarnation,
      seq: this.seq,
      applied,
      served,
    };
    return json(r);
  }

  private attrs(incarnation: string): Map<string, Uint8Array> {
    return new Map([[INCARNATION_ATTR, TEXT.encode(incarnation)]]);
  }

  /**
   * Writes this gateway's entry. An entry of another incarnation is watched for up to a lease timeout: if its
   * `seq` moves, a live gateway holds the node id and this one refuses to start (NodeIdInUseError); if it stays
   * still, its holder is dead and the entry is taken over. `previousIncarnation`: the incarnation this data
   * directory's previous process ran under, when that process is known to be gone (local_node.ts): an entry it
   * left needs no watching. Returns when (performance.now()) the write that made the lease this gateway's began.
   */
  async join(previousIncarnation?: string): Promise<number> {
    const { filer, dir } = this.opts;
    let writeStart = performance.now();
    for (let attempt = 0;; attempt++) {
      const entry = await filer.lookup(dir, this.name);
      if (entry === null) {
        writeStart = performance.now();
        if (await filer.create(dir, this.name, this.content(0, 0), this.attrs(this.incarnation))) {
          this.held = this.incarnation;
          return writeStart;
        }
        continue; // created meanwhile by another process: look at it
      }
      const attr = entry.extended.get(INCARNATION_ATTR);
      const heldBy = attr ? TEXT_DECODER.decode(attr) : "";
      if (heldBy === this.incarnation) {
        this.held = this.incarnation; // a retried write of ours had landed
        return writeStart;
      }
      const rec = parseMember(entry.content);
      if (heldBy !== "" && heldBy === previousIncarnation) {
        this.opts.log("info", `taking over the lease of this data directory's previous (stopped) process`);
      } else if (rec !== null) await this.watch(rec);
      writeStart = performance.now();
      if (
        await filer.update(
          dir,
          this.name,
          this.content(0, 0),
          this.attrs(this.incarnation),
          this.attrs(heldBy),
        )
      ) {
        this.held = this.incarnation;
        return writeStart;
      }
      if (attempt >= 3) throw new NodeIdInUseError(this.clashMessage(rec));
    }
  }

  /** Waits until `rec`'s holder proves alive (throws) or stays silent for a lease timeout (returns). */
  private async watch(rec: MemberRecord): Promise<void> {
    const { filer, dir, leaseTimeoutMs } = this.opts;
    this.opts.log(
      "info",
      `node id ${rec.nodeId} has a lease entry (${rec.host}:${rec.port}); waiting up to ${leaseTimeoutMs} ms to ` +
        `see whether that gateway is alive`,
    );
    const start = performance.now();
    while (performance.now() - start < leaseTimeoutMs) {
      await this.sleep(Math.min(250, leaseTimeoutMs / 10));
      const e = await filer.lookup(dir, this.name);
      if (e === null) return; // it left
      const now = parseMember(e.content);
      if (now === null) continue;
      if (now.incarnation !== rec.incarnation || now.seq !== rec.seq) {
        throw new NodeIdInUseError(this.clashMessage(now));
      }
    }
  }

  private clashMessage(rec: MemberRecord | null): string {
    const at = rec ? `${rec.host}:${rec.port}` : "another address";
    return `node id ${this.opts.self.nodeId} is held by the live gateway at ${at}; give each gateway its own --node-id`;
  }

  /**
   * One heartbeat (seq + 1, the applied and served versions). Returns "ok", "failed" (the filer did not answer:
   * retry) or "lost" (another process holds the node id now: this gateway must stop serving for good).
   */
  async heartbeat(applied: number, served = applied): Promise<"ok" | "failed" | "lost"> {
    const { filer, dir } = this.opts;
    this.seq++;
    try {
      const content = this.content(applied, served);
      const mine = this.attrs(this.incarnation);
      const written = this.held === null
        ? await filer.create(dir, this.name, content, mine)
        : await filer.update(dir, this.name, content, mine, this.attrs(this.held));
      if (written) {
        this.held = this.incarnation;
        return "ok";
      }
      // a retried write applied on its first attempt, an entry removed (recreated next time), or another process's
      const e = await filer.lookup(dir, this.name);
      if (e === null) {
        this.held = null;
        return "failed";
      }
      const attr = e.extended.get(INCARNATION_ATTR);
      if (attr && TEXT_DECODER.decode(attr) === this.incarnation) {
        this.held = this.incarnation;
        return "ok";
      }
      return "lost";
    } catch (e) {
      this.opts.log("debug", `heartbeat: ${(e as Error).message}`);
      return "failed";
    }
  }

  /**
   * Starts a new incarnation (after this gateway fenced itself): the controller then treats it as a new gateway,
   * and nothing assigned to the old incarnation is served again. The entry changes hands on the next heartbeat.
   */
  renew(): void {
    this.incarnation = newIncarnation();
  }

  /** Deletes the entry if it is still this gateway's (clean shutdown: the controller reassigns at once). */
  async leave(): Promise<void> {
    const { filer, dir } = this.opts;
    if (this.held === null) return;
    const e = await filer.lookup(dir, this.name);
    const attr = e?.extended.get(INCARNATION_ATTR);
    if (e === null || !attr || TEXT_DECODER.decode(attr) !== this.held) return;
    await filer.remove(dir, this.name, false);
    this.held = null;
  }

  /** All member entries (unparsable ones skipped). */
  static async list(filer: Filer, dir: string): Promise<MemberRecord[]> {
    const out: MemberRecord[] = [];
    for (const e of await filer.list(dir)) {
      if (e.isDirectory) continue;
      const r = parseMember(e.content);
      if (r !== null && String(r.nodeId) === e.name) out.push(r);
    }
    return out;
  }
}
