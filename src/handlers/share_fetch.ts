// ShareFetch (78) and ShareAcknowledge (79), KIP-932's share consumer path (served with group.share.enable). The
// handlers check the request and the member's share session (src/groups/share/sessions.ts), apply the
// acknowledgements (per partition: acknowledgeErrorCode in ShareFetch, errorCode in ShareAcknowledge), then —
// ShareFetch, unless it is the member's last request (epoch -1) — acquire records across the session's partitions
// (src/groups/share/share_partitions.ts) up to MaxRecords and MaxBytes, waiting up to MaxWaitMs for a record to
// become available (an append, a release, a lock passing). Behaviour as Kafka 4.1, with 4.2's v2:
// - top-level INVALID_REQUEST for an empty group or member id and for acknowledgements on the opening request;
// - v2 IsRenewAck (KIP-1222): the request renews locks (acknowledge type 4, refused without the flag) and fetches
//   nothing: MaxBytes, MinBytes, MaxRecords and MaxWaitMs must be 0 (else INVALID_REQUEST), the answer comes at
//   once; share.renew.acknowledge.enable=false refuses renewals (INVALID_REQUEST per partition);
// - v2 ShareAcquireMode (KIP-1206): 0 batch-optimized (whole batches up to MaxRecords), 1 record-limit (never
//   more than MaxRecords records), another value INVALID_REQUEST;
//   SHARE_SESSION_NOT_FOUND / INVALID_SHARE_SESSION_EPOCH for the session;
// - per partition UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER (with the current leader),
//   INVALID_RECORD_STATE for acknowledgements of records not acquired by the member;
// - a session ends with the connection that opened it: the member's records are released then;
// - the opening request answers every partition of the session, later ones those with records, acknowledgement
//   results or errors; the last request (epoch -1) releases what the member still holds.
// - Records are whole stored batches; AcquiredRecords says which offsets of them are the member's (with their
//   delivery counts), as Kafka's clients expect.
import type { Answer, Handler, RequestContext } from "../request/context.ts";
import type {
  ShareFetchRequest,
  ShareFetchResponse,
  ShareFetchResponsePartition,
} from "../protocol/messages/share_fetch.ts";
import type {
  ShareAcknowledgeRequest,
  ShareAcknowledgeResponse,
} from "../protocol/messages/share_acknowledge.ts";
import { ErrorCode, KafkaError } from "../protocol/errors.ts";
import type { TopicMeta } from "../storage/storage.ts";
import { FINAL_EPOCH, INITIAL_EPOCH, type ShareSession } from "../groups/share/sessions.ts";
import { type ShareService, sharesOn } from "../groups/share/service.ts";
import type { AckBatch } from "../groups/share/share_partition.ts";

const EMPTY = new Uint8Array(0);
const BATCH_OPTIMIZED = 0;
const RECORD_LIMIT = 1;
const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

type Row = ShareFetchResponsePartition;
/** A partition's row with its topic's id (rows are keyed "topicId:partition"). */
type TopicRow = { readonly topicId: string; readonly row: Row };
type AckRow = ShareAcknowledgeResponse["responses"][number]["partitions"][number];

function row(partitionIndex: number): Row {
  return {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    acknowledgeErrorCode: ErrorCode.NONE,
    acknowledgeErrorMessage: null,
    currentLeader: NO_LEADER,
    records: EMPTY,
    acquiredRecords: [],
  };
}

/** The topic and partition, or the error of a row naming them. */
function resolve(
  ctx: RequestContext,
  topicId: string,
  partition: number,
): { meta: TopicMeta } | { code: number; message: string } {
  const meta = ctx.broker.storage.getTopicById(topicId);
  if (meta === undefined) return { code: ErrorCode.UNKNOWN_TOPIC_ID, message: `unknown topic id ${topicId}` };
  if (partition < 0 || partition >= meta.partitions) {
    return {
      code: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      message: `${meta.name}-${partition} does not exist`,
    };
  }
  return { meta };
}

function failure(e: unknown): { code: number; message: string } {
  if (e instanceof KafkaError) return { code: e.code, message: e.message };
  return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: e instanceof Error ? e.message : String(e) };
}

function leaderOf(ctx: RequestContext, meta: TopicMeta, partition: number, code: number) {
  return code === ErrorCode.NOT_LEADER_OR_FOLLOWER
    ? ctx.broker.cluster.leaderOf(meta.name, partition)
    : NO_LEADER;
}

/** Releases what the member holds in its session's partitions (its session closed). */
async function releaseSession(ctx: RequestContext, s: ShareService, session: ShareSession): Promise<void> {
  const parts: { topic: TopicMeta; partition: number }[] = [];
  for (const p of session.partitions.values()) {
    const meta = ctx.broker.storage.getTopicById(p.topicId);
    if (meta !== undefined) parts.push({ topic: meta, partition: p.partition });
  }
  await s.partitions.releaseMember(session.groupId, session.memberId, parts);
}

