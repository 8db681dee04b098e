// SeaweedCluster: this gateway as a member of the gateways sharing a SeaweedMQ namespace (used with --backend
// seaweedmq, even alone). It keeps its lease (membership.ts), takes part in the controller election
// (controller.ts), and applies the controller's assignment document: partitions it loses are released (every
// participant, reverse registration order), partitions it gains are acquired (registration order), their leader
// epoch recorded in the epoch history (epochs.ts), then served.
//
// Timings (lease timeout L, --lease-timeout-ms): heartbeat every L/5; assignment polled and controller ticked every
// 500 ms; this gateway serves nothing once its last successful heartbeat started more than 0.75 L ago (the
// controller declares it dead only after watching its lease stand still for L), and after such a lapse it rejoins
// under a new incarnation, so whatever it led is given out again with a new epoch.
//
// The brokers it tells clients of are brokers.ts; what it reads from the document, assignment_reads.ts; the loops
// its background work runs on, tasks.ts.
import type { SeaweedMQStorage } from "../storage/seaweedmq/seaweedmq.ts";
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import { partitionForGroup } from "./hash.ts";
import {
  type AssignmentDoc,
  type Placement,
  placementProblem,
  type PlacementRefusal,
  type TopicAssignment,
  withPlacements,
} from "./assignment.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { KeyedQueue } from "../serial.ts";
import { AssignmentStore } from "./assignment_store.ts";
import { type ClusterLog, Controller, lockSeconds } from "./controller.ts";
import { assignEpoch, endOffsetFor, epochAtOffset, type EpochEntry, EpochHistoryStore } from "./epochs.ts";
import { LocalNodeFile } from "./local_node.ts";
import { Membership, NodeIdInUseError } from "./membership.ts";
import { reassignmentsIn, type Want, wantedBy } from "./assignment_reads.ts";
import { BrokerDirectory } from "./brokers.ts";
import { Limiter, Loop } from "./tasks.ts";
import { settledWithin } from "../wait.ts";
import {
  type ClusterBroker,
  type ClusterSnapshot,
  type ClusterView,
  CONSUMER_OFFSETS_TOPIC,
  CoordinatorsByLeadership,
  type Endpoint,
  type LeaderInfo,
  type LeaseGuard,
  type Participant,
  type PartitionLeadership,
  type TopicPartitionRef,
  TRANSACTION_STATE_TOPIC,
} from "./view.ts";

export interface SeaweedClusterOptions {
  readonly storage: SeaweedMQStorage;
  readonly nodeId: number;
  readonly advertised: { readonly host: string; readonly port: number };
  /** Advertised address per listener name, written in the lease so that every gateway can tell clients of each. */
  readonly listeners?: Readonly<Record<string, Endpoint>>;
  /** "" for none. */
  readonly rack: string;
  readonly leaseTimeoutMs: number;
  readonly offsetsTopicPartitions: number;
  /** Remembers this process's incarnation (local_node.ts). */
  readonly dataDir: string;
  readonly log: ClusterLog;
  /** Called when another process took this gateway's node id over (this gateway serves nothing from then on). */
  readonly onLost?: (why: string) => void;
}

/** How often the assignment is polled and the controller ticks. */
const TICK_MS = 500;
/** How often awaitPropagation reads the leases. */
const PROPAGATION_POLL_MS = 50;
/** Partitions acquired at once. */
const ACQUIRE_CONCURRENCY = 16;
/** How long start() waits for the filer to answer the lease writes. */
const JOIN_RETRY_MS = 30_000;
/** close() is done within this (plus the releases' own budget), even with the filer unreachable. */
const CLOSE_BUDGET_MS = 3000;
/**
 * What close() gives the releases: normally done in milliseconds, but a partition whose broker died with
 * acknowledged, unflushed records is released only after they are published again (a broker re-assignment).
 */
const CLOSE_RELEASE_MS = 8000;

