// Fetch: stored batches are served as they are (zero copy) up to max_bytes / partition_max_bytes, with a
// long poll that waits for appends until min_bytes or max_wait_ms. Fetch sessions (v7+, KIP-227) as Kafka keeps
// them (src/fetch/sessions.ts): epoch -1 a sessionless full fetch, 0 a full fetch opening a session, above 0 an
// incremental fetch of every partition of the session, answering only those with news. Fetch v0-3 clients get the v2
// batches down-converted to magic 0/1 message sets. Only the partition's leader answers: elsewhere
// NOT_LEADER_OR_FOLLOWER, a stale or future current_leader_epoch (v9+) FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH,
// both with the current leader (v12+) and its endpoint (v16+). In a distributed cluster each returned batch is
// stamped with the leader epoch it was written under (legacy message sets have no such field). Every answer
// carries the last stable offset (the first offset of the oldest open transaction, or the high watermark);
// read_committed (v4+) returns only the batches below it, with the aborted transactions they overlap, and its long
// poll also wakes when it moves.
import type { Broker, Handler, RequestContext } from "../request/context.ts";
import type {
  FetchRequest,
  FetchRequestTopic,
  FetchResponse,
  FetchResponsePartition,
  FetchResponseTopic,
} from "../protocol/messages/fetch.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import { FetchSession, FINAL_EPOCH, INITIAL_EPOCH } from "../fetch/sessions.ts";
import { errorCodeOf } from "./auto_create.ts";
import { downConvert } from "../records/legacy.ts";
import { ApiKey } from "../protocol/api_keys.ts";
import { LeaderHints, servingEpochOf, stampFetchedEpochs } from "./routing.ts";
import type { PartitionProducerState } from "../producer/state.ts";
import { getInt32, getInt64, ZERO_UUID } from "../protocol/codec.ts";
import {
  BATCH_HEADER_SIZE,
  LAST_OFFSET_DELTA_OFFSET,
  LENGTH_OFFSET,
  LOG_OVERHEAD,
} from "../records/layout.ts";

const EMPTY = new Uint8Array(0);
const READ_COMMITTED = 1;
/**
 * Upper bound on the records of one response, whatever the client asks (Kafka's broker config fetch.max.bytes,
 * 55 MiB by default; it also bounds Fetch v0-2, which have no max_bytes). KIP-74's first batch may exceed it.
 */
const FETCH_MAX_BYTES = 57_671_680;
/** Upper bound on a long poll, whatever the client asks. */
const MAX_WAIT_CAP_MS = 30_000;

interface Collected {
  readonly responses: FetchResponseTopic[];
  /** Leaders named in NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH answers (nodeEndpoints, v16+). */
  readonly hints: LeaderHints;
  readonly bytes: number;
  /** Partitions to watch for appends while long-polling. */
  readonly watch: Watched[];
  /** A partition answered with an error: the response goes out at once, as Kafka's broker does. */
  readonly failed: boolean;
}

interface Watched {
  readonly topic: string;
  readonly partition: number;
  /** High watermark seen when the partition was read. */
  hw: number;
  /** read_committed: the partition's producer state, whose last stable offset (`lso` when read) also wakes. */
  readonly state?: PartitionProducerState;
  readonly lso?: number;
}

/**
 * read_committed: the stored batches below the last stable offset `lso` (views of the read chunks, which may each
 * hold several batches; nothing is copied) and the offset after the last one kept (-1: none kept).
 */
export function cutAtStableOffset(
  chunks: readonly Uint8Array[],
  lso: number,
): { batches: Uint8Array[]; bytes: number; end: number } {
  const out: Uint8Array[] = [];
  let bytes = 0;
  let end = -1;
  for (const chunk of chunks) {
    let pos = 0;
    while (pos + BATCH_HEADER_SIZE <= chunk.length) {
      const base = getInt64(chunk, pos);
      if (base >= lso) break;
      end = base + getInt32(chunk, pos + LAST_OFFSET_DELTA_OFFSET) + 1;
      pos += LOG_OVERHEAD + getInt32(chunk, pos + LENGTH_OFFSET);
    }
    const keep = Math.min(pos, chunk.length);
    if (keep > 0) {
      out.push(keep === chunk.length ? chunk : chunk.subarray(0, keep));
      bytes += keep;
    }
    if (keep < chunk.length) break;
  }
  return { batches: out, bytes, end };
}

function topicName(broker: Broker, t: FetchRequestTopic, version: number): string | null {
  if (version >= 13) {
    return t.topicId === undefined ? null : broker.storage.getTopicById(t.topicId)?.name ?? null;
  }
  return t.topic ?? null;
}