function topLevel<T>(errorCode: number, errorMessage: string, extra: T) {
  return { errorCode, errorMessage, responses: [], nodeEndpoints: [], ...extra };
}

export const shareFetchHandler: Handler<ShareFetchRequest, ShareFetchResponse> = async (ctx, req) => {
  const s = sharesOn(ctx.broker.shares);
  const groupId = req.groupId ?? "";
  const memberId = req.memberId ?? "";
  const lockMs = groupId === "" ? 0 : s.lockDurationMs(groupId);
  const fail = (code: number, message: string): Answer<ShareFetchResponse> =>
    topLevel(code, message, { acquisitionLockTimeoutMs: lockMs });
  if (groupId === "") return fail(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
  if (memberId === "") return fail(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  if (req.isRenewAck) {
    const nonZero = (["maxBytes", "minBytes", "maxRecords", "maxWaitMs"] as const).filter((k) =>
      req[k] !== 0
    );
    if (nonZero.length > 0) {
      return fail(
        ErrorCode.INVALID_REQUEST,
        `${nonZero.map((k) => `${k} must be set to 0, `).join("")}if isRenewAck is true.`,
      );
    }
  }
  if (req.shareAcquireMode !== BATCH_OPTIMIZED && req.shareAcquireMode !== RECORD_LIMIT) {
    return fail(ErrorCode.INVALID_REQUEST, `Unknown share acquire mode id: ${req.shareAcquireMode}`);
  }
  const epoch = req.shareSessionEpoch;
  const acks = req.topics.some((t) => t.partitions.some((p) => p.acknowledgementBatches.length > 0));
  if (epoch === INITIAL_EPOCH && acks) {
    return fail(ErrorCode.INVALID_REQUEST, "Acknowledge data present on initial ShareFetch request.");
  }
  let session: ShareSession;
  try {
    session = s.sessions.begin(groupId, memberId, epoch, true);
  } catch (e) {
    const f = failure(e);
    return fail(f.code, f.message);
  }
  if (epoch === INITIAL_EPOCH && ctx.closing !== undefined) {
    // As Kafka's share session cache: the connection that opened the session closing (a consumer killed, its
    // network gone) ends it, and what the member held is available to the others at once, not after its locks.
    const opened = session;
    const closing = ctx.closing;
    const closed = () => {
      if (!s.sessions.end(opened)) return;
      ctx.log.debug("share session of {member} in {group} ends with its connection", {
        member: memberId,
        group: groupId,
      });
      releaseSession(ctx, s, opened).catch(() => {});
    };
    closing.addEventListener("abort", closed, { once: true });
    opened.detach = () => closing.removeEventListener("abort", closed);
  }
  const rows = new Map<string, TopicRow>();
  const rowOf = (topicId: string, partition: number): Row => {
    const k = `${topicId}:${partition}`;
    let r = rows.get(k);
    if (r === undefined) rows.set(k, r = { topicId, row: row(partition) });
    return r.row;
  };
  for (const f of req.forgottenTopicsData) for (const p of f.partitions) session.remove(f.topicId, p);
  if (epoch !== FINAL_EPOCH) {
    // A partition the session starts fetching: the state held for it is checked against its document (the admin
    // APIs may have replaced it while the group was empty).
    const added: Promise<void>[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        if (session.add(t.topicId, p.partitionIndex)) {
          added.push(s.partitions.revalidate(groupId, t.topicId, p.partitionIndex));
        }
      }
    }
    await Promise.all(added);
  }
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (p.acknowledgementBatches.length === 0) continue;
      const r = rowOf(t.topicId, p.partitionIndex);
      const where = resolve(ctx, t.topicId, p.partitionIndex);
      if ("code" in where) {
        r.acknowledgeErrorCode = where.code;
        r.acknowledgeErrorMessage = where.message;
        continue;
      }
      try {
        await s.partitions.acknowledge(
          groupId,
          memberId,
          where.meta,
          p.partitionIndex,
          p.acknowledgementBatches,
          req.isRenewAck,
        );
      } catch (e) {
        const f = failure(e);
        r.acknowledgeErrorCode = f.code;
        r.acknowledgeErrorMessage = f.message;
        r.currentLeader = leaderOf(ctx, where.meta, p.partitionIndex, f.code);
      }
    }
  }
  if (epoch === FINAL_EPOCH || req.isRenewAck) {
    // The last request releases what the member still holds; a renewal answers at once (fetching could take
    // longer than the lock it renewed).
    if (epoch === FINAL_EPOCH) await releaseSession(ctx, s, session);
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      acquisitionLockTimeoutMs: lockMs,
      ...answer(rows),
    };
  }

  // Acquire across the session's partitions; wait for records up to MaxWaitMs when none could be acquired.
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const errored = new Set<string>();
  for (;;) {
    // A client gone meanwhile can no longer receive records: acquiring them would lock them to it until the lock
    // passes.
    if (ctx.closing?.aborted === true) break;
    let records = Math.max(1, req.maxRecords);
    let bytes = Math.max(1, req.maxBytes);
    const watch: { topic: string; partition: number }[] = [];
    for (const [k, p] of session.partitions) {
      if (errored.has(k)) continue;
      const where = resolve(ctx, p.topicId, p.partition);
      if ("code" in where) {
        const r = rowOf(p.topicId, p.partition);
        r.errorCode = where.code;
        r.errorMessage = where.message;
        errored.add(k);
        continue;
      }
      watch.push({ topic: where.meta.name, partition: p.partition });
      if (records <= 0 || bytes <= 0) continue;
      try {
        const got = await s.partitions.fetch(
          groupId,
          memberId,
          where.meta,
          p.partition,
          records,
          bytes,
          req.shareAcquireMode === RECORD_LIMIT,
        );
        if (got.ranges.length === 0) continue;
        const r = rowOf(p.topicId, p.partition);
        r.records = got.batches;
        r.acquiredRecords = got.ranges.map((x) => ({ ...x }));
        for (const x of got.ranges) records -= x.lastOffset - x.firstOffset + 1;
        bytes -= got.bytes;
      } catch (e) {
        const f = failure(e);
        const r = rowOf(p.topicId, p.partition);
        r.errorCode = f.code;
        r.errorMessage = f.message;
        r.currentLeader = leaderOf(ctx, where.meta, p.partition, f.code);
        errored.add(k);
      }
    }
    const acquired = [...rows.values()].some((r) => r.row.acquiredRecords.length > 0);
    const left = deadline - Date.now();
    if (acquired || left <= 0 || ctx.broker.shutdown.aborted || watch.length === 0) break;
    await s.partitions.waitForWork(watch, left, ctx.closing);
  }
  if (ctx.closing?.aborted === true) {
    // The connection closed while records were acquired for it (its session's release may have come first): they
    // can no longer reach the member, so they go back at once, their delivery not counted.
    const undone: Promise<void>[] = [];
    for (const { topicId, row: r } of rows.values()) {
      if (r.acquiredRecords.length === 0) continue;
      undone.push(s.partitions.unacquire(groupId, memberId, topicId, r.partitionIndex, r.acquiredRecords));
    }
    await Promise.all(undone);
  }
  if (epoch === INITIAL_EPOCH) { for (const p of session.partitions.values()) rowOf(p.topicId, p.partition); }
  return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs: lockMs, ...answer(rows) };
};