export class SeaweedCluster extends CoordinatorsByLeadership implements ClusterView {
  readonly nodeId: number;
  readonly distributed = true;
  private readonly self: ClusterBroker;
  private readonly participants: Participant[] = [];
  private readonly filer: Filer;
  private readonly membership: Membership;
  private readonly controller: Controller;
  private readonly store: AssignmentStore;
  private readonly epochStore: EpochHistoryStore;
  private readonly fenceMs: number;
  private readonly beatMs: number;
  private local: LocalNodeFile | null = null;
  private state: "new" | "running" | "closing" | "closed" | "lost" = "new";
  private joined = false;

  /** The document applied last, its rows by topic and its brokers. */
  private doc: AssignmentDoc | null = null;
  private rows = new Map<string, TopicAssignment>();
  private readonly brokerDir: BrokerDirectory;
  /** A document the local controller just wrote (applied before the next poll). */
  private offered: AssignmentDoc | null = null;
  /** Version this gateway applied (its releases done), reported in its lease. */
  private applied = 0;
  /** Version whose gains were also taken over (no acquire under way once it was applied), reported in its lease. */
  private served = 0;

  /** topic -> partition -> epoch: what this gateway serves now (servingEpoch's one Map lookup). */
  private readonly serving = new Map<string, Map<number, number>>();
  /** Partitions given to this gateway and being acquired or served, by key. */
  private readonly held = new Map<string, Want>();
  /** Per partition, the acquire/release under way: the next one waits for it (failed or not). */
  private readonly turns = new KeyedQueue<string>();
  private readonly limiter = new Limiter(ACQUIRE_CONCURRENCY);
  /** Partitions whose participants' acquire ran (so their release must run). */
  private readonly touched = new Set<string>();
  /** Failed acquires in a row per partition (the log says so once, then every 20th time). */
  private readonly failures = new Map<string, number>();
  private acquiring = 0;
  private retry = false;
  private offsetsPartitions: number;
  private lastLearn = -Infinity;
  private readonly history = new Map<string, Map<number, readonly EpochEntry[]>>();

  /** performance.now() at the start of the last successful heartbeat. */
  private lastBeat = -Infinity;
  private fenced = false;
  /** Renewals that came more than the fence time after the previous one (leaseGuard: a lapse voids its grants). */
  private lapses = 0;
  private readonly beatLoop: Loop;
  private readonly pollLoop: Loop;
  private readonly controlLoop: Loop;
  private readonly settledWaiters: (() => void)[] = [];

  constructor(private readonly opts: SeaweedClusterOptions) {
    super();
    this.nodeId = opts.nodeId;
    this.offsetsPartitions = opts.offsetsTopicPartitions;
    this.self = {
      nodeId: opts.nodeId,
      host: opts.advertised.host,
      port: opts.advertised.port,
      rack: opts.rack === "" ? null : opts.rack,
      ...(opts.listeners !== undefined ? { listeners: opts.listeners } : {}),
    };
    const lease = opts.leaseTimeoutMs;
    this.beatMs = Math.max(100, Math.floor(lease / 5));
    this.fenceMs = lease * 0.75;
    // Each call gets a fifth of the lease; retries (another filer) stay within one heartbeat interval.
    this.filer = opts.storage.coordinationFiler(Math.min(2000, Math.max(300, lease / 5)), this.beatMs);
    const paths = opts.storage.metaPaths;
    this.store = new AssignmentStore(this.filer, paths);
    this.epochStore = new EpochHistoryStore(this.filer, paths);
    this.brokerDir = new BrokerDirectory({
      filer: this.filer,
      membersDir: paths.members,
      nodeId: opts.nodeId,
      log: opts.log,
    });
    this.membership = new Membership({
      filer: this.filer,
      dir: paths.members,
      self: this.self,
      leaseTimeoutMs: lease,
      log: opts.log,
    });
    this.controller = new Controller({
      filer: this.filer,
      paths,
      namespace: opts.storage.namespace,
      nodeId: opts.nodeId,
      owner: () =>
        `node ${opts.nodeId} at ${opts.advertised.host}:${opts.advertised.port} (${this.membership.incarnation})`,
      leaseTimeoutMs: lease,
      offsetsTopicPartitions: opts.offsetsTopicPartitions,
      topics: () => opts.storage.listTopics(),
      brokerOf: (topic, partition) => opts.storage.partitionBroker(topic, partition),
      refreshTopics: () => opts.storage.refreshTopics(),
      onWritten: (doc) => {
        this.offered = doc;
        this.pollLoop.kick();
      },
      log: opts.log,
    });
    this.beatLoop = new Loop(this.beatMs, () => this.beat());
    this.pollLoop = new Loop(TICK_MS, () => this.poll());
    this.controlLoop = new Loop(TICK_MS, () => this.control());
    // a topic created, grown or deleted through this gateway is assigned at once when it is the controller
    opts.storage.onTopicsChanged = () => this.controlLoop.kick();
  }

