// SASL with real clients against gateway processes on SASL_PLAINTEXT and SASL_SSL listeners: kcat (librdkafka
// 2.0.2) and confluent-kafka (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER through an OIDC token endpoint this test serves,
// KIP-368 re-authentication, the SCRAM admin APIs), KafkaJS, kafka-python and aiokafka (SCRAM), Sarama (PLAIN
// after SaslHandshake v0 and v1). Refusals: wrong password, unknown user, a mechanism not enabled, a PLAINTEXT
// client on the SASL port, expired, forged and wrong-audience JWTs. Users created through the admin API survive
// a restart.
import { assert, assertEquals } from "../unit/assert.ts";
import { GATEWAY_RUN, type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { makePki, opensslTool } from "../helpers/certs.ts";
import { jwks, SASL_LISTENER, signingKey, tokenEndpoint } from "../helpers/sasl.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const DRIVER = new URL("./py/sasl_clients.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, [
  "-c",
  "import confluent_kafka, kafka, aiokafka",
]);
const kcat = await requireTool("kcat", "kcat", ["-V"]);

const USERS = { alice: "alice-secret", admin: "admin-secret" };

async function usersFile(dir: string): Promise<string> {
  const path = `${dir}/users.json`;
  await Deno.writeTextFile(path, JSON.stringify(USERS));
  return path;
}

async function start(dataDir: string, extra: string[] = []): Promise<RunningGateway> {
  return await startGateway({
    dataDir,
    args: [
      ...SASL_LISTENER,
      "--sasl-users",
      await usersFile(dataDir),
      "--failed-authentication-delay-ms",
      "50",
      ...extra,
    ],
  });
}

// deno-lint-ignore no-explicit-any
type Result = Record<string, any>;

