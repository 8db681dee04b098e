// Which topics are stored typed on SeaweedMQ, with an external registry: the first append of a topic waits for the
// registry's answer, later ones are answered from memory while a re-read runs in the background, and a registry
// that fails leaves the topic untyped (logged) instead of failing the append.
import { assert, assertEquals } from "./assert.ts";
import { externalTopicTypings } from "../../src/schema_registry/topic_typing.ts";
import type { ExternalSchemaLookup } from "../../src/schema_registry/external.ts";
import { FORMATS } from "../../src/schema_registry/formats.ts";
import type { ParsedSchema } from "../../src/schema_registry/schema_types.ts";
import { logger } from "../../src/log.ts";

const avro = (fields: unknown[]) =>
  FORMATS.get("AVRO")!.parse({
    schema: JSON.stringify({ type: "record", name: "R", fields }),
    references: [],
  });

Deno.test("schematized topics, external registry: first answer awaited, then cached, re-read, failures untyped", async () => {
  const v1 = avro([{ name: "id", type: "long" }]);
  let versions: { id: number; schema: ParsedSchema }[] = [{ id: 7, schema: v1 }];
  let calls = 0;
  let fail = false;
  const lookup = {
    liveSchemas: (subject: string) => {
      calls++;
      if (fail) return Promise.reject(new Error("connection refused"));
      return Promise.resolve(subject === "orders-value" ? versions : []);
    },
    schemaById: (id: number) => versions.find((v) => v.id === id)?.schema,
  } as unknown as ExternalSchemaLookup;
  let now = 1_000_000;
  const typings = externalTopicTypings(lookup, logger("test"), () => now);

  const first = typings("orders");
  assert(first instanceof Promise, "the first append of a topic waits for the registry");
  const typing = await first;
  assert(typing !== null);
  assertEquals(typing.schemaFormat, "AVRO");
  // id 7 = 1 as an Avro long (zigzag 2): typed
  assert(typing.typeValue(new Uint8Array([0, 0, 0, 0, 7, 2])) !== null);
  assertEquals(typing.typeValue(new Uint8Array([1, 2, 3])), null);
  assertEquals(typings("orders"), typing, "answered from memory");
  assertEquals(calls, 1);
  assertEquals(await typings("plain"), null, "no subject: untyped");
  assertEquals(typings("_schemas"), null);
  assertEquals(calls, 2);

  // after the TTL: the cached typing serves while the registry is read again
  versions = [...versions, {
    id: 8,
    schema: avro([{ name: "id", type: "long" }, { name: "n", type: "int" }]),
  }];
  now += 31_000;
  assertEquals(typings("orders"), typing);
  assertEquals(calls, 3);
  await new Promise((r) => setTimeout(r, 0));
  const evolved = typings("orders");
  assert(
    evolved !== null && !(evolved instanceof Promise) && evolved !== typing,
    "the re-read answer replaced it",
  );
  assert(evolved.recordType.length > typing.recordType.length);

  // a registry that fails on a topic's first append: untyped, not an error
  fail = true;
  assertEquals(await typings("other"), null);
  now += 1000;
  assertEquals(typings("other"), null, "retried only after 5 s");
  assertEquals(calls, 4);
});