/** The rows grouped by topic id, partitions in the order they were added. */
function answer(rows: ReadonlyMap<string, TopicRow>) {
  const byTopic = new Map<string, Row[]>();
  for (const { topicId, row: r } of rows.values()) {
    let list = byTopic.get(topicId);
    if (list === undefined) byTopic.set(topicId, list = []);
    list.push(r);
  }
  return {
    responses: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
    nodeEndpoints: [],
  };
}

export const shareAcknowledgeHandler: Handler<ShareAcknowledgeRequest, ShareAcknowledgeResponse> = async (
  ctx,
  req,
) => {
  const s = sharesOn(ctx.broker.shares);
  const groupId = req.groupId ?? "";
  const memberId = req.memberId ?? "";
  const lockMs = groupId === "" ? 0 : s.lockDurationMs(groupId);
  const fail = (code: number, message: string): Answer<ShareAcknowledgeResponse> =>
    topLevel(code, message, { acquisitionLockTimeoutMs: lockMs });
  if (groupId === "") return fail(ErrorCode.INVALID_REQUEST, "GroupId can't be empty.");
  if (memberId === "") return fail(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  let session: ShareSession;
  try {
    session = s.sessions.begin(groupId, memberId, req.shareSessionEpoch, false);
  } catch (e) {
    const f = failure(e);
    return fail(f.code, f.message);
  }
  const responses = [];
  for (const t of req.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      const r: AckRow = {
        partitionIndex: p.partitionIndex,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        currentLeader: NO_LEADER,
      };
      partitions.push(r);
      const where = resolve(ctx, t.topicId, p.partitionIndex);
      if ("code" in where) {
        r.errorCode = where.code;
        r.errorMessage = where.message;
        continue;
      }
      const batches: AckBatch[] = p.acknowledgementBatches;
      try {
        await s.partitions.acknowledge(
          groupId,
          memberId,
          where.meta,
          p.partitionIndex,
          batches,
          req.isRenewAck,
        );
      } catch (e) {
        const f = failure(e);
        r.errorCode = f.code;
        r.errorMessage = f.message;
        r.currentLeader = leaderOf(ctx, where.meta, p.partitionIndex, f.code);
      }
    }
    responses.push({ topicId: t.topicId, partitions });
  }
  if (req.shareSessionEpoch === FINAL_EPOCH) await releaseSession(ctx, s, session);
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    acquisitionLockTimeoutMs: lockMs,
    responses,
    nodeEndpoints: [],
  };
};