async function collect(ctx: RequestContext, req: FetchRequest): Promise<Collected> {
  const { storage, cluster } = ctx.broker;
  const v = ctx.header.apiVersion;
  const hints = new LeaderHints(cluster, ctx.listener.name);
  // Batches keep no leader epoch in a distributed backend; v0-3 get message sets without one.
  const stamp = cluster.distributed && v >= 4;
  let remaining = v >= 3 && req.maxBytes !== undefined
    ? Math.min(Math.max(0, req.maxBytes), FETCH_MAX_BYTES)
    : FETCH_MAX_BYTES;
  // A partition named twice is read once (Kafka keeps one entry per partition); repeats get its offsets only.
  const seen = new Set<string>();
  let total = 0;
  const watch: Watched[] = [];
  const responses: FetchResponseTopic[] = [];
  let failed = false;
  const committed = v >= 4 && req.isolationLevel === READ_COMMITTED;
  for (const t of req.topics) {
    const name = topicName(ctx.broker, t, v);
    const meta = name !== null ? storage.getTopic(name) : undefined;
    const partitions: FetchResponsePartition[] = [];
    responses.push({ topic: t.topic, topicId: t.topicId, partitions });
    for (const p of t.partitions) {
      const r: FetchResponsePartition = {
        partitionIndex: p.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        // Tagged (v12+) and omitted while they hold these defaults.
        divergingEpoch: { epoch: -1, endOffset: -1 },
        currentLeader: { leaderId: -1, leaderEpoch: -1 },
        snapshotId: { endOffset: -1, epoch: -1 },
        abortedTransactions: req.isolationLevel === READ_COMMITTED ? [] : null,
        preferredReadReplica: -1,
        records: EMPTY,
      };
      partitions.push(r);
      try {
        if (!meta) {
          throw new KafkaError(v >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        if (p.partition < 0 || p.partition >= meta.partitions) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }
        servingEpochOf(cluster, meta.name, p.partition, p.currentLeaderEpoch);
        const limit = Math.min(p.partitionMaxBytes, remaining);
        const key = `${p.partition} ${meta.name}`;
        const repeat = seen.has(key);
        seen.add(key);
        // The producer state for the last stable offset: read_committed loads it (once per partition: from its
        // snapshot, or a scan of the stored batch headers the first time); read_uncommitted only reports the LSO
        // and uses the state when it is loaded already (most partitions never see a transaction), with no await.
        let state: PartitionProducerState | null;
        if (committed) {
          const s = ctx.broker.producers.partition(meta, p.partition);
          state = s instanceof Promise ? await s : s;
        } else {
          state = ctx.broker.producers.peek(meta, p.partition) ?? null;
        }
        if (repeat || (limit <= 0 && total > 0)) {
          const o = await storage.offsets(meta.name, p.partition);
          r.highWatermark = o.highWatermark;
          r.lastStableOffset = state !== null ? state.lastStableOffset(o.highWatermark) : o.highWatermark;
          r.logStartOffset = o.logStartOffset;
          watch.push(
            committed && state !== null
              ? {
                topic: meta.name,
                partition: p.partition,
                hw: o.highWatermark,
                state,
                lso: r.lastStableOffset,
              }
              : { topic: meta.name, partition: p.partition, hw: o.highWatermark },
          );
          continue;
        }
        // KIP-74: the first partition with data returns at least one whole batch so consumers progress.
        const res = await storage.read(
          meta.name,
          p.partition,
          p.fetchOffset,
          Math.max(0, limit),
          total === 0,
        );
        r.highWatermark = res.highWatermark;
        r.lastStableOffset = state !== null ? state.lastStableOffset(res.highWatermark) : res.highWatermark;
        r.logStartOffset = res.logStartOffset;
        let batches = res.batches;
        let bytes = res.bytes;
        if (committed && state !== null) {
          watch.push({
            topic: meta.name,
            partition: p.partition,
            hw: res.highWatermark,
            state,
            lso: r.lastStableOffset,
          });
          if (bytes > 0) {
            // Only what is below the last stable offset, with the aborted transactions it overlaps.
            const cut = cutAtStableOffset(batches, r.lastStableOffset);
            batches = cut.batches;
            bytes = cut.bytes;
            state.pruneAborted(res.logStartOffset);
            if (cut.end >= 0) r.abortedTransactions = state.abortedTransactions(p.fetchOffset, cut.end);
          }
        } else {
          watch.push({ topic: meta.name, partition: p.partition, hw: res.highWatermark });
        }
        if (bytes > 0) {
          if (v < 4) {
            const converted = await downConvert(batches, v < 2 ? 0 : 1, p.fetchOffset);
            r.records = converted;
            total += converted.length;
            remaining -= converted.length;
          } else {
            if (stamp) {
              for (const b of batches) stampFetchedEpochs(cluster, meta.name, p.partition, b);
            }
            r.records = batches;
            total += bytes;
            remaining -= bytes;
          }
        }
      } catch (e) {
        failed = true;
        r.errorCode = errorCodeOf(e);
        if (
          v >= 12 && meta &&
          (r.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || r.errorCode === ErrorCode.FENCED_LEADER_EPOCH)
        ) {
          r.currentLeader = hints.leader(meta.name, p.partition);
        } else if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && meta) {
          const o = await storage.offsets(meta.name, p.partition).catch(() => null);
          if (o) {
            const state = ctx.broker.producers.peek(meta, p.partition);
            r.highWatermark = o.highWatermark;
            r.lastStableOffset = state !== undefined
              ? state.lastStableOffset(o.highWatermark)
              : o.highWatermark;
            r.logStartOffset = o.logStartOffset;
          }
        } else if (r.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) {
          ctx.log.error("fetch from {topic}-{partition} failed: {reason}", {
            topic: name,
            partition: p.partition,
            reason: String((e as Error)?.stack ?? e),
          });
        }
      }
    }
  }
  return { responses, hints, bytes: total, watch, failed };
}

