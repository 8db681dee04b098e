// The DocumentStore (src/storage/documents.ts) of both backends: compare-and-set put and delete, list by prefix,
// durable across instances (embedded), the filer's conditional delete (SeaweedMQ, on the test filer).
import { assert, assertEquals } from "./assert.ts";
import type { DocumentStore } from "../../src/storage/documents.ts";
import { EmbeddedDocuments } from "../../src/storage/embedded/documents.ts";
import { SeaweedDocuments } from "../../src/storage/seaweedmq/documents.ts";
import { ETAG_ATTR } from "../../src/storage/seaweedmq/transport/filer_messages.ts";
import { fsyncCounts } from "../../src/storage/embedded/files.ts";
import { FakeFiler } from "./fake_filer.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** The test filer plus the conditional delete (ObjectTransaction IF_ETAG_MATCH + DELETE) of SeaweedFS 4.28+. */
class TxnFakeFiler extends FakeFiler {
  deletes = 0;
  // deno-lint-ignore require-await
  async deleteIf(dir: string, name: string, etag: string): Promise<boolean> {
    this.deletes++;
    const s = this.files.get(`${dir}/${name}`);
    if (!s || dec(s.extended.get(ETAG_ATTR) ?? new Uint8Array()) !== etag) return false;
    this.files.delete(`${dir}/${name}`);
    return true;
  }
}

/** What every DocumentStore must do; `reopen` gives another instance on the same storage. */
async function contract(a: DocumentStore, reopen: () => DocumentStore): Promise<void> {
  assertEquals(await a.get("acls"), null);
  assertEquals(await a.list(""), []);
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
  const b = reopen();
  assert(["x", "y"].includes(dec((await b.get("acls"))!.data)), "read back by a new instance");

  // list: names with the prefix, sorted; nothing else (other prefixes, similar names).
  for (const n of ["txn-3-bb", "txn-3-aa", "txn-12-cc", "txo-3-dd", "txn-30-ee"]) {
    assert(await a.put(n, enc(n), null), n);
  }
  assertEquals(await b.list("txn-3-"), ["txn-3-aa", "txn-3-bb"]);
  assertEquals(await b.list("txn-"), ["txn-12-cc", "txn-3-aa", "txn-3-bb", "txn-30-ee"]);
  assertEquals(await b.list("zzz"), []);
  assertEquals((await b.list("")).length, 6);

  // delete: only at the stored version; a stale version or a missing document deletes nothing.
  const aa = (await a.get("txn-3-aa"))!;
  assert(await a.put("txn-3-aa", enc("aa2"), aa.version));
  assert(!(await b.delete("txn-3-aa", aa.version)), "stale version: not deleted");
  assertEquals(dec((await a.get("txn-3-aa"))!.data), "aa2");
  const aa2 = (await a.get("txn-3-aa"))!;
  assert(await b.delete("txn-3-aa", aa2.version), "deleted at its version");
  assertEquals(await a.get("txn-3-aa"), null);
  assert(!(await b.delete("txn-3-aa", aa2.version)), "gone: false");
  assertEquals(await a.list("txn-3-"), ["txn-3-bb"]);
  // A put racing a delete from the same version: exactly one wins; a deleted name can be created again. (One
  // instance: the embedded store has one writer per data directory.)
  const bb = (await a.get("txn-3-bb"))!;
  const race = await Promise.all([
    a.delete("txn-3-bb", bb.version),
    a.put("txn-3-bb", enc("bb2"), bb.version),
  ]);
  assertEquals(race.filter((r) => r).length, 1, `one of delete/put wins: ${race}`);
  const after = await a.get("txn-3-bb");
  if (race[0]) assertEquals(after, null);
  else assertEquals(dec(after!.data), "bb2");
  if (after) assert(await a.delete("txn-3-bb", after.version));
  assert(await a.put("txn-3-bb", enc("again"), null), "created again after the delete");
  assertEquals(dec((await b.get("txn-3-bb"))!.data), "again");

  let refused = "";
  await a.get("../escape").catch((e: Error) => refused = e.message);
  assert(refused.includes("invalid document name"), refused);
  refused = "";
  await a.put("x.tmp", enc("t"), null).catch((e: Error) => refused = e.message);
  assert(
    refused.includes("invalid document name"),
    `the .tmp suffix is the embedded store's own: ${refused}`,
  );
}

