// The embedded DocumentStore (src/storage/embedded/documents.ts): compare-and-set replaces, survives a reopen.
import { assert, assertEquals } from "./assert.ts";
import { EmbeddedDocuments } from "../../src/storage/embedded/documents.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("documents (embedded): create-only, compare-and-set, durable across instances, names checked", async () => {
  const dir = await Deno.makeTempDir({ prefix: "documents_test_" });
  try {
    const a = new EmbeddedDocuments(dir);
    assertEquals(await a.get("acls"), null);
    assert(await a.put("acls", enc("v1"), null), "created");
    assert(!(await a.put("acls", enc("again"), null)), "exists: not created twice");
    const v1 = (await a.get("acls"))!;
    assertEquals(dec(v1.data), "v1");
    assert(await a.put("acls", enc("v2"), v1.version), "replaced at its version");
    assert(!(await a.put("acls", enc("stale"), v1.version)), "a stale version writes nothing");
    // Two concurrent writers from the same version: exactly one wins.
    const v2 = (await a.get("acls"))!;
    const results = await Promise.all([
      a.put("acls", enc("x"), v2.version),
      a.put("acls", enc("y"), v2.version),
    ]);
    assertEquals(results.filter((r) => r).length, 1);
    const b = new EmbeddedDocuments(dir);
    assert(["x", "y"].includes(dec((await b.get("acls"))!.data)), "read back by a new instance");
    let refused = "";
    await a.get("../escape").catch((e: Error) => refused = e.message);
    assert(refused.includes("invalid document name"), refused);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