  // ---- ClusterView: reads (hot paths: Map lookups only) ----

  brokers(): readonly ClusterBroker[] {
    return this.brokerDir.brokers();
  }

  broker(nodeId: number): ClusterBroker | undefined {
    return this.brokerDir.broker(nodeId);
  }

  /**
   * The controller named by the document when it is a listed broker; otherwise this gateway. Clients send
   * controller requests (CreateTopics, AlterUserScramCredentials...) to this id and wait, until their request
   * times out, while it names no broker they know: a controller that left writes its last document naming itself,
   * and the next one may take seconds. Every gateway serves those requests, as a KRaft broker that names a live
   * broker rather than the quorum's controller.
   */
  controllerId(): number {
    const named = this.doc?.controllerId ?? -1;
    if (this.brokerDir.has(named)) return named;
    return this.brokerDir.has(this.nodeId) ? this.nodeId : -1;
  }

  leaderOf(topic: string, partition: number): LeaderInfo {
    // __transaction_state partition p follows __consumer_offsets partition p (view.ts TRANSACTION_STATE_TOPIC).
    const row = this.rows.get(topic === TRANSACTION_STATE_TOPIC ? CONSUMER_OFFSETS_TOPIC : topic);
    if (!row || partition < 0 || partition >= row.leaders.length) return { leaderId: -1, leaderEpoch: -1 };
    return { leaderId: row.leaders[partition], leaderEpoch: row.epochs[partition] };
  }

  servingEpoch(topic: string, partition: number): number | null {
    if (performance.now() - this.lastBeat > this.fenceMs) return null;
    return this.serving.get(topic)?.get(partition) ?? null;
  }

  // ---- partition reassignment (AlterPartitionReassignments, ListPartitionReassignments, ElectLeaders) ----

