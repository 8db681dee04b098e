// Leader epochs of a solo gateway (the embedded backend), as a one-node Kafka has them: every partition's leader
// epoch is 0 on the first start and moves up by one at each start (Kafka's controller elects the restarted broker
// anew, bumping the epoch). Produce stamps the epoch into each batch it appends (producer/leader_append.ts), so
// consumers see it on every record (KIP-320 position validation, librdkafka's message leader epoch), and
// OffsetForLeaderEpoch answers from each partition's history: [epoch, first offset] pairs, Kafka's
// leader-epoch-checkpoint.
//
// One file, `<data dir>/leader-epochs.json`, written once per start before the gateway serves: the incarnation's
// epoch and, per partition (by topic id: a topic deleted and created again starts over), its history with the new
// epoch starting at the log end then. A partition created while the gateway ran is not in the file yet: at the
// next start it is known to have been created under the previous epoch, which its history then starts with
// (from offset 0). Records written before this file existed keep epoch -1 (as they were served).
import { atomicWrite } from "../storage/embedded/files.ts";
import { assignEpoch, type EpochEntry, MAX_EPOCH_ENTRIES } from "./epochs.ts";

const FILE = "leader-epochs.json";

interface Saved {
  readonly version: 1;
  readonly epoch: number;
  readonly partitions: Record<string, EpochEntry[]>;
}

/** A partition as the start sees it: topic id, index and log end offset. */
export interface PartitionAtStart {
  readonly topicId: string;
  readonly partition: number;
  readonly logEndOffset: number;
}

export class SoloEpochs {
  private constructor(
    /** This start's epoch. */
    readonly epoch: number,
    private readonly histories: Map<string, EpochEntry[]>,
  ) {}

  private static key(topicId: string, partition: number): string {
    return `${topicId}/${partition}`;
  }

  /** Reads the previous start's file, moves every partition to the next epoch and writes the file (fsynced). */
  static async open(dataDir: string, partitions: readonly PartitionAtStart[]): Promise<SoloEpochs> {
    const path = `${dataDir}/${FILE}`;
    let saved: Saved | null = null;
    try {
      const v = JSON.parse(await Deno.readTextFile(path));
      if (v?.version === 1 && Number.isInteger(v.epoch) && typeof v.partitions === "object") {
        saved = v as Saved;
      } else throw new Error("not a leader epoch file of version 1");
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        throw new Error(`${path}: ${(e as Error).message} (remove it to start the epochs over)`);
      }
    }
    const previous = saved?.epoch ?? -1;
    const epoch = previous + 1;
    const histories = new Map<string, EpochEntry[]>();
    for (const p of partitions) {
      const key = SoloEpochs.key(p.topicId, p.partition);
      let h: EpochEntry[] = saved?.partitions[key] ?? [];
      // Created while the previous start ran: everything in it was written under that epoch.
      if (h.length === 0 && previous >= 0 && p.logEndOffset > 0) h = [[previous, 0]];
      h = assignEpoch(h, epoch, p.logEndOffset) ?? h;
      histories.set(key, h.slice(-MAX_EPOCH_ENTRIES));
    }
    const out: Saved = { version: 1, epoch, partitions: Object.fromEntries(histories) };
    await atomicWrite(path, new TextEncoder().encode(JSON.stringify(out)), true);
    return new SoloEpochs(epoch, histories);
  }

  /** The partition's history, ending with this start's epoch (from offset 0 for a partition created since). */
  history(topicId: string, partition: number): readonly EpochEntry[] {
    return this.histories.get(SoloEpochs.key(topicId, partition)) ?? [[this.epoch, 0]];
  }
}
