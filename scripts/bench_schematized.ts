// The cost of storing values typed (schematized SeaweedMQ topics): encodeAppend of 1,000 Confluent-framed Avro
// records (6 fields with an array, ~40 B) into SeaweedMQ publish frames, with and without the typer that turns each
// value into a schema_pb.RecordValue. CPU only (no broker): figures per record, on this machine.
//   deno task bench:schematized
import { encodeAppend, type ValueTyper } from "../src/storage/seaweedmq/record_codec.ts";
import { buildBatch, validateBatches } from "../src/records/batch.ts";
import { FORMATS } from "../src/schema_registry/formats.ts";
import { recordTypeOf, valueTyper } from "../src/schema_registry/record_type.ts";

const schema = FORMATS.get("AVRO")!.parse({
  schema: JSON.stringify({
    type: "record",
    name: "Order",
    fields: [
      { name: "id", type: "long" },
      { name: "customer", type: "string" },
      { name: "amount", type: "double" },
      { name: "qty", type: "int" },
      { name: "paid", type: "boolean" },
      { name: "tags", type: { type: "array", items: "string" } },
    ],
  }),
  references: [],
});
const te = new TextEncoder();

/** Schema id 1, then the Avro body: id, customer, amount 1.5, qty 2, paid, tags ["t", "u"]. */
function value(i: number): Uint8Array {
  const name = te.encode(`customer-${i}`);
  const body = [2 * i, name.length * 2, ...name, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 4, 1, 4, 2, 0x74, 2, 0x75, 0];
  return new Uint8Array([0, 0, 0, 0, 1, ...body]);
}

const records = Array.from({ length: 1000 }, (_, i) => ({
  key: te.encode(`k${i}`),
  value: value(i % 60),
  timestamp: 1,
}));
const batch = await buildBatch({ records, compression: 0 });
const req = { payload: batch, batches: validateBatches(batch) };
const typer = valueTyper(recordTypeOf(schema), () => schema);
if (typer(records[0].value) === null) throw new Error("the benchmark's values do not type");

for (
  const [name, t] of [["untyped (envelope v1)", null], ["typed (envelope v2 + RecordValue)", typer]] as const
) {
  const run = (n: number) => {
    const t0 = performance.now();
    return (async () => {
      for (let i = 0; i < n; i++) await encodeAppend(req, "envelope", t as ValueTyper | null);
      return performance.now() - t0;
    })();
  };
  await run(200);
  const rounds = 2000;
  const ms = await run(rounds);
  const us = ms * 1000 / (rounds * records.length);
  console.log(`${name.padEnd(36)} ${us.toFixed(3)} µs/record  ${(1 / us).toFixed(2)} M records/s`);
}