/** Resolves on the first append to any watched partition, at the deadline, or at shutdown. */
function waitForAppend(broker: Broker, watch: Collected["watch"], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const unsubs: (() => void)[] = [];
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const u of unsubs) u();
      broker.shutdown.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    broker.shutdown.addEventListener("abort", done, { once: true });
    try {
      for (const w of watch) {
        unsubs.push(broker.storage.subscribe(w.topic, w.partition, done));
        // read_committed: a marker (or a transaction's first append settling) moves the last stable offset.
        if (w.state !== undefined) unsubs.push(w.state.onStable(done));
      }
    } catch {
      done(); // the partition went away (topic deleted): answer now, the next read reports it
      return;
    }
    for (const w of watch) {
      if (w.state !== undefined && Math.min(w.state.firstUnstableOffset(), w.hw) > w.lso!) {
        done(); // the last stable offset moved between the read and the subscription
        return;
      }
    }
    // An append may have landed between the read and the subscription: do not sleep through it. Only a high
    // watermark above the one the read saw counts, so this check cannot wake the loop again and again.
    Promise.all(
      watch.map((w) => broker.storage.offsets(w.topic, w.partition).then((o) => o.highWatermark > w.hw)),
    )
      .then((moved) => {
        if (moved.some((m) => m)) done();
      }, done);
  });
}

/** How a request is served: without a session, as a full fetch (maybe opening one), or incrementally. */
type Plan =
  | { readonly kind: "sessionless"; readonly request: FetchRequest }
  | { readonly kind: "full"; readonly request: FetchRequest; readonly session: FetchSession | null }
  | { readonly kind: "incremental"; readonly request: FetchRequest; readonly session: FetchSession }
  | { readonly kind: "error"; readonly errorCode: number };

