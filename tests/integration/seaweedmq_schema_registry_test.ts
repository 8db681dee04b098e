// The schema registry on the SeaweedMQ backend: the client and validation suites (tests/conformance/
// schema_registry_clients_test.ts, schema_validation_test.ts) unchanged, then two gateways of one namespace sharing the registry kept in the filer: a schema registered
// through one is answered by the other at once (by id; lists within the 1 s re-read), registrations through both at the same time never share an id,
// and a compatibility level set through one gateway is enforced by the other.
import { assert, assertEquals } from "../unit/assert.ts";
import { startGateway, useBackend } from "../helpers/gateway.ts";
import { startSeaweedFS, suiteOnSeaweedMQ, weedTool } from "../helpers/seaweedfs.ts";
import { REGISTRY_ARGS, registryUrl } from "../helpers/schema_registry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const SUITE = "../conformance/schema_registry_clients_test.ts";

if ((await weedTool()).ignore) {
  await suiteOnSeaweedMQ(() => import(SUITE));
} else {
  const cluster = await startSeaweedFS();
  useBackend("seaweedmq", cluster.gatewayArgs);
  await import(SUITE);
  await import("../conformance/schema_validation_test.ts");

  Deno.test({
    name:
      "seaweedmq schema registry: two gateways share ids, subjects and compatibility levels through the filer",
    ...opts,
    fn: async () => {
      const namespace = `kafka_sr${Date.now().toString(36)}`;
      const dirs = [
        await Deno.makeTempDir({ prefix: "kgw-sr-a-" }),
        await Deno.makeTempDir({ prefix: "kgw-sr-b-" }),
      ];
      const args = (
        id: number,
      ) => [...REGISTRY_ARGS, "--seaweedmq-namespace", namespace, "--node-id", String(id)];
      const a = await startGateway({ dataDir: dirs[0], args: args(1) });
      const b = await startGateway({ dataDir: dirs[1], args: args(2) });
      const call = async (gw: typeof a, method: string, path: string, body?: unknown) => {
        const res = await fetch(registryUrl(gw) + path, {
          method,
          headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, json: await res.json() };
      };
      const schema = (name: string, fields: unknown[]) => JSON.stringify({ type: "record", name, fields });
      try {
        const first = await call(a, "POST", "/subjects/orders-value/versions", {
          schema: schema("Order", [{ name: "id", type: "string" }]),
        });
        assertEquals(first.status, 200);
        const id = first.json.id as number;
        // at once on the other gateway (a miss re-reads the filer)
        assertEquals((await call(b, "GET", `/schemas/ids/${id}`)).status, 200);
        assertEquals((await call(b, "GET", "/subjects/orders-value/versions")).json, [1]);

        // registrations through both gateways at once: distinct ids
        const answers = await Promise.all(
          Array.from(
            { length: 12 },
            (_, i) =>
              call(i % 2 === 0 ? a : b, "POST", `/subjects/s${i}-value/versions`, {
                schema: schema(`R${i}`, [{ name: "f", type: "int" }]),
              }),
          ),
        );
        const ids = answers.map((r) => r.json.id as number);
        assert(answers.every((r) => r.status === 200), JSON.stringify(answers));
        assertEquals(new Set([id, ...ids]).size, 13, `ids ${ids}`);

        // a level set through b is enforced through a
        assertEquals((await call(b, "PUT", "/config/orders-value", { compatibility: "FULL" })).status, 200);
        const refused = await call(a, "POST", "/subjects/orders-value/versions", {
          schema: schema("Order", [{ name: "id", type: "string" }, { name: "qty", type: "int" }]),
        });
        assertEquals(refused.status, 409, JSON.stringify(refused.json));
        const accepted = await call(a, "POST", "/subjects/orders-value/versions", {
          schema: schema("Order", [{ name: "id", type: "string" }, { name: "qty", type: "int", default: 0 }]),
        });
        assertEquals(accepted.status, 200, JSON.stringify(accepted.json));
        // lists and latest versions follow within the registry's 1 s re-read of the filer
        const t0 = Date.now();
        while (JSON.stringify((await call(b, "GET", "/subjects/orders-value/versions")).json) !== "[1,2]") {
          assert(Date.now() - t0 < 3000, "version 2 not listed by the other gateway within 3 s");
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await a.stop();
        await b.stop();
        for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
      }
    },
  });

  Deno.test({
    name: "seaweedmq: stop the SeaweedFS cluster of this module",
    ...opts,
    fn: async () => {
      useBackend("embedded", []);
      await cluster.stop();
    },
  });
}