async function py(op: Record<string, unknown>): Promise<Result> {
  const out = await new Deno.Command(PYTHON, {
    args: [DRIVER, JSON.stringify(op)],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout).trim();
  if (text === "") {
    throw new Error(`sasl_clients.py printed nothing:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return JSON.parse(text.split("\n").at(-1)!);
}

/** confluent-kafka OAUTHBEARER with tokens from the OIDC token endpoint at `url` (client credentials). */
function oidc(url: string): Record<string, string> {
  return {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanisms": "OAUTHBEARER",
    "sasl.oauthbearer.method": "oidc",
    "sasl.oauthbearer.client.id": "orders",
    "sasl.oauthbearer.client.secret": "s",
    "sasl.oauthbearer.token.endpoint.url": url,
  };
}

function ckConf(mechanism: string, user: string, password: string): Record<string, string> {
  return {
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanisms": mechanism,
    "sasl.username": user,
    "sasl.password": password,
  };
}

async function kcatRun(
  gw: RunningGateway,
  args: string[],
  input?: string,
): Promise<{ ok: boolean; out: string }> {
  const child = new Deno.Command(kcat.path, {
    args: ["-b", gw.bootstrap, ...args],
    stdin: input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (input !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(input));
    await w.close();
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  const d = new TextDecoder();
  return { ok: out.success, out: d.decode(out.stdout) + d.decode(out.stderr) };
}

function kcatSasl(mechanism: string, user: string, password: string): string[] {
  return [
    "-X",
    "security.protocol=SASL_PLAINTEXT",
    "-X",
    `sasl.mechanisms=${mechanism}`,
    "-X",
    `sasl.username=${user}`,
    "-X",
    `sasl.password=${password}`,
  ];
}

async function metric(gw: RunningGateway, name: string): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  return text.split("\n").filter((l) => l.startsWith(name)).join("\n");
}

Deno.test({
  name: "sasl clients: kcat PLAIN, SCRAM-SHA-256, SCRAM-SHA-512; refusals",
  ignore: kcat.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    const gw = await start(dir);
    try {
      for (const m of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) {
        const r = await kcatRun(
          gw,
          ["-P", "-t", "kc", ...kcatSasl(m, "alice", "alice-secret")],
          `from-${m}\n`,
        );
        assert(r.ok, `${m} produce: ${r.out}`);
      }
      const c = await kcatRun(gw, [
        "-C",
        "-t",
        "kc",
        "-e",
        "-q",
        ...kcatSasl("SCRAM-SHA-512", "alice", "alice-secret"),
      ]);
      assertEquals(c.out.trim().split("\n"), ["from-PLAIN", "from-SCRAM-SHA-256", "from-SCRAM-SHA-512"]);

      const refusals: [string, string[], RegExp][] = [
        ["wrong password", kcatSasl("SCRAM-SHA-256", "alice", "nope"), /Authentication failed/],
        ["unknown user", kcatSasl("SCRAM-SHA-512", "mallory", "x"), /Authentication failed/],
        ["PLAIN wrong password", kcatSasl("PLAIN", "alice", "nope"), /Invalid username or password/],
        ["mechanism not enabled", [
          "-X",
          "security.protocol=SASL_PLAINTEXT",
          "-X",
          "sasl.mechanisms=OAUTHBEARER",
          "-X",
          "enable.sasl.oauthbearer.unsecure.jwt=true",
          "-X",
          "sasl.oauthbearer.config=principal=x",
        ], /Unsupported SASL mechanism: broker's supported mechanisms: PLAIN,SCRAM-SHA-256,SCRAM-SHA-512/],
        ["PLAINTEXT client", [], /Disconnected|Timed out|transport failure/],
      ];
      for (const [what, args, expect] of refusals) {
        const r = await kcatRun(gw, ["-L", "-m", "4", ...args]);
        assert(!r.ok, `${what}: refused`);
        assert(expect.test(r.out), `${what}: ${r.out.slice(0, 400)}`);
      }
      assert(
        /SASL authentication failed: principal User:mallory, mechanism SCRAM-SHA-512, peer 127\.0\.0\.1/.test(
          gw.logs(),
        ),
        "failure logged",
      );
      assert(!gw.logs().includes("nope"), "the secret is never logged");
      assert(
        /kgw_sasl_authentications_total\{mechanism="SCRAM-SHA-256",result="failure"\} [1-9]/.test(
          await metric(gw, "kgw_sasl"),
        ),
        "counted",
      );
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "sasl clients: confluent-kafka PLAIN/SCRAM, kafka-python and aiokafka SCRAM, KafkaJS SCRAM",
  ignore: python.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    const gw = await start(dir);
    try {
      for (const m of ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]) {
        const r = await py({
          client: "ck",
          bootstrap: gw.bootstrap,
          conf: ckConf(m, "alice", "alice-secret"),
          topic: `ck-${m}`,
        });
        assert(r.ok, `confluent-kafka ${m}: ${JSON.stringify(r)}`);
      }
      const wrong = await py({
        client: "ck",
        bootstrap: gw.bootstrap,
        conf: ckConf("SCRAM-SHA-256", "alice", "x"),
        topic: "ck-x",
      });
      assert(
        !wrong.ok && wrong.errors.some((e: string) => e.includes("Authentication failed")),
        JSON.stringify(wrong),
      );
      for (const client of ["kafka-python", "aiokafka"]) {
        for (const m of ["SCRAM-SHA-256", "SCRAM-SHA-512"]) {
          const r = await py({
            client,
            bootstrap: gw.bootstrap,
            mechanism: m,
            user: "alice",
            password: "alice-secret",
            topic: `${client}-${m}`,
          });
          assert(r.ok, `${client} ${m}: ${JSON.stringify(r)}`);
          assertEquals(r.values, ["v0", "v1", "v2"]);
        }
        const bad = await py({
          client,
          bootstrap: gw.bootstrap,
          mechanism: "SCRAM-SHA-256",
          user: "alice",
          password: "bad",
          topic: "x",
        });
        assert(!bad.ok, `${client} wrong password refused: ${JSON.stringify(bad)}`);
      }
      const scram = (mechanism: "scram-sha-256" | "scram-sha-512", password: string) =>
        mechanism === "scram-sha-256"
          ? { mechanism, username: "alice", password }
          : { mechanism, username: "alice", password };
      for (const mechanism of ["scram-sha-256", "scram-sha-512"] as const) {
        const kafka = new Kafka({
          clientId: "sasl-test",
          brokers: [gw.bootstrap],
          sasl: scram(mechanism, "alice-secret"),
          logLevel: logLevel.NOTHING,
        });
        const admin = kafka.admin();
        await admin.connect();
        await admin.createTopics({ topics: [{ topic: `kjs-${mechanism}` }] });
        assert((await admin.listTopics()).includes(`kjs-${mechanism}`), "KafkaJS lists its topic");
        await admin.disconnect();
        const bad = new Kafka({
          clientId: "sasl-test",
          brokers: [gw.bootstrap],
          sasl: scram(mechanism, "wrong"),
          logLevel: logLevel.NOTHING,
          retry: { retries: 0 },
        }).admin();
        let refused = "";
        await bad.connect().catch((e: Error) => refused = e.message);
        assert(
          /SASL SCRAM SHA\d+ authentication failed|Authentication failed/i.test(refused),
          `KafkaJS: ${refused}`,
        );
      }
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "sasl clients: SCRAM admin APIs through confluent-kafka; the new user logs in; a restart keeps it",
  ignore: python.ignore || kcat.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    let gw = await start(dir);
    try {
      const conf = ckConf("PLAIN", "admin", "admin-secret");
      const alter = await py({
        client: "ck_admin",
        bootstrap: gw.bootstrap,
        conf,
        op: "alter",
        upsertions: [["carol", "SCRAM-SHA-256", "carol-pw", 8192], ["dave", "SCRAM-SHA-512", "d", 1000]],
      });
      assertEquals(alter.results, { carol: null, dave: "UNACCEPTABLE_CREDENTIAL" });
      const described = await py({
        client: "ck_admin",
        bootstrap: gw.bootstrap,
        conf,
        op: "describe",
        users: ["carol", "nobody"],
      });
      assertEquals(described.users, { carol: [["SCRAM-SHA-256", 8192]], nobody: "RESOURCE_NOT_FOUND" });
      const all = await py({
        client: "ck_admin",
        bootstrap: gw.bootstrap,
        conf,
        op: "describe",
        users: null,
      });
      assertEquals(Object.keys(all.users).sort(), ["admin", "alice", "carol"]);
      assertEquals(all.users.alice, [["SCRAM-SHA-256", 4096], ["SCRAM-SHA-512", 4096]]);

      const login = async (m: string, pw: string) =>
        (await kcatRun(gw, ["-L", "-m", "4", ...kcatSasl(m, "carol", pw)])).ok;
      assert(await login("SCRAM-SHA-256", "carol-pw"), "carol logs in with SCRAM-SHA-256");
      assert(await login("PLAIN", "carol-pw"), "and with PLAIN (checked against her SCRAM credential)");
      assert(!await login("SCRAM-SHA-512", "carol-pw"), "no SCRAM-SHA-512 credential");

      await gw.stop();
      gw = await startGateway({ dataDir: dir, args: [...SASL_LISTENER] });
      assert(await login("SCRAM-SHA-256", "carol-pw"), "carol survives a restart");
      const del = await py({
        client: "ck_admin",
        bootstrap: gw.bootstrap,
        conf,
        op: "alter",
        deletions: [["carol", "SCRAM-SHA-256"]],
      });
      assertEquals(del.results, { carol: null });
      assert(!await login("SCRAM-SHA-256", "carol-pw"), "deleted: refused");
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "sasl clients: confluent-kafka OAUTHBEARER through an OIDC token endpoint; expired and forged tokens refused",
  ignore: python.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    const key = await signingKey("RS256", "k1");
    const forger = await signingKey("RS256", "k1");
    await Deno.writeTextFile(`${dir}/jwks.json`, jwks(key));
    const now = () => Math.floor(Date.now() / 1000);
    const good = tokenEndpoint(key, () => ({ sub: "svc-orders", iss: "https://idp.test", aud: "kafka" }));
    const expired = tokenEndpoint(
      key,
      () => ({ sub: "svc", iss: "https://idp.test", aud: "kafka", iat: now() - 7200, exp: now() - 3600 }),
    );
    const forged = tokenEndpoint(forger, () => ({ sub: "svc", iss: "https://idp.test", aud: "kafka" }));
    const otherAudience = tokenEndpoint(key, () => ({ sub: "svc", iss: "https://idp.test", aud: "billing" }));
    const gw = await start(dir, [
      "--sasl-mechanisms",
      "SCRAM-SHA-256,OAUTHBEARER",
      "--sasl-oauthbearer-jwks",
      `${dir}/jwks.json`,
      "--sasl-oauthbearer-expected-issuer",
      "https://idp.test",
      "--sasl-oauthbearer-expected-audience",
      "kafka",
      "--sasl-session-lifetime-ms",
      "4000",
    ]);
    try {
      // 9 s on one connection with a 4 s session: confluent-kafka re-authenticates (KIP-368) and is never cut off.
      const ok = await py({
        client: "ck",
        bootstrap: gw.bootstrap,
        conf: oidc(good.url),
        topic: "oauth",
        duration_s: 9,
      });
      assert(ok.ok, `OIDC token accepted: ${JSON.stringify(ok)}`);
      const counted = await metric(gw, "kgw_sasl_");
      const successes = Number(/OAUTHBEARER",result="success"\} (\d+)/.exec(counted)?.[1] ?? 0);
      assert(successes >= 4, `re-authenticated on the producer's connection: ${counted}`);
      assert(/kgw_sasl_sessions_expired_total 0/.test(counted), `no session expired: ${counted}`);
      for (
        const [what, ep] of [["expired", expired], ["forged", forged], [
          "other audience",
          otherAudience,
        ]] as const
      ) {
        const r = await py({ client: "ck", bootstrap: gw.bootstrap, conf: oidc(ep.url), topic: "oauth" });
        assert(!r.ok, `${what} token refused: ${JSON.stringify(r)}`);
      }
      // librdkafka itself will not send a token past its exp; the gateway's own expiry check is in sasl_test.ts.
      assert(gw.logs().includes("signature does not verify"), "forgery logged");
      assert(gw.logs().includes('audience "billing" is not an expected one'), "audience logged");
    } finally {
      await gw.stop();
      for (const ep of [good, expired, forged, otherAudience]) await ep.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "sasl clients: OAUTHBEARER keys from a JWKS URL; a key rotated in is fetched when a token names it; " +
    "an unreachable JWKS URL stops the start naming the flag",
  ignore: python.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    const k1 = await signingKey("RS256", "k1");
    const k2 = await signingKey("ES256", "k2");
    // The identity provider's JWKS endpoint: k1 first, k1 and k2 after the rotation.
    let served = jwks(k1);
    let requests = 0;
    const idp = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
      requests++;
      return new Response(served, { headers: { "content-type": "application/json" } });
    });
    const jwksUrl = `http://127.0.0.1:${idp.addr.port}/.well-known/jwks.json`;
    const claims = () => ({ sub: "svc-orders", iss: "https://idp.test", aud: "kafka" });
    const byK1 = tokenEndpoint(k1, claims);
    const byK2 = tokenEndpoint(k2, claims);
    const oauth = [
      "--sasl-mechanisms",
      "SCRAM-SHA-256,OAUTHBEARER",
      "--sasl-oauthbearer-expected-audience",
      "kafka",
    ];
    const gw = await start(dir, [...oauth, "--sasl-oauthbearer-jwks", jwksUrl]);
    try {
      assertEquals(requests, 1, "the set is fetched once at start");
      const ok = await py({ client: "ck", bootstrap: gw.bootstrap, conf: oidc(byK1.url), topic: "jwks-url" });
      assert(ok.ok, `a token signed by k1 accepted: ${JSON.stringify(ok)}`);
      // Before the rotation a k2 token names a key the set lacks: refused.
      const early = await py({
        client: "ck",
        bootstrap: gw.bootstrap,
        conf: oidc(byK2.url),
        topic: "jwks-url",
      });
      assert(!early.ok, `k2 unknown before the rotation: ${JSON.stringify(early)}`);
      const refused = Date.now();
      served = jwks(k1, k2);
      // An unknown key id makes the gateway fetch the set again, at most every 10 s (jwks.ts MISS_REFRESH_MS): the
      // refusal above may just have fetched it.
      await new Promise((r) => setTimeout(r, Math.max(0, refused + 11_000 - Date.now())));
      const rotated = await py({
        client: "ck",
        bootstrap: gw.bootstrap,
        conf: oidc(byK2.url),
        topic: "jwks-url",
      });
      assert(rotated.ok, `k2 accepted after the rotation, without a restart: ${JSON.stringify(rotated)}`);
      assert(requests >= 2, `fetched again for the unknown key id (${requests} requests)`);
    } finally {
      await gw.stop();
      await byK1.close();
      await byK2.close();
    }
    // The identity provider gone: the start stops with the flag and the URL in the message.
    await idp.shutdown();
    const data = await Deno.makeTempDir({ prefix: "kgw-sasl-data-" });
    try {
      const down = await startGateway({
        dataDir: data,
        args: [...SASL_LISTENER, ...oauth, "--sasl-oauthbearer-jwks", jwksUrl],
      })
        .then(async (g) => {
          await g.stop();
          return "started";
        }, (e: Error) => e.message);
      assert(down.includes(`--sasl-oauthbearer-jwks ${jwksUrl}`), down);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "sasl: a users file or JWKS outside the granted read paths stops the start, naming the file and the flag",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    const data = await Deno.makeTempDir({ prefix: "kgw-sasl-data-" });
    try {
      const users = await usersFile(dir);
      const key = await signingKey("RS256", "k1");
      await Deno.writeTextFile(`${dir}/jwks.json`, jwks(key));
      // the start task's shape: reads granted for the data directory (and the npm modules) only
      const modules = new URL("../../node_modules", import.meta.url).pathname;
      const args = GATEWAY_RUN.map((a) => a === "--allow-read" ? `--allow-read=${data},${modules}` : a);
      const run = async (extra: string[]) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [...args, ...SASL_LISTENER, "--http-listen", "off", "--data-dir", data, ...extra],
          stdout: "piped",
          stderr: "piped",
          env: { NO_COLOR: "1" },
        }).output();
        return {
          ok: out.success,
          text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
        };
      };
      const u = await run(["--sasl-users", users]);
      assert(!u.ok, u.text);
      assert(u.text.includes(`--sasl-users ${users} is outside what this process may read`), u.text);
      const j = await run([
        "--sasl-mechanisms",
        "OAUTHBEARER",
        "--sasl-oauthbearer-jwks",
        `${dir}/jwks.json`,
      ]);
      assert(!j.ok, j.text);
      assert(
        j.text.includes(`--sasl-oauthbearer-jwks ${dir}/jwks.json is outside what this process may read`),
        j.text,
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
});

