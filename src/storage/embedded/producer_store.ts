// The embedded backend's ProducerStateStore: producer ids are handed out in blocks recorded in
// `<data-dir>/producer_ids` (the next unallocated id, replaced atomically and fsynced before a block is used, so an
// id is never given twice even after a crash), and each partition's producer-state snapshot is the file
// `producer.snapshot` in the partition directory (deleted with the topic).
import { join } from "node:path";
import { ErrorCode } from "../../protocol/errors.ts";
import { type ProducerStateStore, StorageError } from "../storage.ts";
import { atomicWrite, errorText, readFileOrNull } from "./files.ts";
import type { StorageHealth } from "./health.ts";
import { SerialQueue } from "../../serial.ts";

export const PRODUCER_IDS_FILE = "producer_ids";
export const PRODUCER_SNAPSHOT_FILE = "producer.snapshot";
const MAX_ID = Number.MAX_SAFE_INTEGER;

export class EmbeddedProducerStore implements ProducerStateStore {
  /** Allocations run one at a time: each reads the next id the previous one wrote. */
  private readonly allocations = new SerialQueue();

  constructor(
    private readonly dataDir: string,
    /** Directory of a live partition, or null when the topic or partition does not exist. */
    private readonly partitionDir: (topic: string, partition: number) => string | null,
    /** Where I/O failures are counted and logged once per condition. */
    private readonly health?: StorageHealth,
  ) {}

  allocateProducerIds(count: number): Promise<number> {
    const run = async () => {
      if (!Number.isSafeInteger(count) || count < 1) throw new Error(`invalid producer id count ${count}`);
      const path = join(this.dataDir, PRODUCER_IDS_FILE);
      let next = 0;
      const raw = readFileOrNull(path);
      if (raw !== null) {
        const m = /^next\.producer\.id=(\d+)$/m.exec(new TextDecoder().decode(raw));
        if (!m || !Number.isSafeInteger(Number(m[1]))) {
          throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `${path} is corrupt; refusing to reuse ids`);
        }
        next = Number(m[1]);
      }
      if (next + count > MAX_ID) {
        throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, "producer ids exhausted");
      }
      try {
        await atomicWrite(path, new TextEncoder().encode(`next.producer.id=${next + count}\n`), true);
      } catch (e) {
        this.health?.failed(path, path, e);
        throw e;
      }
      this.health?.ok(path, false);
      return next;
    };
    return this.allocations.run(run);
  }

  loadProducerSnapshot(topic: string, partition: number): Promise<Uint8Array | null> {
    try {
      const dir = this.partitionDir(topic, partition);
      return Promise.resolve(dir === null ? null : readFileOrNull(join(dir, PRODUCER_SNAPSHOT_FILE)));
    } catch (e) {
      return Promise.reject(
        new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `reading producer snapshot: ${errorText(e)}`),
      );
    }
  }

  async saveProducerSnapshot(topic: string, partition: number, data: Uint8Array): Promise<void> {
    const dir = this.partitionDir(topic, partition);
    if (dir === null) return;
    const path = join(dir, PRODUCER_SNAPSHOT_FILE);
    try {
      await atomicWrite(path, data, true);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return; // the topic was deleted meanwhile
      this.health?.failed(`${topic}-${partition}`, path, e);
      throw new StorageError(ErrorCode.KAFKA_STORAGE_ERROR, `writing producer snapshot: ${errorText(e)}`);
    }
    this.health?.ok(`${topic}-${partition}`, false);
  }
}
