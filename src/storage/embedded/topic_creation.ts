// The filesystem side of creating a topic or adding partitions to one: each new partition's directory and empty
// log, a record of how far the attempt got (CreationStep), and the undo of a failed attempt. EmbeddedStorage keeps
// the topic table side (topics.json, and putting it back when a failed save replaced it anyway).
import { join } from "node:path";
import type { StorageError } from "../storage.ts";
import { errorText, fsyncDir, removeIfExists } from "./files.ts";
import type { LogSettings } from "./options.ts";
import { type PartitionEnv, PartitionLog } from "./partition_log.ts";
import { partitionDirName } from "./topic_store.ts";

/** Progress of a topic creation or growth, for its rollback. */
export interface CreationStep {
  /** The path being worked on (named by the error and the log line when it fails). */
  at: string;
  /** Partitions created so far (open). */
  readonly logs: PartitionLog[];
  /** Directories this attempt created or is creating. */
  readonly dirs: string[];
  /** The failure came from writing topics.json. */
  saving: boolean;
}

/**
 * Creates the directories and empty logs of partitions [from, to) of `topic`, recording in `step` what exists so
 * far (for rollBack) and where it is (for the error).
 */
export async function createPartitionLogs(
  dataDir: string,
  env: PartitionEnv,
  topic: string,
  from: number,
  to: number,
  settings: LogSettings,
  step: CreationStep,
): Promise<void> {
  for (let p = from; p < to; p++) {
    const pname = partitionDirName(topic, p);
    const pdir = join(dataDir, pname);
    step.at = pdir;
    await removeIfExists(pdir, true); // leftover of a topic deleted before a crash
    step.dirs.push(pdir);
    step.logs.push(await PartitionLog.create(pname, pdir, settings, env));
  }
  step.at = dataDir;
  await fsyncDir(dataDir);
}

/**
 * Undoes the filesystem part of a failed attempt: closes the new partitions (freeing their descriptors first, as
 * the failure may be descriptor exhaustion) and removes their directories. Returns what it did, for the error line:
 * what was removed, or what is left to remove by hand.
 */
export async function removeCreated(step: CreationStep, reason: StorageError): Promise<string> {
  for (const l of step.logs) await l.close(false, reason).catch(() => {});
  const left: string[] = [];
  for (const d of step.dirs) {
    try {
      await removeIfExists(d, true);
    } catch (e) {
      left.push(`${d} (${errorText(e)})`);
    }
  }
  return left.length === 0
    ? `rolled back: ${step.dirs.length} new partition director${step.dirs.length === 1 ? "y" : "ies"} removed`
    : `rollback incomplete, remove by hand: ${left.join(", ")}`;
}
