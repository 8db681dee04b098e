// Topic metadata of the embedded log: `<dataDir>/topics.json` (name, id, partition count, configs), replaced
// atomically (temp file + fsync + rename + directory fsync) on every change; topic name rules; directory names.
import { join } from "node:path";
import { atomicWrite, corruptFileError, errorText, readFileOrNull } from "./files.ts";
import { SerialQueue } from "../../serial.ts";

export interface TopicRecord {
  readonly name: string;
  readonly id: string;
  readonly partitions: number;
  readonly configs: Record<string, string>;
}

export const TOPICS_FILE = "topics.json";
/** What topics.json is, for the start-up error when it is unusable. */
const HOLDS = "the name, id, partition count and configs of every topic";
const MAX_TOPIC_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rule; returns why a name is invalid, or null. */
export function topicNameError(name: string): string | null {
  if (name.length === 0) return "topic name is empty";
  if (name === "." || name === "..") return `topic name cannot be "." or ".."`;
  if (name.length > MAX_TOPIC_LENGTH) return `topic name is longer than ${MAX_TOPIC_LENGTH} characters`;
  if (!LEGAL.test(name)) {
    return `topic name ${JSON.stringify(name)} contains characters other than [a-zA-Z0-9._-]`;
  }
  return null;
}

/**
 * `<topic>-<partition>` as Kafka names it. Safe as a directory name because legal topic names only contain
 * [a-zA-Z0-9._-], are never "." or "..", and are at most 249 characters; the mapping is injective since the
 * partition number follows the last '-'.
 */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Random 16-byte topic id as 32 lowercase hex characters (never all zero). */
export function newTopicId(): string {
  for (;;) {
    const b = crypto.getRandomValues(new Uint8Array(16));
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    if (!/^0+$/.test(hex)) return hex;
  }
}

function isRecord(v: unknown): v is TopicRecord {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  if (typeof o.name !== "string" || topicNameError(o.name) !== null) return false;
  if (typeof o.id !== "string" || !/^[0-9a-f]{32}$/.test(o.id)) return false;
  if (!Number.isSafeInteger(o.partitions) || (o.partitions as number) < 1) return false;
  if (typeof o.configs !== "object" || o.configs === null) return false;
  return Object.values(o.configs).every((x) => typeof x === "string");
}

export class TopicStore {
  /** Saves run one at a time, so the last one issued is what the file holds. */
  private readonly saves = new SerialQueue();
  readonly path: string;

  constructor(readonly dataDir: string) {
    this.path = join(dataDir, TOPICS_FILE);
  }

  /**
   * Topics on disk; [] when the file does not exist. Throws when it cannot be read, and MetadataFileError (one
   * line: the file, the problem, what to do) when it exists but is not a valid topic table.
   */
  load(): TopicRecord[] {
    const raw = readFileOrNull(this.path);
    if (raw === null) return [];
    const bad = (problem: string) => corruptFileError(this.path, problem, HOLDS);
    let v: unknown;
    try {
      v = JSON.parse(new TextDecoder().decode(raw));
    } catch (e) {
      throw bad(raw.length === 0 ? "the file is empty" : `not valid JSON (${errorText(e)})`);
    }
    const list = (typeof v === "object" && v !== null) ? (v as Record<string, unknown>).topics : undefined;
    if (!Array.isArray(list)) throw bad(`no "topics" array`);
    const out: TopicRecord[] = [];
    for (const t of list) {
      if (!isRecord(t)) throw bad(`invalid topic entry ${JSON.stringify(t)}`);
      out.push({ name: t.name, id: t.id, partitions: t.partitions, configs: { ...t.configs } });
    }
    return out;
  }

  /** Durably replaces the file with `topics`; calls are applied in order. */
  save(topics: readonly TopicRecord[]): Promise<void> {
    const data = new TextEncoder().encode(JSON.stringify({ version: 1, topics }, null, 1) + "\n");
    return this.saves.run(() => atomicWrite(this.path, data, true));
  }
}