  /**
   * Records placements in the assignment document by a compare-and-set on its version, as the controller writes
   * it (a conflict reads it again). Any gateway may: the controller re-reads a document whose version moved and
   * carries the placements out (assignment.ts). Validated against the document read, as Kafka's controller does.
   */
  async place(
    placements: readonly Placement[],
    timeoutMs: number,
  ): Promise<readonly (PlacementRefusal | null)[]> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const read = await this.store.read();
      const doc = read === "unchanged" ? null : read.doc;
      if (doc !== null && read !== "unchanged") {
        const refusals = placements.map((p) => placementProblem(doc, p));
        const next = withPlacements(doc, placements.filter((_, i) => refusals[i] === null));
        if (next === doc || await this.store.write(next, read.attr)) {
          if (next !== doc) {
            this.opts.log("info", `partition reassignment recorded in assignment v${next.version}`);
            this.offered = next;
            this.pollLoop.kick();
            this.controlLoop.kick();
          }
          return refusals;
        }
      }
      if (performance.now() >= deadline) {
        throw new KafkaError(
          ErrorCode.REQUEST_TIMED_OUT,
          "the assignment document could not be updated in time",
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  placedOn(topic: string, partition: number): number {
    return this.rows.get(topic)?.placed?.[partition] ?? -1;
  }

  reassignments(): { topic: string; partition: number; current: number; target: number }[] {
    return reassignmentsIn(this.doc);
  }

  coordinatorPartition(groupId: string): number {
    // the document's count (the controller's --offsets-topic-num-partitions): every gateway places a group alike
    return partitionForGroup(groupId, this.offsetsPartitions);
  }

  epochEndOffset(
    topic: string,
    partition: number,
    epoch: number,
    logEndOffset: number,
  ): { leaderEpoch: number; endOffset: number } {
    return endOffsetFor(this.history.get(topic)?.get(partition) ?? [], epoch, logEndOffset);
  }

  epochAt(topic: string, partition: number, offset: number): number {
    const h = this.history.get(topic)?.get(partition);
    return h === undefined ? -1 : epochAtOffset(h, offset);
  }

  addParticipant(p: Participant): void {
    this.participants.push(p);
  }

  snapshot(): ClusterSnapshot {
    const partitions: PartitionLeadership[] = [];
    for (const t of this.doc?.topics ?? []) {
      for (let p = 0; p < t.leaders.length; p++) {
        partitions.push({
          topic: t.name,
          partition: p,
          leaderId: t.leaders[p],
          leaderEpoch: t.epochs[p],
          serving: this.servingEpoch(t.name, p) !== null,
        });
      }
    }
    return {
      nodeId: this.nodeId,
      distributed: true,
      controllerId: this.controllerId(),
      brokers: this.brokerDir.brokers(),
      assignmentVersion: this.applied,
      leaseTimeoutMs: this.opts.leaseTimeoutMs,
      partitions,
    };
  }

  // ---- lifecycle ----

  /**
   * Joins: refuses a node id a live gateway holds (NodeIdInUseError), writes the lease, starts the heartbeats, the
   * controller and the assignment polling, and returns once this gateway applied an assignment that includes it
   * (alone: it leads everything then), or after a bounded wait.
   */
  async start(): Promise<void> {
    if (this.state !== "new") throw new Error(`cluster membership is ${this.state}`);
    const { storage, nodeId, dataDir, log } = this.opts;
    this.local = await LocalNodeFile.open(dataDir, storage.namespace, nodeId);
    const previous = await this.local.previousIncarnation();
    let leaseAt = 0;
    for (const deadline = performance.now() + JOIN_RETRY_MS;;) {
      try {
        leaseAt = await this.membership.join(previous);
        break;
      } catch (e) {
        // a filer that does not answer (yet) is waited for; a node id in use is not
        if (e instanceof NodeIdInUseError || performance.now() > deadline) {
          this.local.close();
          this.state = "closed";
          throw e;
        }
        log("info", `joining the gateway cluster: ${(e as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    this.lastBeat = leaseAt;
    this.joined = true;
    this.state = "running";
    await this.local.record(this.membership.incarnation);
    this.setBrokers(this.doc);
    this.beatLoop.start();
    this.controlLoop.start();
    this.pollLoop.start();
    const waitMs = Math.max(5000, lockSeconds(this.opts.leaseTimeoutMs) * 1000 + 3000);
    const ready = await this.waitSettled(waitMs);
    log(
      ready ? "info" : "warn",
      `joined the gateway cluster of namespace ${storage.namespace} as node ${nodeId} (incarnation ` +
        `${this.membership.incarnation}); ` +
        (ready
          ? `controller ${this.controllerId()}, leading ${this.servedCount()} partitions`
          : `no assignment including this gateway within ${waitMs} ms: serving nothing until one comes`),
    );
  }

  /**
   * Stops serving (participants released, within CLOSE_RELEASE_MS), leaves (lease entry deleted: the controller
   * reassigns at once; this gateway's controller role handed over the same way), the rest within CLOSE_BUDGET_MS.
   */
  async close(): Promise<void> {
    if (this.state === "closed" || this.state === "closing") return;
    const wasRunning = this.state === "running" || this.state === "lost";
    this.state = "closing";
    let deadline = performance.now() + CLOSE_BUDGET_MS;
    const left = () => deadline - performance.now();
    await settledWithin([Promise.all([this.beatLoop.stop(), this.pollLoop.stop()])], left() * 0.2);
    if (wasRunning) {
      const t0 = performance.now();
      await this.releaseKeepingLease();
      deadline += performance.now() - t0;
      if (this.joined) await settledWithin([this.membership.leave()], left() * 0.5);
      // as the controller: hand this gateway's partitions over now, then let another gateway take the role
      await settledWithin([
        this.controlLoop.stop().then(() => this.controller.active ? this.controller.tick() : undefined),
      ], left() * 0.5);
      await settledWithin([this.controller.close()], left());
    } else {
      await this.controlLoop.stop();
    }
    this.local?.close();
    this.state = "closed";
  }

  /**
   * close()'s releases, within CLOSE_RELEASE_MS, renewing the lease meanwhile (the beat loop is stopped): no other
   * gateway may take these partitions before they are released, which can take seconds when a release must first
   * publish again what a dead broker lost.
   */
  private async releaseKeepingLease(): Promise<void> {
    let done = false;
    const releases = this.releaseAll().finally(() => done = true);
    const until = performance.now() + CLOSE_RELEASE_MS;
    while (!done && performance.now() < until) {
      await settledWithin([releases], Math.min(this.beatMs, until - performance.now()));
      if (done || this.state !== "closing" || performance.now() >= until) break;
      const start = performance.now();
      await settledWithin([
        this.membership.heartbeat(this.applied, this.served).then((r) => {
          if (r === "ok") this.renewed(start);
        }),
      ], this.beatMs);
    }
  }

  /** A heartbeat that started at `start` succeeded. */
  private renewed(start: number): void {
    if (start - this.lastBeat > this.fenceMs) this.lapses++;
    this.lastBeat = start;
  }

  /**
   * The lease the partitions acquired now are held under (Participant.acquire): valid while this incarnation renews
   * its lease without a lapse and the last renewal is fresh (as servingEpoch). Checked by the clock, so a process
   * that was stopped (SIGSTOP, a VM pause) past its lease sees it void the moment it resumes, before any timer told
   * it; once void it stays void (the partition may have been led elsewhere meanwhile).
   */
  private leaseGuard(): LeaseGuard {
    const incarnation = this.membership.incarnation;
    const lapses = this.lapses;
    let lapsed = false;
    return {
      valid: () => {
        if (lapsed) return false;
        const ok = (this.state === "running" || this.state === "closing") && !this.fenced &&
          this.membership.incarnation === incarnation && this.lapses === lapses &&
          performance.now() - this.lastBeat <= this.fenceMs;
        if (!ok) lapsed = true;
        return ok;
      },
    };
  }

  // ---- the loops ----

  private async beat(): Promise<void> {
    if (this.state !== "running") return;
    if (!this.fenced && performance.now() - this.lastBeat > this.fenceMs) this.fence();
    const start = performance.now();
    const r = await this.membership.heartbeat(this.applied, this.served);
    if (this.state !== "running") return;
    if (r === "ok") {
      this.renewed(start);
      if (this.fenced) {
        this.fenced = false;
        this.opts.log("info", `lease renewed again, as incarnation ${this.membership.incarnation}`);
        await this.local?.record(this.membership.incarnation);
        this.pollLoop.kick();
      }
    } else if (r === "lost") {
      this.lose();
    }
  }

  /** No fresh lease: serve nothing, and come back as a new incarnation (whatever the old one led moves on). */
  private fence(): void {
    this.fenced = true;
    this.membership.renew();
    this.opts.log(
      "warn",
      `no lease renewal for ${Math.round(performance.now() - this.lastBeat)} ms (more than 0.75 x ` +
        `--lease-timeout-ms ${this.opts.leaseTimeoutMs}): this gateway stops serving its partitions and rejoins ` +
        `as incarnation ${this.membership.incarnation}`,
    );
    this.releaseAll().catch(() => {});
  }

  private lose(): void {
    this.state = "lost";
    const why = `another process took node id ${this.nodeId} over: this gateway serves nothing any more`;
    this.opts.log("error", why);
    this.releaseAll().catch(() => {});
    this.opts.onLost?.(why);
  }

  private async control(): Promise<void> {
    if (this.state !== "running" || this.fenced) return;
    try {
      await this.controller.tick();
    } catch (e) {
      this.opts.log("debug", `controller: ${(e as Error).message}`);
    }
  }

  private async poll(): Promise<void> {
    if (this.state !== "running") return;
    let doc = this.offered;
    this.offered = null;
    if (doc === null) {
      try {
        const read = await this.store.read(this.doc?.version);
        if (read !== "unchanged") {
          if (read.problem) this.opts.log("debug", read.problem);
          doc = read.doc;
        }
      } catch (e) {
        this.opts.log("debug", `reading the assignment: ${(e as Error).message}`);
      }
    }
    // Only newer documents: a lagging filer may still show an older one.
    if (doc !== null && (this.doc === null || doc.version > this.doc.version)) await this.apply(doc);
    else if (this.retry && this.doc !== null) await this.apply(this.doc);
    this.notifySettled();
    await this.brokerDir.learnEndpoints();
  }

  // ---- applying a document ----

  private setBrokers(doc: AssignmentDoc | null): void {
    this.brokerDir.set(doc, this.joined ? this.self : null);
  }

  /** The partitions the document gives this incarnation. */
  private wanted(doc: AssignmentDoc): Map<string, Want> {
    if (this.state !== "running" || this.fenced) return new Map();
    return wantedBy(doc, this.nodeId, this.membership.incarnation);
  }

  private async apply(doc: AssignmentDoc): Promise<void> {
    this.retry = false;
    this.doc = doc;
    this.rows = new Map(doc.topics.map((t) => [t.name, t]));
    const offsets = this.rows.get(CONSUMER_OFFSETS_TOPIC)?.leaders.length ?? 0;
    if (offsets > 0 && offsets !== this.offsetsPartitions) {
      if (offsets !== this.opts.offsetsTopicPartitions) {
        this.opts.log(
          "warn",
          `the controller runs with --offsets-topic-num-partitions ${offsets}, this gateway with ` +
            `${this.opts.offsetsTopicPartitions}: groups are placed by the controller's (give every gateway the same)`,
        );
      }
      this.offsetsPartitions = offsets;
    }
    this.setBrokers(doc);
    this.learnTopics(doc);
    const want = this.wanted(doc);
    const releases: Promise<void>[] = [];
    for (const [key, h] of this.held) {
      if (want.get(key)?.epoch === h.epoch) continue;
      releases.push(this.release(key, h));
    }
    await Promise.all(releases);
    if (doc.version > this.applied) {
      this.applied = doc.version;
      this.beatLoop.kick(); // report it now: the controller may be waiting for these releases
    }
    for (const [key, w] of want) {
      if (!this.held.has(key)) this.acquire(key, w);
    }
  }

  /**
   * The document names topics (or partitions) this gateway's storage does not know yet: created or grown through
   * another gateway. Its topic list is re-read now rather than at its next periodic refresh.
   */
  private learnTopics(doc: AssignmentDoc): void {
    const { storage } = this.opts;
    const unknown = doc.topics.some((t) =>
      t.name !== CONSUMER_OFFSETS_TOPIC && (storage.getTopic(t.name)?.partitions ?? 0) < t.leaders.length
    );
    if (!unknown || performance.now() - this.lastLearn < TICK_MS) return;
    this.lastLearn = performance.now();
    storage.refreshTopics().catch((e) => this.opts.log("debug", `topic refresh: ${(e as Error).message}`));
  }

  private release(key: string, h: Want): Promise<void> {
    this.held.delete(key);
    this.unserve(h);
    return this.turns.run(key, async () => {
      if (!this.touched.delete(key)) return; // its acquire never ran: nothing to release
      const tp: TopicPartitionRef = { topic: h.topic, partition: h.partition };
      for (const p of [...this.participants].reverse()) {
        await p.release(tp).catch((e) =>
          this.opts.log("warn", `releasing ${h.topic}-${h.partition}: ${(e as Error).message}`)
        );
      }
      this.history.get(h.topic)?.delete(h.partition);
    });
  }

  private acquire(key: string, w: Want): void {
    this.held.set(key, w);
    this.acquiring++;
    this.turns.run(key, () =>
      this.limiter.run(async () => {
        if (this.held.get(key) !== w) return; // taken away before its turn
        const tp: TopicPartitionRef = { topic: w.topic, partition: w.partition };
        this.touched.add(key);
        const lease = this.leaseGuard();
        try {
          for (const p of this.participants) await p.acquire(tp, w.epoch, lease);
          await this.recordEpoch(w);
        } catch (e) {
          const n = (this.failures.get(key) ?? 0) + 1;
          this.failures.set(key, n);
          this.opts.log(
            n === 1 || n % 20 === 0 ? "warn" : "debug",
            `taking over ${w.topic}-${w.partition} (epoch ${w.epoch}) failed (${n} times), retrying: ${
              (e as Error).message
            }`,
          );
          if (this.held.get(key) === w) {
            this.held.delete(key);
            this.retry = true;
          }
          this.touched.delete(key);
          for (const p of [...this.participants].reverse()) await p.release(tp).catch(() => {});
          return;
        }
        this.failures.delete(key);
        if (this.held.get(key) !== w) return;
        let m = this.serving.get(w.topic);
        if (!m) this.serving.set(w.topic, m = new Map());
        m.set(w.partition, w.epoch);
      })).finally(() => {
        this.acquiring--;
        this.notifySettled();
      });
  }

  /** Appends the epoch (starting at the log end now) to the partition's history, and caches it. */
  private async recordEpoch(w: Want): Promise<void> {
    const { storage } = this.opts;
    if (storage.getTopic(w.topic) === undefined) return; // deleted meanwhile: nothing to serve
    const history = await this.epochStore.load(w.topic, w.partition);
    const end = (await storage.offsets(w.topic, w.partition)).highWatermark;
    const next = assignEpoch(history, w.epoch, end);
    if (next !== null) await this.epochStore.save(w.topic, w.partition, next);
    let m = this.history.get(w.topic);
    if (!m) this.history.set(w.topic, m = new Map());
    m.set(w.partition, next ?? history);
  }

  private unserve(h: Want): void {
    const m = this.serving.get(h.topic);
    m?.delete(h.partition);
    if (m?.size === 0) this.serving.delete(h.topic);
  }

  private async releaseAll(): Promise<void> {
    await Promise.all([...this.held].map(([key, h]) => this.release(key, h)));
  }

  private servedCount(): number {
    let n = 0;
    for (const m of this.serving.values()) n += m.size;
    return n;
  }

  /**
   * Waits until every live gateway has taken over what the assignment this gateway applied gives it (their leases
   * report `served` >= its version), so that after a topic is created no gateway still answers LEADER_NOT_AVAILABLE
   * or NOT_LEADER_OR_FOLLOWER for it. Resolves false after `timeoutMs`.
   */
  async awaitPropagation(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    const version = this.applied;
    for (;;) {
      const doc = this.doc;
      if (doc === null || this.state !== "running") return false;
      try {
        const members = await Membership.list(this.filer, this.opts.storage.metaPaths.members);
        const byId = new Map(members.map((m) => [m.nodeId, m]));
        const behind = doc.brokers.filter((b) => {
          const m = byId.get(b.nodeId);
          return m !== undefined && m.incarnation === b.incarnation && m.served < version;
        });
        if (behind.length === 0) return true;
      } catch (e) {
        this.opts.log("debug", `reading the gateways' leases: ${(e as Error).message}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise((r) => setTimeout(r, Math.min(PROPAGATION_POLL_MS, left)));
    }
  }

  // ---- start-up wait ----

  /** Applied a document listing this incarnation, with no acquire under way. */
  private settled(): boolean {
    const me = this.doc?.brokers.find((b) => b.nodeId === this.nodeId);
    return me !== undefined && me.incarnation === this.membership.incarnation && this.acquiring === 0;
  }

  private notifySettled(): void {
    if (this.acquiring === 0 && this.served < this.applied) {
      this.served = this.applied;
      this.beatLoop.kick(); // a topic's creator may be waiting for it (awaitPropagation)
    }
    if (!this.settled()) return;
    for (const w of this.settledWaiters.splice(0)) w();
  }

  private async waitSettled(ms: number): Promise<boolean> {
    if (this.settled()) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      new Promise<boolean>((r) => this.settledWaiters.push(() => r(true))),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), ms)),
    ]);
    clearTimeout(timer);
    return ok;
  }
}
