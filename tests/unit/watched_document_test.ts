// A followed document (src/storage/watched_document.ts): a poll whose read started before a write through this
// gateway must not put the older value back (a group config set here was read back stale for up to a poll
// interval, and a share-partition first used then started at the wrong offset); an update knows its version.
import { WatchedDocument } from "../../src/storage/watched_document.ts";
import { MemoryDocuments, type StoredDocument } from "../../src/storage/documents.ts";
import { logger } from "../../src/log.ts";
import { assertEquals } from "./assert.ts";

/** Documents whose next get can be held until released. */
class HeldDocuments extends MemoryDocuments {
  hold: Promise<void> | null = null;
  override async get(name: string): Promise<StoredDocument | null> {
    const hold = this.hold;
    const read = await super.get(name);
    if (hold !== null) await hold;
    return read;
  }
}

const CODEC = {
  empty: () => "",
  decode: (d: Uint8Array) => new TextDecoder().decode(d),
  encode: (v: string) => new TextEncoder().encode(v),
};

Deno.test("watched document: a read older than a write made here does not undo it", async () => {
  const docs = new HeldDocuments();
  await docs.put("cfg", CODEC.encode("old"), null);
  const w = new WatchedDocument(docs, "cfg", CODEC, { what: "test", log: logger("test"), pollMs: 0 });
  await w.load();
  assertEquals(w.value, "old");
  let release!: () => void;
  docs.hold = new Promise((r) => release = r);
  const poll = w.refresh(); // reads "old", then waits
  docs.hold = null;
  await w.update(() => ({ next: "new", result: null }));
  assertEquals(w.value, "new");
  release();
  await poll;
  assertEquals(w.value, "new", "the older read was dropped");
  await w.refresh();
  assertEquals(w.value, "new", "and the next read agrees");
});
