// The controller: one gateway at a time, elected through the filer's DistributedLock ("kgw-controller/<namespace>",
// a lease renewed every tick; SeaweedFS 4.48 grants it to one owner, answers "lock already owned by <owner>" to
// others, and expires it after seconds_to_lock). Each tick (~500 ms) it reads the member leases, judges liveness
// with its own clock, computes the next assignment (assignment.ts) and writes it with a compare-and-set on the
// document's version.
//
// Why the lock alone is not trusted for writes: a paused controller may resume after its lock expired. It writes
// only while its last successful lock call started less than half the lock's lifetime ago, and the
// compare-and-set refuses a document based on an outdated one, so two controllers can never fork the versions.
//
// Locality: a partition needing a new leader goes preferably to a gateway co-located with its SeaweedMQ leader
// broker (assignment.ts), as the storage last looked that broker up (no RPC per tick). Co-located means the
// gateway's advertised host equals the broker address's host, compared as strings; when every live gateway is
// co-located (one host, loopback) that says nothing and there is no preference.
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import type { MetaPaths } from "../storage/seaweedmq/meta.ts";
import { type AssignmentDoc, computeAssignment, type LiveMember, type TopicSize } from "./assignment.ts";
import { AssignmentStore } from "./assignment_store.ts";
import { LivenessTracker, type MemberRecord, Membership } from "./membership.ts";
import { CONSUMER_OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from "./view.ts";

export type ClusterLog = (level: "debug" | "info" | "warn" | "error", msg: string) => void;

export interface ControllerOptions {
  readonly filer: Filer;
  readonly paths: MetaPaths;
  readonly namespace: string;
  readonly nodeId: number;
  /** Lock owner text: who holds the controller role, for the other gateways' logs. */
  readonly owner: () => string;
  readonly leaseTimeoutMs: number;
  readonly offsetsTopicPartitions: number;
  /** The topics as this gateway knows them. */
  readonly topics: () => readonly TopicSize[];
  /** The SeaweedMQ broker address (HOST:PORT) leading a partition, as cached; undefined = unknown. Cheap. */
  readonly brokerOf?: (topic: string, partition: number) => string | undefined;
  /** Re-reads the topic list (topics created or deleted through other gateways); run in the background. */
  readonly refreshTopics: () => Promise<void>;
  /** A document this controller wrote: the local gateway applies it without waiting for its next poll. */
  readonly onWritten: (doc: AssignmentDoc) => void;
  readonly log: ClusterLog;
  /** Monotonic clock, ms. */
  readonly now?: () => number;
}

/** Lock lifetime: about half the lease timeout (a dead controller is replaced quickly), at least 2 s. */
export function lockSeconds(leaseTimeoutMs: number): number {
  return Math.max(2, Math.ceil(leaseTimeoutMs / 2000));
}

const TOPIC_REFRESH_MS = 1000;

export class Controller {
  readonly lockName: string;
  private readonly lockMs: number;
  private readonly now: () => number;
  private readonly store: AssignmentStore;
  /** Renew token of the held lock ("" when not held). */
  private token = "";
  /** When the last successful lock call started. */
  private lockOkAt = -Infinity;
  private tracker: LivenessTracker | null = null;
  /** The document the next write is based on; undefined until read. */
  private base: { doc: AssignmentDoc | null; attr: string | null } | undefined;
  private lastRefresh = -Infinity;
  private lastHolder = "";
  private dead = new Set<number>();

  constructor(private readonly opts: ControllerOptions) {
    this.lockName = `kgw-controller/${opts.namespace}`;
    this.lockMs = lockSeconds(opts.leaseTimeoutMs) * 1000;
    this.now = opts.now ?? (() => performance.now());
    this.store = new AssignmentStore(opts.filer, opts.paths);
  }

  /** Holds the controller lock (fresh enough to write). */
  get active(): boolean {
    return this.token !== "" && this.now() - this.lockOkAt < this.lockMs / 2;
  }

  /** One round: keep (or try to take) the lock; as the controller, write the next assignment if it changed. */
  async tick(): Promise<void> {
    if (!await this.holdLock()) return;
    const now = this.now();
    if (now - this.lastRefresh >= TOPIC_REFRESH_MS) {
      this.lastRefresh = now;
      this.opts.refreshTopics().catch((e) =>
        this.opts.log("debug", `topic refresh: ${(e as Error).message}`)
      );
    }
    const members = await Membership.list(this.opts.filer, this.opts.paths.members);
    const alive = this.tracker!.observe(members, this.now());
    this.noteDeaths(members, alive);
    // Read again whenever its version moved: another gateway may have recorded placements in it
    // (AlterPartitionReassignments, node.ts place), which keeps this controller's id and which it then carries out.
    // A document another controller wrote is not built upon: the compare-and-set refuses this controller's next
    // write (it may have lost its lock without noticing), and only then is the document read anew.
    const read = await this.store.read(this.base?.doc?.version);
    if (read !== "unchanged") {
      if (read.problem) this.opts.log("error", `${read.problem}: writing a new assignment document`);
      const ours = read.doc === null || read.doc.controllerId === this.opts.nodeId;
      if (this.base === undefined || ours) this.base = { doc: read.doc, attr: read.attr };
    }
    if (this.base === undefined) return; // "unchanged" is answered only for a known version
    // __transaction_state is led with __consumer_offsets (node.ts), never assigned on its own.
    const topics: TopicSize[] = this.opts.topics()
      .filter((t) => t.name !== CONSUMER_OFFSETS_TOPIC && t.name !== TRANSACTION_STATE_TOPIC)
      .map((t) => ({
        name: t.name,
        partitions: t.partitions,
        ...(this.opts.brokerOf
          ? { preferred: colocated(t.name, t.partitions, this.opts.brokerOf, alive) }
          : {}),
      }));
    topics.push({ name: CONSUMER_OFFSETS_TOPIC, partitions: this.opts.offsetsTopicPartitions });
    const prev = this.base.doc;
    // A first document's version is the wall clock in ms: should the document ever be lost and written anew, its
    // versions still exceed those the gateways applied (they ignore lower ones).
    const next = computeAssignment(prev, topics, alive.map(live), this.opts.nodeId, Date.now());
    if (next === prev || !this.active) return;
    if (!await this.store.write(next, this.base.attr)) {
      this.opts.log("info", `assignment v${next.version} not written: the stored one changed; re-reading it`);
      this.base = undefined;
      return;
    }
    this.base = { doc: next, attr: String(next.version) };
    this.opts.log("info", describeChange(prev, next));
    this.opts.onWritten(next);
  }

  private noteDeaths(members: readonly MemberRecord[], alive: readonly MemberRecord[]): void {
    const up = new Set(alive.map((m) => m.nodeId));
    for (const m of members) {
      if (up.has(m.nodeId) || this.dead.has(m.nodeId)) continue;
      this.dead.add(m.nodeId);
      this.opts.log(
        "warn",
        `gateway ${m.nodeId} (${m.host}:${m.port}) renewed no lease for ${this.opts.leaseTimeoutMs} ms: its ` +
          `partitions move to the live gateways`,
      );
    }
    for (const id of this.dead) if (up.has(id)) this.dead.delete(id);
  }

  private async holdLock(): Promise<boolean> {
    const start = this.now();
    if (this.token !== "" && start - this.lockOkAt < this.lockMs / 4) return true;
    let res;
    try {
      res = await this.opts.filer.lock({
        name: this.lockName,
        secondsToLock: this.lockMs / 1000,
        renewToken: this.token,
        owner: this.opts.owner(),
      });
    } catch (e) {
      // no answer: the lock may still be ours; stop acting once it may have expired
      if (this.token !== "" && this.now() - this.lockOkAt >= this.lockMs) {
        this.stepDown(`${(e as Error).message}`);
      }
      return this.active;
    }
    if (res.error === "" && res.renewToken !== "") {
      if (this.token === "") this.takeOver();
      this.token = res.renewToken;
      this.lockOkAt = start;
      return true;
    }
    if (this.token !== "") this.stepDown(res.error);
    if (res.lockOwner !== "" && res.lockOwner !== this.lastHolder) {
      this.lastHolder = res.lockOwner;
      this.opts.log("debug", `controller: ${res.lockOwner}`);
    }
    return false;
  }

  private takeOver(): void {
    // Everyone counts as alive for a full lease timeout from now: this controller has not watched anyone yet.
    this.tracker = new LivenessTracker(this.opts.leaseTimeoutMs);
    this.base = undefined;
    this.dead.clear();
    this.opts.log("info", `this gateway (node ${this.opts.nodeId}) is the controller`);
  }

  private stepDown(why: string): void {
    this.token = "";
    this.tracker = null;
    this.base = undefined;
    this.opts.log("info", `this gateway is no longer the controller (${why})`);
  }

  /** Releases the lock (clean shutdown: another gateway takes over at its next tick). */
  async close(): Promise<void> {
    if (this.token === "") return;
    const token = this.token;
    this.token = "";
    this.tracker = null;
    const err = await this.opts.filer.unlock(this.lockName, token);
    if (err) this.opts.log("debug", `controller unlock: ${err}`);
  }
}

/** The host part of a HOST:PORT or [V6]:PORT address, lower-cased. */
export function hostOf(address: string): string {
  const m = /^\[([^\]]*)\](?::\d+)?$/.exec(address) ?? /^([^:]*)(?::\d+)?$/.exec(address);
  return (m ? m[1] : address).toLowerCase();
}