const go = await requireTool("go (GOPATH mode, Debian's sarama)", "go", ["version"]);

/** Builds the Sarama SASL program (tests/conformance/go/sarama_sasl) in GOPATH mode against Debian's sarama 1.22.1. */
async function buildSarama(dir: string): Promise<string> {
  const out = `${dir}/sarama_sasl`;
  const r = await new Deno.Command("go", {
    args: ["build", "-o", out, "."],
    cwd: new URL("./go/sarama_sasl/", import.meta.url).pathname,
    env: { GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOCACHE: `${dir}/gocache` },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!r.success) throw new Error(`go build sarama_sasl: ${new TextDecoder().decode(r.stderr)}`);
  return out;
}

Deno.test({
  name: "sasl clients: Sarama PLAIN with SaslHandshake v0 (raw token) and v1",
  ignore: go.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-" });
    const gw = await start(dir);
    try {
      const bin = await buildSarama(dir);
      const run = async (password: string, version: string) => {
        const r = await new Deno.Command(bin, {
          args: [gw.bootstrap, "alice", password, version, "sarama"],
          stdout: "piped",
          stderr: "null",
        }).output();
        return new TextDecoder().decode(r.stdout).trim();
      };
      for (const version of ["0.10.2.0", "1.0.0"]) {
        assertEquals(await run("alice-secret", version), "ok", `Sarama ${version}`);
        assert(await run("wrong", version) !== "ok", `Sarama ${version}: wrong password refused`);
      }
      const handshakes = await metric(gw, 'kgw_requests_total{api="SaslHandshake"');
      assert(/version="0"\} [1-9]/.test(handshakes) && /version="1"\} [1-9]/.test(handshakes), handshakes);
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "sasl clients: SASL_SSL — kcat SCRAM-SHA-512, confluent-kafka PLAIN, KafkaJS SCRAM-SHA-256, Sarama PLAIN over TLS",
  ignore: kcat.ignore || python.ignore || opensslTool.ignore || go.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-sasl-ssl-" });
    const pki = await makePki(dir);
    const gw = await startGateway({
      dataDir: dir,
      args: [
        "--listen",
        "SASL_SSL://127.0.0.1:0",
        "--advertised-listener",
        "SASL_SSL://localhost:0",
        "--tls-cert",
        pki.serverCert,
        "--tls-key",
        pki.serverKey,
        "--sasl-users",
        await usersFile(dir),
      ],
    });
    const bootstrap = `localhost:${gw.port}`;
    try {
      const tls = { ...gw, bootstrap };
      const tlsSasl = (m: string, pw: string) => [
        "-X",
        "security.protocol=SASL_SSL",
        "-X",
        `ssl.ca.location=${pki.caCert}`,
        ...kcatSasl(m, "alice", pw).slice(2),
      ];
      const p = await kcatRun(
        tls,
        ["-P", "-t", "sasl-ssl", ...tlsSasl("SCRAM-SHA-512", "alice-secret")],
        "over-tls\n",
      );
      assert(p.ok, `kcat SASL_SSL produce: ${p.out}`);
      const c = await kcatRun(tls, [
        "-C",
        "-t",
        "sasl-ssl",
        "-e",
        "-q",
        ...tlsSasl("SCRAM-SHA-512", "alice-secret"),
      ]);
      assertEquals(c.out.trim(), "over-tls");
      const bad = await kcatRun(tls, ["-L", "-m", "4", ...tlsSasl("SCRAM-SHA-512", "nope")]);
      assert(!bad.ok && /Authentication failed/.test(bad.out), bad.out);

      const r = await py({
        client: "ck",
        bootstrap,
        topic: "sasl-ssl-ck",
        conf: {
          ...ckConf("PLAIN", "alice", "alice-secret"),
          "security.protocol": "SASL_SSL",
          "ssl.ca.location": pki.caCert,
        },
      });
      assert(r.ok, `confluent-kafka SASL_SSL PLAIN: ${JSON.stringify(r)}`);

      const kafka = new Kafka({
        clientId: "sasl-ssl",
        brokers: [bootstrap],
        ssl: { ca: [await Deno.readTextFile(pki.caCert)] },
        sasl: { mechanism: "scram-sha-256", username: "alice", password: "alice-secret" },
        logLevel: logLevel.NOTHING,
      });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: "sasl-ssl-kjs", messages: [{ value: "kjs" }] });
      await producer.disconnect();
      const c2 = await kcatRun(tls, [
        "-C",
        "-t",
        "sasl-ssl-kjs",
        "-e",
        "-q",
        ...tlsSasl("PLAIN", "alice-secret"),
      ]);
      assertEquals(c2.out.trim(), "kjs");

      // Sarama 1.22.1 with PLAIN (SaslHandshake v1 + SaslAuthenticate) over TLS
      const sarama = await buildSarama(dir);
      const saramaRun = async (password: string) => {
        const out = await new Deno.Command(sarama, {
          args: [bootstrap, "alice", password, "1.0.0", "sasl-ssl-sarama", pki.caCert],
          stdout: "piped",
          stderr: "null",
        }).output();
        return new TextDecoder().decode(out.stdout).trim();
      };
      assertEquals(await saramaRun("alice-secret"), "ok", "Sarama PLAIN over TLS");
      assert(await saramaRun("wrong") !== "ok", "Sarama over TLS: wrong password refused");
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
