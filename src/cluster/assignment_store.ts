// The assignment document in the filer (cluster/assignment): JSON content, and its version also in the extended
// attribute "kgw-version", on which every write is a compare-and-set (UpdateEntry expected_extended). A controller
// that lost its lock without noticing therefore cannot overwrite a newer document: versions stay linear.
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import { json, type MetaPaths, parseJson } from "../storage/seaweedmq/meta.ts";
import { type AssignmentDoc, parseAssignment } from "./assignment.ts";

export const VERSION_ATTR = "kgw-version";
const NAME = "assignment";
const TEXT = new TextEncoder();
const TEXT_DECODER = new TextDecoder();

export interface StoredAssignment {
  /** null when there is none, or it cannot be read (`problem` says why). */
  readonly doc: AssignmentDoc | null;
  /** The version attribute as stored (the compare-and-set's expected value); null when no entry exists. */
  readonly attr: string | null;
  readonly problem?: string;
}

export class AssignmentStore {
  constructor(private readonly filer: Filer, private readonly paths: MetaPaths) {}

  /** The stored document; "unchanged" when its version attribute is `knownVersion` (nothing parsed). */
  async read(knownVersion?: number): Promise<StoredAssignment | "unchanged"> {
    const e = await this.filer.lookup(this.paths.cluster, NAME);
    if (e === null) return { doc: null, attr: null };
    const raw = e.extended.get(VERSION_ATTR);
    const attr = raw ? TEXT_DECODER.decode(raw) : "";
    if (knownVersion !== undefined && attr === String(knownVersion)) return "unchanged";
    try {
      return { doc: parseAssignment(parseJson(e.content)), attr };
    } catch (err) {
      return { doc: null, attr, problem: (err as Error).message };
    }
  }

  /** Writes `next` if the stored version attribute still is `base` (null: only if none exists). */
  async write(next: AssignmentDoc, base: string | null): Promise<boolean> {
    const attrs = new Map([[VERSION_ATTR, TEXT.encode(String(next.version))]]);
    if (base === null) return await this.filer.create(this.paths.cluster, NAME, json(next), attrs);
    return await this.filer.update(
      this.paths.cluster,
      NAME,
      json(next),
      attrs,
      new Map([[VERSION_ATTR, TEXT.encode(base)]]),
    );
  }
}