/**
 * Per partition of a topic, the live gateways co-located with its SeaweedMQ leader broker (advertised host = the
 * broker's host); undefined where the broker is unknown, none or every live gateway is co-located (no information).
 */
export function colocated(
  topic: string,
  partitions: number,
  brokerOf: (topic: string, partition: number) => string | undefined,
  members: readonly { readonly nodeId: number; readonly host: string }[],
): (number[] | undefined)[] {
  const byHost = new Map<string, number[]>();
  for (const m of members) {
    const h = hostOf(m.host);
    byHost.set(h, [...byHost.get(h) ?? [], m.nodeId]);
  }
  const out: (number[] | undefined)[] = [];
  for (let p = 0; p < partitions; p++) {
    const broker = brokerOf(topic, p);
    const ids = broker ? byHost.get(hostOf(broker)) : undefined;
    out.push(ids && ids.length < members.length ? ids : undefined);
  }
  return out;
}

function live(m: MemberRecord): LiveMember {
  return {
    nodeId: m.nodeId,
    host: m.host,
    port: m.port,
    rack: m.rack,
    incarnation: m.incarnation,
    applied: m.applied,
  };
}

/** One log line per document: brokers, and how many leaders changed or wait for a release. */
export function describeChange(prev: AssignmentDoc | null, next: AssignmentDoc): string {
  const before = new Map((prev?.topics ?? []).map((t) => [t.name, t]));
  let moved = 0, releasing = 0, total = 0;
  for (const t of next.topics) {
    const old = before.get(t.name);
    total += t.leaders.length;
    releasing += t.releasing?.length ?? 0;
    for (let p = 0; p < t.leaders.length; p++) {
      if (old?.leaders[p] !== t.leaders[p] || old?.epochs[p] !== t.epochs[p]) moved++;
    }
  }
  const brokers = next.brokers.map((b) => b.nodeId).join(",") || "none";
  return `assignment v${next.version}: brokers [${brokers}], ${total} partitions, ${moved} changed` +
    (releasing > 0 ? `, ${releasing} waiting for their leader to release them` : "");
}
