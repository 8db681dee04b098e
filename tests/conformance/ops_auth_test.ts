// The operations HTTP port under security (issue 14): with a SASL listener the admin API and dashboard need HTTP
// Basic with a SCRAM user (or the bearer token) while /metrics, /healthz and /readyz stay open; with --authorizer acl
// the user also needs DESCRIBE on the Cluster; --http-auth all closes the probes too; PLAINTEXT without an
// authorizer stays open as before. Refusals are counted in /metrics (kgw_http_authentication_failures_total).
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { SASL_LISTENER } from "../helpers/sasl.ts";
import { REGISTRY_ARGS, registryUrl } from "../helpers/schema_registry.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function usersFile(): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "kgw-ops-auth-users-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ alice: "alice-pw", bob: "bob-pw" }));
  return path;
}

/** An ACL authorizer with alice as super user (bob has no ACL). */
const ALICE_SUPER = ["--authorizer", "acl", "--super-users", "User:alice"];

/** A gateway with a SASL listener and the users alice and bob, plus `args`; the users file goes afterwards. */
async function withUsers(args: string[], fn: (gw: RunningGateway) => Promise<void>): Promise<void> {
  const users = await usersFile();
  try {
    await runWithGateway({ args: [...SASL_LISTENER, "--sasl-users", users, ...args] }, fn);
  } finally {
    await Deno.remove(users);
  }
}

const basic = (user: string, pw: string) => ({ authorization: `Basic ${btoa(`${user}:${pw}`)}` });

async function status(
  gw: RunningGateway,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { headers });
  await res.body?.cancel();
  return res.status;
}

/** kgw_http_authentication_failures_total{port,reason} from /metrics (0 when absent). */
async function authFailures(
  gw: RunningGateway,
  port: string,
  reason: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`, { headers });
  const text = await res.text();
  assertEquals(res.status, 200, "/metrics");
  const line = text.split("\n").find((l) =>
    l.startsWith(`kgw_http_authentication_failures_total{port="${port}",reason="${reason}"} `)
  );
  return line === undefined ? 0 : Number(line.split(" ")[1]);
}

Deno.test({
  name: "ops auth: a SASL listener protects /api/v1 and the dashboard with the SCRAM users; probes stay open",
  ...opts,
  fn: () =>
    withUsers(
      ["--http-auth-token", "tok-123"],
      async (gw) => {
        assertEquals(await status(gw, "/api/v1/overview"), 401);
        assertEquals(await status(gw, "/dashboard"), 401);
        assertEquals(await status(gw, "/api/v1/overview", basic("alice", "wrong")), 401);
        assertEquals(await status(gw, "/api/v1/overview", basic("nobody", "x")), 401);
        assertEquals(await status(gw, "/api/v1/overview", basic("alice", "alice-pw")), 200);
        assertEquals(await status(gw, "/api/v1/overview", { authorization: "Bearer tok-123" }), 200);
        assertEquals(await status(gw, "/api/v1/overview", { authorization: "Bearer nope" }), 401);
        for (const p of ["/metrics", "/healthz", "/readyz"]) assertEquals(await status(gw, p), 200, p);
        const res = await fetch(`http://127.0.0.1:${gw.httpPort}/api/v1/topics`);
        assert(res.headers.get("www-authenticate")?.startsWith("Basic "), "a Basic challenge for browsers");
        await res.body?.cancel();
        assert(!gw.logs().includes("alice-pw") && !gw.logs().includes("tok-123"), "no secret logged");
        assert(gw.logs().includes("HTTP authentication of User:alice"), "refusals logged");
        // counted by reason; a request without credentials is a challenge, not a failure
        assertEquals(await authFailures(gw, "ops", "wrong_password"), 1);
        assertEquals(await authFailures(gw, "ops", "unknown_user"), 1);
        assertEquals(await authFailures(gw, "ops", "bad_token"), 1);
        assertEquals(await authFailures(gw, "ops", "malformed"), 0);
      },
    ),
});

