// Authentication of the operations HTTP port (src/ops/http_auth.ts): which paths each mode protects, HTTP Basic
// against the credential check, the bearer token, the Cluster DESCRIBE rule, and refusals that never echo secrets.
import { assert, assertEquals } from "./assert.ts";
import { HttpAuth, type HttpAuthOptions, parseBasic } from "../../src/ops/http_auth.ts";

/** An HTTP Basic header as clients send it for charset="UTF-8": base64 of the UTF-8 bytes. */
const basic = (user: string, pw: string) =>
  `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(user + ":" + pw)))}`;
const req = (auth?: string) =>
  new Request("http://x/api/v1/topics", auth ? { headers: { authorization: auth } } : {});

function auth(over: Partial<HttpAuthOptions> = {}, failures: string[] = []): HttpAuth {
  return new HttpAuth({
    mode: "api",
    token: "s3cret-token",
    checkPassword: (u, p) =>
      Promise.resolve(
        u === "alice"
          ? (p === "pw" ? "ok" : "wrong-password")
          : u === "bob" && p === "pw"
          ? "ok"
          : "unknown-user",
      ),
    mayDescribeCluster: (principal) => principal === "User:alice",
    failedDelayMs: 0,
    onFailure: (why, principal, remote) => failures.push(`${why}|${principal}|${remote}`),
    ...over,
  });
}

Deno.test("http auth: modes protect the admin API and dashboard; probes and metrics open unless 'all'", () => {
  const api = auth();
  for (const p of ["/api/v1/topics", "/dashboard", "/dashboard.js", "/"]) assert(api.protects(p), p);
  for (const p of ["/metrics", "/healthz", "/readyz"]) assert(!api.protects(p), p);
  assert(auth({ mode: "all" }).protects("/metrics"));
  assert(!auth({ mode: "none" }).protects("/api/v1/topics"));
});

Deno.test("http auth: Basic with the SCRAM users, the Cluster rule, the bearer token; refusals", async () => {
  const failures: string[] = [];
  const a = auth({}, failures);
  assertEquals(await a.check(req(basic("alice", "pw")), "/api/v1/topics", "10.0.0.1"), null);
  assertEquals(await a.check(req("Bearer s3cret-token"), "/api/v1/topics", "10.0.0.1"), null);
  const none = await a.check(req(), "/api/v1/topics", "10.0.0.1");
  assertEquals(none?.status, 401);
  assert(none!.headers.get("www-authenticate")!.startsWith('Basic realm="kafka-gateway"'));
  assertEquals((await a.check(req(basic("alice", "nope")), "/api/v1/topics", "10.0.0.1"))?.status, 401);
  assertEquals((await a.check(req(basic("carol", "pw")), "/api/v1/topics", "10.0.0.1"))?.status, 401);
  assertEquals((await a.check(req("Bearer wrong"), "/api/v1/topics", "10.0.0.1"))?.status, 401);
  assertEquals((await a.check(req("Digest abc"), "/api/v1/topics", "10.0.0.1"))?.status, 401);
  // bob authenticates but has no DESCRIBE on the Cluster
  assertEquals((await a.check(req(basic("bob", "pw")), "/api/v1/topics", "10.0.0.1"))?.status, 403);
  // without an ACL authorizer any authenticated user may read
  assertEquals(
    await auth({ mayDescribeCluster: null }).check(req(basic("bob", "pw")), "/api/v1/topics", "h"),
    null,
  );
  // open paths need nothing
  assertEquals(await a.check(new Request("http://x/metrics"), "/metrics", "10.0.0.1"), null);
  assertEquals(failures, [
    "wrong-password|User:alice|10.0.0.1",
    "unknown-user|User:carol|10.0.0.1",
    "bearer token refused|null|10.0.0.1",
    "malformed Authorization header|null|10.0.0.1",
    "no DESCRIBE on the Cluster|User:bob|10.0.0.1",
  ]);
  assert(
    !failures.join().includes("nope") && !failures.join().includes("wrong|"),
    "no secret in the reasons",
  );
});

Deno.test("http auth: a failed attempt waits the failed-authentication delay", async () => {
  const a = auth({ failedDelayMs: 120 });
  const t0 = performance.now();
  await a.check(req(basic("alice", "nope")), "/api/v1/topics", "h");
  assert(performance.now() - t0 >= 100, "delayed");
});

Deno.test("http auth: Basic header parsing (UTF-8, colons in passwords, malformed)", () => {
  assertEquals(parseBasic(basic("zoë", "a:b")), { user: "zoë".normalize(), password: "a:b" });
  assertEquals(parseBasic("Basic !!!"), null);
  assertEquals(parseBasic(`Basic ${btoa("nocolon")}`), null);
  assertEquals(parseBasic(`Basic ${btoa(":pw")}`), null);
});