/** KIP-227 (src/fetch/sessions.ts): what a v7+ request's session id and epoch ask for. */
function plan(ctx: RequestContext, req: FetchRequest): Plan {
  const v = ctx.header.apiVersion;
  const cache = ctx.broker.fetchSessions;
  if (v < 7) return { kind: "sessionless", request: req };
  const usesTopicIds = v >= 13;
  const owner = `${ctx.principal.type}:${ctx.principal.name}`;
  const authVersion = ctx.broker.acls?.matcher ?? null;
  const now = Date.now();
  const sessionId = req.sessionId ?? 0;
  const epoch = req.sessionEpoch ?? FINAL_EPOCH;
  if (epoch === FINAL_EPOCH || epoch === INITIAL_EPOCH) {
    // A full fetch; a named session is closed first (Kafka: FetchManager.newContext).
    if (sessionId !== 0) cache?.remove(sessionId);
    if (epoch === FINAL_EPOCH || !cache) return { kind: "sessionless", request: req };
    const session = cache.create(usesTopicIds, owner, authVersion, now);
    if (session !== null) {
      for (const t of req.topics) {
        for (const p of t.partitions) session.put(sessionPartition(t, p));
      }
    }
    return { kind: "full", request: req, session };
  }
  if (epoch < FINAL_EPOCH || !cache) {
    return { kind: "error", errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
  }
  const found = cache.continue(sessionId, epoch, usesTopicIds, owner, authVersion, now);
  if (found.kind === "error") return found;
  const session = found.session;
  for (const t of req.topics) {
    for (const p of t.partitions) session.put(sessionPartition(t, p));
  }
  for (const f of req.forgottenTopicsData ?? []) {
    for (const p of f.partitions) session.forget(f.topic ?? "", f.topicId ?? ZERO_UUID, p);
  }
  // Every partition of the session, in its order; consecutive partitions of one topic share an entry.
  const topics: FetchRequestTopic[] = [];
  for (const p of session.partitions.values()) {
    const last = topics.at(-1);
    const part = {
      partition: p.partition,
      currentLeaderEpoch: p.currentLeaderEpoch,
      fetchOffset: p.fetchOffset,
      lastFetchedEpoch: p.lastFetchedEpoch,
      logStartOffset: p.logStartOffset,
      partitionMaxBytes: p.partitionMaxBytes,
    };
    if (last !== undefined && (usesTopicIds ? last.topicId === p.topicId : last.topic === p.topic)) {
      last.partitions.push(part);
    } else topics.push({ topic: p.topic, topicId: p.topicId, partitions: [part] });
  }
  return { kind: "incremental", request: { ...req, topics }, session };
}

function sessionPartition(t: FetchRequestTopic, p: FetchRequestTopic["partitions"][number]) {
  return {
    topic: t.topic ?? "",
    topicId: t.topicId ?? ZERO_UUID,
    partition: p.partition,
    fetchOffset: p.fetchOffset,
    partitionMaxBytes: p.partitionMaxBytes,
    currentLeaderEpoch: p.currentLeaderEpoch ?? -1,
    lastFetchedEpoch: p.lastFetchedEpoch ?? -1,
    logStartOffset: p.logStartOffset ?? -1,
  };
}

function hasRecords(r: FetchResponsePartition): boolean {
  const rec = r.records;
  if (rec === null || rec === undefined) return false;
  if (rec instanceof Uint8Array) return rec.length > 0;
  return rec.some((b) => b.length > 0);
}

/**
 * Walks an answer's partitions with their session keys: `keep` decides which stay (all, for a full fetch).
 * Topics left without partitions are dropped.
 */
function throughSession(
  session: FetchSession,
  responses: FetchResponseTopic[],
  keep: (key: string, r: FetchResponsePartition) => boolean,
): FetchResponseTopic[] {
  const out: FetchResponseTopic[] = [];
  for (const t of responses) {
    const partitions = t.partitions.filter((r) =>
      keep(
        FetchSession.key(t.topic ?? "", t.topicId ?? ZERO_UUID, r.partitionIndex, session.usesTopicIds),
        r,
      )
    );
    if (partitions.length > 0) out.push(partitions.length === t.partitions.length ? t : { ...t, partitions });
  }
  return out;
}

const outcome = (r: FetchResponsePartition) => ({
  errorCode: r.errorCode,
  highWatermark: r.highWatermark,
  logStartOffset: r.logStartOffset ?? -1,
  hasRecords: hasRecords(r),
});

export const fetchHandler: Handler<FetchRequest, FetchResponse> = async (ctx, req) => {
  const v = ctx.header.apiVersion;
  const p = plan(ctx, req);
  if (p.kind === "error") {
    ctx.broker.metrics?.error(ApiKey.Fetch, p.errorCode);
    return { errorCode: p.errorCode, sessionId: 0, responses: [], nodeEndpoints: [] };
  }
  const request = p.request;
  const deadline = Date.now() + Math.min(Math.max(0, request.maxWaitMs), MAX_WAIT_CAP_MS);
  let c = await collect(ctx, request);
  // Kafka answers at once when a partition has an error (OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION, ...):
  // the client must see it now, not after max_wait. Otherwise the only waits are for an append, the deadline or
  // shutdown (waitForAppend); the loop never re-reads without one of them.
  while (c.bytes < Math.max(1, request.minBytes) && !c.failed && !ctx.broker.shutdown.aborted) {
    const left = deadline - Date.now();
    if (left <= 0 || c.watch.length === 0) break;
    await waitForAppend(ctx.broker, c.watch, left);
    c = await collect(ctx, request);
  }
  let responses = c.responses;
  let sessionId = 0;
  if (p.kind === "full" && p.session !== null) {
    const s = p.session;
    throughSession(s, responses, (key, r) => {
      s.remember(key, outcome(r));
      return true;
    });
    sessionId = s.id;
  } else if (p.kind === "incremental") {
    const s = p.session;
    responses = throughSession(s, responses, (key, r) => s.mustAnswer(key, outcome(r)));
    sessionId = s.id;
  }
  // Bytes and records out per topic, partition errors (no allocation; records counted from batch headers).
  ctx.broker.metrics?.fetchResponse(ctx.broker.storage, v, responses);
  return {
    errorCode: ErrorCode.NONE,
    sessionId,
    responses,
    nodeEndpoints: c.hints.endpoints(),
  };
};