Deno.test({
  name:
    "ops auth: with --authorizer acl a user needs DESCRIBE on the Cluster; --http-auth all closes the probes",
  ...opts,
  fn: () =>
    withUsers(
      [
        ...ALICE_SUPER,
        "--http-auth",
        "all",
      ],
      async (gw) => {
        assertEquals(await status(gw, "/api/v1/overview", basic("alice", "alice-pw")), 200);
        assertEquals(await status(gw, "/api/v1/overview", basic("bob", "bob-pw")), 403);
        assertEquals(await status(gw, "/metrics"), 401);
        assertEquals(await status(gw, "/healthz", basic("alice", "alice-pw")), 200);
        assertEquals(await authFailures(gw, "ops", "not_authorized", basic("alice", "alice-pw")), 1);
      },
    ),
});

Deno.test({
  name: "ops auth: PLAINTEXT without an authorizer stays open (--http-auth auto)",
  ...opts,
  fn: () =>
    runWithGateway({}, async (gw) => {
      assertEquals(await status(gw, "/api/v1/overview"), 200);
      assertEquals(await status(gw, "/dashboard"), 200);
    }),
});

Deno.test({
  name: "ops auth: the schema registry asks who is calling whenever the ops port does, on every path",
  ...opts,
  fn: () =>
    withUsers(
      ["--http-auth-token", "tok-123", ...REGISTRY_ARGS],
      async (gw) => {
        const sr = async (path: string, headers: Record<string, string> = {}) => {
          const res = await fetch(registryUrl(gw) + path, { headers });
          await res.body?.cancel();
          return res.status;
        };
        for (const p of ["/subjects", "/schemas/types", "/config", "/"]) assertEquals(await sr(p), 401, p);
        assertEquals(await sr("/subjects", basic("alice", "wrong")), 401);
        assertEquals(await sr("/subjects", basic("alice", "alice-pw")), 200);
        assertEquals(await sr("/config", { authorization: "Bearer tok-123" }), 200);
        assert(gw.logs().includes("schema registry authentication of User:alice"), "refusals logged");
        assert(!gw.logs().includes("alice-pw"), "no secret logged");
        assertEquals(await authFailures(gw, "schema-registry", "wrong_password"), 1);
        assertEquals(
          await authFailures(gw, "ops", "wrong_password"),
          0,
          "the registry's refusals are its own",
        );
      },
    ),
});

Deno.test({
  name:
    "ops auth: with --authorizer acl registry subjects follow their topics' ACLs; the token is an operator's",
  ...opts,
  fn: () =>
    withUsers(
      [
        ...ALICE_SUPER,
        "--http-auth-token",
        "tok-123",
        ...REGISTRY_ARGS,
      ],
      async (gw) => {
        const sr = async (
          method: string,
          path: string,
          headers: Record<string, string>,
          body?: unknown,
        ) => {
          const res = await fetch(registryUrl(gw) + path, {
            method,
            headers: { ...headers, "content-type": "application/vnd.schemaregistry.v1+json" },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return { status: res.status, json: await res.json() };
        };
        const schema = { schema: JSON.stringify({ type: "string" }) };
        const bob = basic("bob", "bob-pw");
        // bob has no ACL on the topic "orders": no registering, no reading, the list is empty for him
        const refused = await sr("POST", "/subjects/orders-value/versions", bob, schema);
        assertEquals([refused.status, refused.json.error_code], [403, 40301]);
        assertEquals(
          (await sr("POST", "/subjects/orders-value/versions", basic("alice", "alice-pw"), schema)).json,
          {
            id: 1,
          },
        );
        assertEquals((await sr("GET", "/subjects", bob)).json, []);
        assertEquals((await sr("GET", "/subjects/orders-value/versions", bob)).json.error_code, 40301);
        assertEquals((await sr("GET", "/subjects", { authorization: "Bearer tok-123" })).json, [
          "orders-value",
        ]);
      },
    ),
});

Deno.test({
  name: "ops auth: without security configured the schema registry is open",
  ...opts,
  fn: () =>
    runWithGateway({ args: REGISTRY_ARGS }, async (gw) => {
      const res = await fetch(registryUrl(gw) + "/subjects");
      assertEquals([res.status, await res.json()], [200, []]);
    }),
});
