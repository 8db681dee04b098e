// Idempotent-producer state in the filer: producer ids are handed out in blocks, each claimed by creating its
// file exclusively (O_EXCL), so two gateways sharing a cluster never hand out the same id; snapshots are small
// files per partition.
import type { ProducerStateStore } from "../storage.ts";
import type { Filer } from "./transport/filer.ts";
import type { MetaPaths } from "./meta.ts";
import { SerialQueue } from "../../serial.ts";

/** Ids per claimed block. */
const BLOCK = 1 << 16;
const MAX_BLOCK = Math.floor((2 ** 53 - 1) / BLOCK) - 1;

export class SeaweedMQProducerStore implements ProducerStateStore {
  private next = 0;
  private end = 0;
  /** Allocations run one at a time: each takes ids from the block the previous one left (or claimed). */
  private readonly allocations = new SerialQueue();

  constructor(
    private readonly filer: Filer,
    private readonly paths: MetaPaths,
    private readonly exists: (topic: string, partition: number) => boolean,
  ) {}

  allocateProducerIds(count: number): Promise<number> {
    const run = async () => {
      if (this.end - this.next < count) {
        const blocks = Math.ceil(count / BLOCK);
        const first = await this.claim(blocks);
        this.next = first * BLOCK;
        this.end = (first + blocks) * BLOCK;
      }
      const id = this.next;
      this.next += count;
      return id;
    };
    return this.allocations.run(run);
  }

  /** Claims `n` consecutive blocks above every block already claimed; returns the first. */
  private async claim(n: number): Promise<number> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const taken = (await this.filer.list(this.paths.producerIds)).map((e) => Number(e.name))
        .filter((x) => Number.isSafeInteger(x));
      let first = taken.length ? Math.max(...taken) + 1 : 0;
      first += attempt; // another gateway may be claiming the same block right now
      if (first + n > MAX_BLOCK) throw new Error("producer id space exhausted");
      let ok = true;
      for (let b = first; b < first + n && ok; b++) {
        ok = await this.filer.create(this.paths.producerIds, String(b), new Uint8Array(0));
      }
      if (ok) return first;
    }
    throw new Error("could not claim a producer id block (too much contention)");
  }

  async loadProducerSnapshot(topic: string, partition: number): Promise<Uint8Array | null> {
    if (!this.exists(topic, partition)) return null;
    const e = await this.filer.lookup(this.paths.producerState(topic), String(partition));
    return e && e.content.length > 0 ? e.content.slice() : null;
  }

  async saveProducerSnapshot(topic: string, partition: number, data: Uint8Array): Promise<void> {
    if (!this.exists(topic, partition)) return;
    await this.filer.put(this.paths.producerState(topic), String(partition), data);
  }
}
