// `_schemas` on the embedded backend: the registry's state as Confluent's Kafka store, read back with kcat: one
// record per subject version (soft-deleted ones marked, permanent deletes as tombstones), CONFIG and MODE records,
// in Confluent's JSON; a restart appends nothing when nothing changed.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { requireTool } from "../helpers/tools.ts";
import { REGISTRY_ARGS, registryUrl } from "../helpers/schema_registry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const kcat = await requireTool("kcat", "kcat", ["-V"]);

async function call(gw: RunningGateway, method: string, path: string, body?: unknown) {
  const res = await fetch(registryUrl(gw) + path, {
    method,
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

/** Every record of _schemas: [key, value or null]. */
async function readSchemas(gw: RunningGateway): Promise<[string, string | null][]> {
  const out = await new Deno.Command(kcat.path, {
    args: [
      "-b",
      gw.bootstrap,
      "-C",
      "-t",
      "_schemas",
      "-p",
      "0",
      "-o",
      "beginning",
      "-e",
      "-q",
      "-Z",
      "-f",
      "%k\t%s\n",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "").map((l) => {
    const [k, v] = l.split("\t");
    return [k, v === "NULL" ? null : v];
  });
}

/** The latest value per key, parsed (as a compacted topic's reader sees it). */
function latest(records: [string, string | null][]): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [k, v] of records) {
    if (v === null) m.delete(k);
    else m.set(k, JSON.parse(v));
  }
  return m;
}

const schemaKey = (subject: string, version: number) =>
  JSON.stringify({ keytype: "SCHEMA", subject, version, magic: 1 });

Deno.test({
  name: "_schemas: the registry as Confluent's Kafka store, soft deletes marked, permanent ones tombstoned",
  ignore: kcat.ignore,
  ...opts,
  fn: async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "kgw-schemas-topic-" });
    let gw = await startGateway({ dataDir, args: REGISTRY_ARGS });
    try {
      const avro = JSON.stringify({ type: "record", name: "A", fields: [{ name: "x", type: "int" }] });
      const json = JSON.stringify({ type: "object" });
      assertEquals(await call(gw, "POST", "/subjects/a-value/versions", { schema: avro }), { id: 1 });
      assertEquals(
        await call(gw, "POST", "/subjects/b-value/versions", { schema: json, schemaType: "JSON" }),
        {
          id: 2,
        },
      );
      await call(gw, "PUT", "/config/a-value", { compatibility: "FULL" });
      await call(gw, "PUT", "/mode/b-value", { mode: "READWRITE" });
      await call(gw, "DELETE", "/subjects/b-value/versions/1");
      let view = latest(await readSchemas(gw));
      assertEquals(view.get(schemaKey("a-value", 1)), {
        subject: "a-value",
        version: 1,
        id: 1,
        schema: avro,
        deleted: false,
      });
      assertEquals(view.get(schemaKey("b-value", 1)), {
        subject: "b-value",
        version: 1,
        id: 2,
        schemaType: "JSON",
        schema: json,
        deleted: true,
      });
      assertEquals(view.get(JSON.stringify({ keytype: "CONFIG", subject: null, magic: 0 })), {
        compatibilityLevel: "BACKWARD",
      });
      assertEquals(view.get(JSON.stringify({ keytype: "CONFIG", subject: "a-value", magic: 0 })), {
        compatibilityLevel: "FULL",
      });
      assertEquals(view.get(JSON.stringify({ keytype: "MODE", subject: "b-value", magic: 0 })), {
        mode: "READWRITE",
      });
      assertEquals(view.size, 6);

      // a restart with nothing changed appends nothing; a permanent delete leaves a tombstone
      const before = (await readSchemas(gw)).length;
      await gw.stop();
      gw = await startGateway({ dataDir, args: REGISTRY_ARGS });
      assertEquals((await readSchemas(gw)).length, before);
      await call(gw, "DELETE", "/subjects/b-value/versions/1?permanent=true");
      const records = await readSchemas(gw);
      assertEquals(records.at(-1), [schemaKey("b-value", 1), null]);
      view = latest(records);
      assert(!view.has(schemaKey("b-value", 1)));
      assertEquals(view.size, 5);
    } finally {
      await gw.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
