// The operations HTTP port under security (issue 14): with a SASL listener the admin API and dashboard need HTTP
// Basic with a SCRAM user (or the bearer token) while /metrics, /healthz and /readyz stay open; with --authorizer acl
// the user also needs DESCRIBE on the Cluster; --http-auth all closes the probes too; PLAINTEXT without an
// authorizer stays open as before.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, runWithGateway } from "../helpers/gateway.ts";
import { SASL_LISTENER } from "../helpers/sasl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

async function usersFile(): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "kgw-ops-auth-users-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ alice: "alice-pw", bob: "bob-pw" }));
  return path;
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

Deno.test({
  name: "ops auth: a SASL listener protects /api/v1 and the dashboard with the SCRAM users; probes stay open",
  ...opts,
  fn: async () => {
    const users = await usersFile();
    try {
      await runWithGateway(
        { args: [...SASL_LISTENER, "--sasl-users", users, "--http-auth-token", "tok-123"] },
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
        },
      );
    } finally {
      await Deno.remove(users);
    }
  },
});

Deno.test({
  name:
    "ops auth: with --authorizer acl a user needs DESCRIBE on the Cluster; --http-auth all closes the probes",
  ...opts,
  fn: async () => {
    const users = await usersFile();
    try {
      await runWithGateway(
        {
          args: [
            ...SASL_LISTENER,
            "--sasl-users",
            users,
            "--authorizer",
            "acl",
            "--super-users",
            "User:alice",
            "--http-auth",
            "all",
          ],
        },
        async (gw) => {
          assertEquals(await status(gw, "/api/v1/overview", basic("alice", "alice-pw")), 200);
          assertEquals(await status(gw, "/api/v1/overview", basic("bob", "bob-pw")), 403);
          assertEquals(await status(gw, "/metrics"), 401);
          assertEquals(await status(gw, "/healthz", basic("alice", "alice-pw")), 200);
        },
      );
    } finally {
      await Deno.remove(users);
    }
  },
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