Deno.test("documents (embedded): compare-and-set put/delete, list by prefix, durable across instances", async () => {
  const dir = await Deno.makeTempDir({ prefix: "documents_test_" });
  try {
    await contract(new EmbeddedDocuments(dir), () => new EmbeddedDocuments(dir));
    // a copy an interrupted replace left behind is not a document
    await Deno.writeTextFile(`${dir}/meta/txn-3-zz.1a2b.tmp`, "partial");
    assertEquals(await new EmbeddedDocuments(dir).list("txn-3-"), ["txn-3-bb"]);
    assertEquals(await new EmbeddedDocuments(`${dir}/nothing-here`).list(""), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("documents (seaweedmq): compare-and-set put/delete, list by prefix, on the test filer", async () => {
  const fake = new TxnFakeFiler();
  const dir = "/topics/kafka/.meta/kafka_gateway/documents";
  await contract(new SeaweedDocuments(fake.filer, dir), () => new SeaweedDocuments(fake.filer, dir));
  assert(fake.deletes > 0, "deletes went through the conditional delete");
  // Every version written is also the entry's ETag, which the filer's conditional delete compares.
  const s = fake.files.get(`${dir}/acls`)!;
  assertEquals(dec(s.extended.get(ETAG_ATTR)!), dec(s.extended.get("kgw-version")!));
});

Deno.test("documents (seaweedmq): a document written before versions were ETags is deleted at its version", async () => {
  const fake = new TxnFakeFiler();
  const dir = "/d";
  // as the previous release wrote it: the version attribute only
  await fake.filer.create(dir, "acls", enc("old"), new Map([["kgw-version", enc("v-old")]]));
  const docs = new SeaweedDocuments(fake.filer, dir);
  assert(!(await docs.delete("acls", "v-other")), "another version: not deleted");
  assert(fake.files.has(`${dir}/acls`));
  assert(await docs.delete("acls", "v-old"), "deleted at its version");
  assertEquals(await docs.get("acls"), null);
});

Deno.test("documents (embedded): latency of a durable put; concurrent puts share directory fsyncs", async () => {
  // KGW_BENCH_DIR: measure on another disk (the default temp directory may be a RAM disk)
  const dir = await Deno.makeTempDir({ prefix: "documents_bench_", dir: Deno.env.get("KGW_BENCH_DIR") });
  try {
    const docs = new EmbeddedDocuments(dir);
    const n = 40;
    const versions: (string | null)[] = new Array(n).fill(null);
    // sequential: one put after another (one transaction's documents written in turn)
    const dirBefore = fsyncCounts.directory;
    let t = performance.now();
    for (let i = 0; i < n; i++) assert(await docs.put(`txn-0-${i}`, enc(`doc ${i}`.repeat(20)), null));
    const sequential = (performance.now() - t) / n;
    const sequentialDirSyncs = fsyncCounts.directory - dirBefore;
    for (let i = 0; i < n; i++) versions[i] = (await docs.get(`txn-0-${i}`))!.version;
    // concurrent: n documents at once (n transactions in flight)
    const dirBefore2 = fsyncCounts.directory;
    t = performance.now();
    const ok = await Promise.all(versions.map((v, i) => docs.put(`txn-0-${i}`, enc(`next ${i}`), v)));
    const concurrent = performance.now() - t;
    const concurrentDirSyncs = fsyncCounts.directory - dirBefore2;
    assert(ok.every((x) => x));
    console.log(
      `embedded document put: ${
        sequential.toFixed(2)
      } ms each in sequence (${sequentialDirSyncs} directory ` +
        `fsyncs for ${n}); ${n} concurrent puts in ${concurrent.toFixed(1)} ms with ${concurrentDirSyncs} ` +
        `directory fsyncs`,
    );
    assertEquals(sequentialDirSyncs, n, "in sequence each put syncs the directory");
    // Shared when fsyncs overlap (how many depends on the disk): never more than one per put.
    assert(concurrentDirSyncs <= n, `at most one directory fsync per put (${concurrentDirSyncs} for ${n})`);
    for (let i = 0; i < n; i++) assertEquals(dec((await docs.get(`txn-0-${i}`))!.data), `next ${i}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
