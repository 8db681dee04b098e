// Crash recovery of a partition's segment files when it opens: lists the directory, removes leftovers (temp files
// and indexes without their log), and opens every segment, fully scanning those that may hold data beyond the
// checkpointed recovery point (a torn or corrupt tail is truncated by Segment.open). Runs once per partition at
// start-up, before the partition serves anything.
import { join } from "node:path";
import { INDEX_SUFFIX, LOG_SUFFIX, parseSegmentFileName, removeIfExists, TIMEINDEX_SUFFIX } from "./files.ts";
import { Segment, type SegmentEnv } from "./segment.ts";

/** The partition's segments in offset order (none when the directory holds no segment file). */
export async function recoverSegments(
  name: string,
  dir: string,
  env: SegmentEnv,
  recoveryPoint: number,
): Promise<Segment[]> {
  const logs = new Set<number>();
  const others: { name: string; base: number | null }[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile) continue;
    const base = parseSegmentFileName(e.name, LOG_SUFFIX);
    if (base !== null) logs.add(base);
    else {
      others.push({
        name: e.name,
        base: parseSegmentFileName(e.name, INDEX_SUFFIX) ?? parseSegmentFileName(e.name, TIMEINDEX_SUFFIX),
      });
    }
  }
  for (const o of others) {
    if (o.name.endsWith(".tmp") || (o.base !== null && !logs.has(o.base))) {
      env.log("info", `${name}: removing leftover file ${o.name}`);
      await removeIfExists(join(dir, o.name));
    }
  }
  const segments: Segment[] = [];
  const bases = [...logs].sort((a, b) => a - b);
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i];
    let seg = Segment.open(dir, base, env, base >= recoveryPoint);
    if (!seg.recovered && seg.endOffset > recoveryPoint) {
      // Holds data past the recovery point: validate every batch of it.
      seg = Segment.open(dir, base, env, true);
    }
    segments.push(seg);
  }
  return segments;
}
