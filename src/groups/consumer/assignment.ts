// Set operations on assignments (topic id -> partitions), shared by the assignors, reconciliation and the group.
// Results never keep empty partition sets, so `size === 0` means "no partitions" and equality is structural.
import type { Assignment, TopicId } from "./contract.ts";

export const EMPTY_ASSIGNMENT: Assignment = new Map();

/** An assignment from wire rows (heartbeat TopicPartitions); duplicate rows merge. */
export function fromRows(rows: readonly { topicId: TopicId; partitions: readonly number[] }[]): Assignment {
  const out = new Map<TopicId, Set<number>>();
  for (const r of rows) {
    if (r.partitions.length === 0) continue;
    let s = out.get(r.topicId);
    if (s === undefined) out.set(r.topicId, s = new Set());
    for (const p of r.partitions) s.add(p);
  }
  return out;
}

/** Wire rows, topics and partitions sorted (stable responses and stored state). */
export function toRows(a: Assignment): { topicId: TopicId; partitions: number[] }[] {
  return [...a.keys()].sort().map((topicId) => ({
    topicId,
    partitions: [...a.get(topicId)!].sort((x, y) => x - y),
  }));
}

export function partitionCount(a: Assignment): number {
  let n = 0;
  for (const s of a.values()) n += s.size;
  return n;
}

export function has(a: Assignment, topicId: TopicId, partition: number): boolean {
  return a.get(topicId)?.has(partition) ?? false;
}

export function* partitionsOf(a: Assignment): Generator<[TopicId, number]> {
  for (const [t, s] of a) for (const p of s) yield [t, p];
}

export function union(a: Assignment, b: Assignment): Assignment {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const out = new Map<TopicId, Set<number>>();
  for (const [t, s] of a) out.set(t, new Set(s));
  for (const [t, s] of b) {
    const cur = out.get(t);
    if (cur === undefined) out.set(t, new Set(s));
    else for (const p of s) cur.add(p);
  }
  return out;
}

/** Partitions of `a` not in `b`. */
export function minus(a: Assignment, b: Assignment): Assignment {
  if (b.size === 0 || a.size === 0) return a;
  const out = new Map<TopicId, Set<number>>();
  for (const [t, s] of a) {
    const other = b.get(t);
    if (other === undefined) {
      out.set(t, new Set(s));
      continue;
    }
    const left = new Set<number>();
    for (const p of s) if (!other.has(p)) left.add(p);
    if (left.size > 0) out.set(t, left);
  }
  return out;
}

export function intersect(a: Assignment, b: Assignment): Assignment {
  const out = new Map<TopicId, Set<number>>();
  for (const [t, s] of a) {
    const other = b.get(t);
    if (other === undefined) continue;
    const both = new Set<number>();
    for (const p of s) if (other.has(p)) both.add(p);
    if (both.size > 0) out.set(t, both);
  }
  return out;
}

/** Whether `a` and `b` hold the same partitions. */
export function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (a === b) return true;
  let na = 0;
  for (const [t, s] of a) {
    if (s.size === 0) continue;
    na++;
    const o = b.get(t);
    if (o === undefined || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  let nb = 0;
  for (const s of b.values()) if (s.size > 0) nb++;
  return na === nb;
}

/** Whether any partition is in both. */
export function overlaps(a: Assignment, b: Assignment): boolean {
  for (const [t, s] of a) {
    const o = b.get(t);
    if (o === undefined) continue;
    for (const p of s) if (o.has(p)) return true;
  }
  return false;
}
