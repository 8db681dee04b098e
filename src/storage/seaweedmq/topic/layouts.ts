// Earlier partition layouts of a topic (CreatePartitions on SeaweedMQ). SeaweedMQ cannot add a partition to a
// topic: ConfigureTopic with a new count allocates a whole new layout (a new generation, new ring ranges, new
// directories v<time>/<start>-<stop>), and the records of the old layout stay in the old directories, which no
// broker serves any more. The gateway keeps Kafka's model -- partition i keeps its records and offsets -- by
// continuing partition i of the new layout at the old one's high watermark (PartitionState.seed) and reading the
// offsets below it from the old layout's log files, which are sealed: nothing writes them after the switch.
import type { SmqContext } from "../context.ts";
import { type FileRead, type LogFileCache, PartitionLogFiles, type VolumeLocator } from "../log_files.ts";
import type { Partition, Topic } from "../transport/messages.ts";
import { partitionDir, RING_SIZE, ringRange } from "../partition.ts";
import type { SmqRecord } from "../record_codec.ts";

/** An earlier layout: its generation (ns, decimal), partition count, and per partition the end of its offsets. */
export interface Layout {
  readonly generation: string;
  readonly partitions: number;
  readonly ends: readonly number[];
}

const MAX_MESSAGES = 10_000;

/** Offsets [start, end) of one Kafka partition, stored in the directory of an earlier layout. */
export class SealedSegment {
  private first = -1;
  private firstAt = 0;

  constructor(
    readonly start: number,
    readonly end: number,
    readonly dir: string,
    private readonly files: PartitionLogFiles,
  ) {}

  read(offset: number, maxMessages: number, maxBytes: number): Promise<FileRead | null> {
    return this.files.readSealed(Math.max(offset, this.start), this.end, maxMessages, maxBytes);
  }

  /** First offset still stored (retention may delete files), or -1; cached for 2 s. */
  async firstOffset(): Promise<number> {
    if (Date.now() - this.firstAt > 2000) {
      const f = await this.files.firstOffset();
      this.first = f >= 0 && f < this.end ? Math.max(f, this.start) : -1;
      this.firstAt = Date.now();
    }
    return this.first;
  }

  size(): Promise<number> {
    return this.files.size();
  }

  /** Files deleted (retention, DeleteRecords). */
  forget(names: readonly string[]): void {
    this.files.forget(names);
    this.firstAt = 0;
  }
}

/** What one Kafka partition has in earlier layouts, oldest first. */
export class PartitionHistory {
  constructor(readonly segments: readonly SealedSegment[]) {}

  /** Where the current layout's offsets start (0 without history). */
  get end(): number {
    return this.segments.length === 0 ? 0 : this.segments[this.segments.length - 1].end;
  }

  /** The first offset stored in earlier layouts, or -1 when they hold none. */
  async logStart(): Promise<number> {
    for (const s of this.segments) {
      const f = await s.firstOffset();
      if (f >= 0) return f;
    }
    return -1;
  }

  /** Records from `offset` (below end), skipping layouts that hold nothing there; null when none remain. */
  async read(offset: number, maxBytes: number): Promise<FileRead | null> {
    for (const s of this.segments) {
      if (offset >= s.end) continue;
      const maxMessages = Math.max(1, Math.min(MAX_MESSAGES, Math.ceil(maxBytes / 16)));
      const r = await s.read(offset, maxMessages, Math.max(maxBytes, 64 * 1024));
      if (r) return r;
    }
    return null;
  }

  /** Calls `fn` per stored record from `offset` up to end; false when `fn` stopped the walk. */
  async scan(offset: number, fn: (offset: number, r: SmqRecord) => boolean): Promise<boolean> {
    let o = offset;
    while (o < this.end) {
      const r = await this.read(o, 8 * 1024 * 1024);
      if (!r) return true;
      for (let i = 0; i < r.length; i++) if (!fn(r.offsets[i], r.record(i))) return false;
      o = r.lastOffset() + 1;
    }
    return true;
  }

  async size(): Promise<number> {
    let n = 0;
    for (const s of this.segments) n += await s.size();
    return n;
  }

  /** Directories of the earlier layouts (retention, DeleteRecords). */
  get dirs(): readonly { dir: string; start: number; end: number }[] {
    return this.segments.map((s) => ({ dir: s.dir, start: s.start, end: s.end }));
  }
}

/** The directory of Kafka partition i in a layout of n partitions of generation `generation`. */
export function layoutDir(topic: Topic, generation: string, i: number, n: number): string {
  const r = ringRange(i, n);
  const p: Partition = {
    ringSize: RING_SIZE,
    rangeStart: r.start,
    rangeStop: r.stop,
    unixTimeNs: BigInt(generation),
  };
  return partitionDir(topic, p);
}

/** Per Kafka partition (0..count-1), its history in `layouts` (oldest first). */
export function histories(
  ctx: SmqContext,
  topic: Topic,
  layouts: readonly Layout[],
  count: number,
  files: { cache: LogFileCache; volumes: VolumeLocator },
): PartitionHistory[] {
  const segs: SealedSegment[][] = Array.from({ length: count }, () => []);
  const starts = new Array<number>(count).fill(0);
  for (const l of layouts) {
    for (let i = 0; i < Math.min(l.partitions, count); i++) {
      const end = l.ends[i] ?? 0;
      if (end <= starts[i]) continue;
      const dir = layoutDir(topic, l.generation, i, l.partitions);
      segs[i].push(
        new SealedSegment(
          starts[i],
          end,
          dir,
          new PartitionLogFiles(ctx, () => dir, files.cache, files.volumes),
        ),
      );
      starts[i] = end;
    }
  }
  return segs.map((s) => new PartitionHistory(s));
}
