// TLS listeners with real clients against a gateway process with a PLAINTEXT and an SSL listener: kcat (librdkafka
// 2.0.2) with mTLS, confluent-kafka over SSL, KafkaJS over TLS; the SSL principal (User:<DN>, mapping rules) seen
// in the admin API; refusals that close only their connection (no client certificate where one is required, an
// untrusted one, a PLAINTEXT client on the SSL port) while the gateway keeps serving; Metadata advertising the
// address of the listener a client came through; certificate reload without a restart; --http-tls; a
// certificate outside the start task's read permission stopping the start with a message naming it.
import tls from "node:tls";
import { assert, assertEquals } from "../unit/assert.ts";
import { GATEWAY_RUN, type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { pythonPath, requireTool } from "../helpers/tools.ts";
import { Kafka, logLevel } from "../helpers/kafkajs.ts";
import { issue, makePki, opensslTool, type TestPki } from "../helpers/certs.ts";
import { WireClient } from "../helpers/wire.ts";
import { DescribeClusterSpec } from "../../src/protocol/messages/describe_cluster.ts";
import { FindCoordinatorSpec } from "../../src/protocol/messages/find_coordinator.ts";
import { MetadataSpec } from "../../src/protocol/messages/metadata.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };
const PYTHON = pythonPath();
const DRIVER = new URL("./py/sasl_clients.py", import.meta.url).pathname;
const python = await requireTool("confluent-kafka (pip)", PYTHON, ["-c", "import confluent_kafka"]);
const kcat = await requireTool("kcat", "kcat", ["-V"]);
const ignoreKcat = kcat.ignore || opensslTool.ignore;

interface Setup {
  readonly pki: TestPki;
  readonly client: { cert: string; key: string };
  /** Signed by another CA: untrusted. */
  readonly stranger: { cert: string; key: string };
}

async function setup(dir: string): Promise<Setup> {
  const pki = await makePki(dir);
  const client = await issue(pki, "/O=Acme/OU=Eng/CN=client", `${dir}/client`);
  const other = await makePki(dir, "other-ca", "other-");
  const stranger = await issue(other, "/CN=stranger", `${dir}/stranger`);
  return { pki, client, stranger };
}

/** The gateway with PLAINTEXT and SSL listeners; the SSL port is read from its log. */
/** With TLS listeners the ops port's admin API needs authentication (--http-auth auto): the tests use a token. */
const OPS_TOKEN = "tls-test-ops-token";

function opsGet(gw: RunningGateway, path: string): Promise<Response> {
  return fetch(`http://127.0.0.1:${gw.httpPort}${path}`, {
    headers: { authorization: `Bearer ${OPS_TOKEN}` },
  });
}

async function start(
  s: Setup,
  extra: string[] = [],
  dataDir?: string,
): Promise<RunningGateway & { sslPort: number }> {
  const gw = await startGateway({
    dataDir,
    args: [
      "--listen",
      "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
      "--advertised-listener",
      "PLAINTEXT://127.0.0.1:0,SSL://localhost:0",
      "--tls-cert",
      s.pki.serverCert,
      "--tls-key",
      s.pki.serverKey,
      "--tls-ca",
      s.pki.caCert,
      "--tls-client-auth",
      "required",
      "--http-auth-token",
      OPS_TOKEN,
      ...extra,
    ],
  });
  const m = /:(\d+) \(SSL\)/.exec(gw.logs());
  assert(m !== null, gw.logs());
  return { ...gw, sslPort: Number(m[1]) };
}

async function kcatRun(args: string[], input?: string): Promise<{ ok: boolean; out: string }> {
  const child = new Deno.Command(kcat.path, {
    args,
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

function kcatSsl(s: Setup, cert?: { cert: string; key: string }): string[] {
  return [
    "-X",
    "security.protocol=SSL",
    "-X",
    `ssl.ca.location=${s.pki.caCert}`,
    ...(cert ? ["-X", `ssl.certificate.location=${cert.cert}`, "-X", `ssl.key.location=${cert.key}`] : []),
  ];
}

async function metric(gw: RunningGateway, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(name));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

Deno.test({
  name:
    "tls: kcat over SSL with mTLS; no or an untrusted client certificate and a PLAINTEXT client are refused alone",
  ignore: ignoreKcat,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const gw = await start(s);
    const ssl = `localhost:${gw.sslPort}`;
    try {
      const p = await kcatRun(["-b", ssl, ...kcatSsl(s, s.client), "-P", "-t", "tls1"], "a\nb\n");
      assert(p.ok, p.out);
      const c = await kcatRun([
        "-b",
        ssl,
        ...kcatSsl(s, s.client),
        "-C",
        "-t",
        "tls1",
        "-e",
        "-o",
        "beginning",
      ]);
      assert(c.ok, c.out);
      assertEquals(c.out.split("\n").filter((l) => l === "a" || l === "b"), ["a", "b"]);

      const before = await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}');
      const noCert = await kcatRun(["-b", ssl, ...kcatSsl(s), "-L", "-m", "3"]);
      assert(!noCert.ok, noCert.out);
      assert(/certificate required|handshake|Disconnected|SSL/i.test(noCert.out), noCert.out);
      const stranger = await kcatRun(["-b", ssl, ...kcatSsl(s, s.stranger), "-L", "-m", "3"]);
      assert(!stranger.ok, stranger.out);
      const plain = await kcatRun(["-b", `127.0.0.1:${gw.sslPort}`, "-L", "-m", "3"]);
      assert(!plain.ok, plain.out);
      assert(await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}') >= before + 3);
      assert(/TLS handshake with 127\.0\.0\.1 on SSL failed/.test(gw.logs()), gw.logs());

      // TLS 1.2 and 1.3 only. OpenSSL 3 will not offer TLS 1.0/1.1 at its default security level, so the old
      // versions are offered at level 0: the refusal must come from the gateway (its handshake failure count).
      const version = async (flag: string, extra: string[] = []) => {
        const out = await new Deno.Command("openssl", {
          args: [
            "s_client",
            "-connect",
            `127.0.0.1:${gw.sslPort}`,
            flag,
            ...extra,
            "-CAfile",
            s.pki.caCert,
            "-cert",
            s.client.cert,
            "-key",
            s.client.key,
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      };
      assert(/New, TLSv1\.2, Cipher is [A-Z]/.test(await version("-tls1_2")), "TLS 1.2 accepted");
      assert(/New, TLSv1\.3, Cipher is [A-Z]/.test(await version("-tls1_3")), "TLS 1.3 accepted");
      for (const flag of ["-tls1_1", "-tls1"]) {
        const failures = await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}');
        const old = await version(flag, ["-cipher", "DEFAULT@SECLEVEL=0"]);
        assert(/New, \(NONE\), Cipher is \(NONE\)/.test(old), `${flag} refused: ${old}`);
        // the gateway's alert (rustls answers handshake_failure, OpenSSL servers protocol_version)
        assert(
          /alert (protocol version|handshake failure)/.test(old),
          `${flag}: the gateway's alert: ${old}`,
        );
        assertEquals(
          await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}'),
          failures + 1,
          `${flag}: the gateway counted the refused handshake`,
        );
      }

      // ... and both listeners go on serving
      const again = await kcatRun([
        "-b",
        ssl,
        ...kcatSsl(s, s.client),
        "-C",
        "-t",
        "tls1",
        "-e",
        "-o",
        "beginning",
      ]);
      assert(again.ok && again.out.includes("b"), again.out);
      const viaPlain = await kcatRun(["-b", gw.bootstrap, "-C", "-t", "tls1", "-e", "-o", "beginning"]);
      assert(viaPlain.ok && viaPlain.out.includes("a"), viaPlain.out);
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "tls: Metadata, FindCoordinator and DescribeCluster give the address of the client's listener",
  ignore: ignoreKcat,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const gw = await start(s);
    try {
      const viaSsl = await kcatRun(["-b", `localhost:${gw.sslPort}`, ...kcatSsl(s, s.client), "-L"]);
      assert(viaSsl.ok, viaSsl.out);
      assert(viaSsl.out.includes(`broker 1 at localhost:${gw.sslPort}`), viaSsl.out);
      const viaPlain = await kcatRun(["-b", gw.bootstrap, "-L"]);
      assert(viaPlain.ok, viaPlain.out);
      assert(viaPlain.out.includes(`broker 1 at 127.0.0.1:${gw.port}`), viaPlain.out);
      // FindCoordinator (a consumer group) through the SSL listener: the group works, so the coordinator address
      // the client was given is the SSL one (the PLAINTEXT one would fail its handshake).
      const pr = await kcatRun([
        "-b",
        `localhost:${gw.sslPort}`,
        ...kcatSsl(s, s.client),
        "-P",
        "-t",
        "tls-meta",
      ], "m1\n");
      assert(pr.ok, pr.out);
      const g = await kcatRun([
        "-b",
        `localhost:${gw.sslPort}`,
        ...kcatSsl(s, s.client),
        "-G",
        "tls-group",
        "tls-meta",
        "-e",
        "-X",
        "auto.offset.reset=earliest",
      ]);
      assert(g.ok && g.out.includes("m1"), g.out);

      // the same answers at the wire level, through each listener
      const overTls = await Deno.connectTls({
        hostname: "localhost",
        port: gw.sslPort,
        caCerts: [await Deno.readTextFile(s.pki.caCert)],
        cert: await Deno.readTextFile(s.client.cert),
        key: await Deno.readTextFile(s.client.key),
      });
      const plainConn = await Deno.connect({ hostname: "127.0.0.1", port: gw.port });
      const expected: [Deno.Conn, string, number][] = [
        [overTls, "localhost", gw.sslPort],
        [plainConn, "127.0.0.1", gw.port],
      ];
      for (const [conn, host, port] of expected) {
        const w = new (WireClient as unknown as new (c: Deno.Conn, id: string) => WireClient)(
          conn,
          "tls-wire",
        );
        const dc = await w.call<{ brokers: { host: string; port: number }[] }>(DescribeClusterSpec, 0, {
          includeClusterAuthorizedOperations: false,
        });
        assertEquals(dc.brokers.map((b) => [b.host, b.port]), [[host, port]]);
        const fc = await w.call<{ coordinators: { host: string; port: number; errorCode: number }[] }>(
          FindCoordinatorSpec,
          4,
          { keyType: 0, coordinatorKeys: ["tls-group"] },
        );
        assertEquals(fc.coordinators.map((c) => [c.errorCode, c.host, c.port]), [[0, host, port]]);
        const md = await w.call<{ brokers: { host: string; port: number }[] }>(MetadataSpec, 9, {
          topics: [],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        });
        assertEquals(md.brokers.map((b) => [b.host, b.port]), [[host, port]]);
        conn.close();
      }
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "tls: KafkaJS over TLS with a client certificate; the principal is User:<DN>, or what the rules map it to",
  ignore: opensslTool.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    for (
      const [rules, principal] of [
        [[], "User:CN=client,OU=Eng,O=Acme"],
        [
          ["--ssl-principal-mapping-rules", "RULE:^CN=([^,]+),OU=Eng,.*$/$1@eng/U,DEFAULT"],
          "User:CLIENT@ENG",
        ],
      ] as const
    ) {
      const gw = await start(s, [...rules]);
      const kafka = new Kafka({
        clientId: "tls-kafkajs",
        brokers: [`localhost:${gw.sslPort}`],
        logLevel: logLevel.NOTHING,
        ssl: {
          ca: [await Deno.readTextFile(s.pki.caCert)],
          cert: await Deno.readTextFile(s.client.cert),
          key: await Deno.readTextFile(s.client.key),
        },
      });
      const producer = kafka.producer();
      try {
        await producer.connect();
        await producer.send({ topic: "tls-js", messages: [{ value: "over-tls" }] });
        const conns = await (await opsGet(gw, "/api/v1/connections")).json() as {
          listener: string;
          principal: string;
          tls: string | null;
          clientId: string | null;
        }[];
        const mine = conns.filter((c) => c.clientId === "tls-kafkajs");
        assert(mine.length > 0, JSON.stringify(conns));
        for (const c of mine) {
          assertEquals([c.listener, c.principal], ["SSL", principal]);
          assert(c.tls === "TLSv1.3" || c.tls === "TLSv1.2", String(c.tls));
        }
      } finally {
        await producer.disconnect().catch(() => {});
        await gw.stop();
      }
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  },
});

Deno.test({
  name: "tls: confluent-kafka produces and consumes over SSL with a client certificate",
  ignore: python.ignore || opensslTool.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const gw = await start(s);
    try {
      const op = {
        client: "ck",
        bootstrap: `localhost:${gw.sslPort}`,
        topic: "tls-ck",
        conf: {
          "security.protocol": "SSL",
          "ssl.ca.location": s.pki.caCert,
          "ssl.certificate.location": s.client.cert,
          "ssl.key.location": s.client.key,
        },
      };
      const out = await new Deno.Command(PYTHON, { args: [DRIVER, JSON.stringify(op)], stdout: "piped" })
        .output();
      const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
      assert(r.ok === true, JSON.stringify(r));
      assertEquals(r.values, ["v0", "v1", "v2"]);
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

/** The serial number of the certificate a new TLS connection to `port` is given. */
function servedSerial(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host: "127.0.0.1",
      port,
      ca,
      servername: "localhost",
      rejectUnauthorized: true,
    });
    sock.once("secureConnect", () => {
      const serial = sock.getPeerCertificate().serialNumber;
      sock.destroy();
      resolve(normalSerial(serial));
    });
    sock.once("error", reject);
  });
}

async function serialOf(certFile: string): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["x509", "-in", certFile, "-noout", "-serial"],
    stdout: "piped",
  }).output();
  return normalSerial(new TextDecoder().decode(out.stdout).trim().replace(/^serial=/, ""));
}

/** Node drops a serial's leading zero nibble and openssl keeps it: compare as upper-case hex without them. */
function normalSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, "");
}

Deno.test({
  name: "tls without client certificates (Deno's TLS): kcat over SSL as ANONYMOUS, TLS 1.2/1.3 only, bad " +
    "handshakes refused alone",
  ignore: ignoreKcat,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const gw = await start(s, ["--tls-client-auth", "none"]);
    const ssl = `localhost:${gw.sslPort}`;
    try {
      const p = await kcatRun(["-b", ssl, ...kcatSsl(s), "-P", "-t", "tls-native"], "x\ny\n");
      assert(p.ok, p.out);
      const c = await kcatRun(["-b", ssl, ...kcatSsl(s), "-C", "-t", "tls-native", "-e", "-o", "beginning"]);
      assert(c.ok, c.out);
      assertEquals(c.out.split("\n").filter((l) => l === "x" || l === "y"), ["x", "y"]);

      const openssl = async (flag: string, extra: string[] = []) => {
        const out = await new Deno.Command("openssl", {
          args: ["s_client", "-connect", `127.0.0.1:${gw.sslPort}`, flag, ...extra, "-CAfile", s.pki.caCert],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      };
      assert(/New, TLSv1\.2, Cipher is [A-Z]/.test(await openssl("-tls1_2")), "TLS 1.2 accepted");
      assert(/New, TLSv1\.3, Cipher is [A-Z]/.test(await openssl("-tls1_3")), "TLS 1.3 accepted");
      for (const flag of ["-tls1_1", "-tls1"]) {
        const failures = await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}');
        const old = await openssl(flag, ["-cipher", "DEFAULT@SECLEVEL=0"]);
        assert(/New, \(NONE\), Cipher is \(NONE\)/.test(old), `${flag} refused: ${old}`);
        assertEquals(
          await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}'),
          failures + 1,
          `${flag}: the gateway counted the refused handshake`,
        );
      }
      const before = await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}');
      const plain = await kcatRun(["-b", `127.0.0.1:${gw.sslPort}`, "-L", "-m", "3"]);
      assert(!plain.ok, plain.out);
      assert(await metric(gw, 'kgw_tls_handshake_failures_total{listener="SSL"}') > before);
      assert(/TLS handshake with 127\.0\.0\.1 on SSL failed/.test(gw.logs()), gw.logs());

      // the connection as operators see it: no client certificate, so User:ANONYMOUS; still serving
      const kafka = new Kafka({
        brokers: [ssl],
        clientId: "tls-native",
        logLevel: logLevel.NOTHING,
        ssl: { ca: [await Deno.readTextFile(s.pki.caCert)] },
      });
      const admin = kafka.admin();
      await admin.connect();
      try {
        assert((await admin.listTopics()).includes("tls-native"));
        const conns = await (await opsGet(gw, "/api/v1/connections")).json() as {
          listener: string;
          principal: string;
          tls: string | null;
          clientId: string | null;
        }[];
        const mine = conns.filter((x) => x.clientId === "tls-native");
        assert(mine.length > 0, JSON.stringify(conns));
        for (const x of mine) {
          assertEquals([x.listener, x.principal, x.tls], ["SSL", "User:ANONYMOUS", "TLSv1.2+"]);
        }
      } finally {
        await admin.disconnect();
      }
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "tls: replaced certificate files are served to new connections without a restart; --http-tls too",
  ignore: opensslTool.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const gw = await start(s, ["--tls-client-auth", "none", "--http-tls"]);
    const ca = await Deno.readTextFile(s.pki.caCert);
    try {
      const first = await serialOf(s.pki.serverCert);
      assertEquals(await servedSerial(gw.sslPort, ca), first);
      // the ops port speaks HTTPS with the same certificate
      const https = /HTTP endpoints .* at https:\/\/[^\s/]+:(\d+)\//.exec(gw.logs());
      assert(https !== null, gw.logs());
      const opsPort = Number(https[1]);
      assertEquals(await servedSerial(opsPort, ca), first);
      const client = Deno.createHttpClient({ caCerts: [ca] });
      const health = await fetch(`https://localhost:${opsPort}/healthz`, { client });
      assertEquals(health.status, 200);
      await health.body?.cancel();

      // a new certificate (another serial) replaces the files: written aside, then renamed over them
      const next = await issue(
        s.pki,
        "/CN=localhost",
        `${dir}/server2`,
        "serverAuth",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
      );
      const second = await serialOf(next.cert);
      assert(second !== first);
      await Deno.rename(next.key, s.pki.serverKey);
      await Deno.rename(next.cert, s.pki.serverCert);
      // both ports re-bind to swap the certificate (Deno's TLS and Deno.serve cannot swap it in place): a
      // connection in that window (~3 ms) is refused, and counts here as not yet the new certificate
      const orFirst = (e: unknown) => {
        if ((e as { code?: string }).code !== "ECONNREFUSED") throw e;
        return first;
      };
      let served = first;
      for (let i = 0; i < 50 && served !== second; i++) {
        await new Promise((r) => setTimeout(r, 200));
        served = await servedSerial(gw.sslPort, ca).catch(orFirst);
      }
      assertEquals(served, second);
      assert(gw.logs().includes("TLS certificate reloaded"), gw.logs());
      let opsServed = first;
      for (let i = 0; i < 25 && opsServed !== second; i++) {
        opsServed = await servedSerial(opsPort, ca).catch(orFirst);
        if (opsServed !== second) await new Promise((r) => setTimeout(r, 200));
      }
      assertEquals(opsServed, second);
      const after = await fetch(`https://localhost:${opsPort}/readyz`, { client });
      assertEquals(after.status, 200);
      await after.body?.cancel();
      client.close();
      // Kafka clients connect over the new certificate
      const kafka = new Kafka({
        brokers: [`localhost:${gw.sslPort}`],
        logLevel: logLevel.NOTHING,
        ssl: { ca: [ca] },
      });
      const admin = kafka.admin();
      await admin.connect();
      assert(Array.isArray(await admin.listTopics()));
      await admin.disconnect();
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "tls: a certificate outside the granted read paths stops the start, naming the file and the flag",
  ignore: opensslTool.ignore,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const data = await Deno.makeTempDir({ prefix: "kgw-tls-data-" });
    const s = await setup(dir);
    try {
      // the start task's shape: reads granted for the data directory only
      const modules = new URL("../../node_modules", import.meta.url).pathname;
      const args = GATEWAY_RUN.map((a) => a === "--allow-read" ? `--allow-read=${data},${modules}` : a);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          ...args,
          "--listen",
          "SSL://127.0.0.1:0",
          "--http-listen",
          "off",
          "--data-dir",
          data,
          "--tls-cert",
          s.pki.serverCert,
          "--tls-key",
          s.pki.serverKey,
        ],
        stdout: "piped",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert(!out.success, text);
      assert(text.includes(`--tls-cert ${s.pki.serverCert} is outside what this process may read`), text);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "tls: SASL_SSL listener: kcat SCRAM-SHA-512 and KafkaJS SCRAM-SHA-256 over TLS; the principal is SASL's",
  ignore: ignoreKcat,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const users = `${dir}/users.json`;
    await Deno.writeTextFile(users, JSON.stringify({ alice: "alice-secret" }));
    const gw = await startGateway({
      args: [
        "--listen",
        "PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0",
        "--advertised-listener",
        "SASL_SSL://localhost:0",
        "--tls-cert",
        s.pki.serverCert,
        "--tls-key",
        s.pki.serverKey,
        "--sasl-users",
        users,
        "--failed-authentication-delay-ms",
        "10",
        "--http-auth-token",
        OPS_TOKEN,
      ],
    });
    const port = Number(/:(\d+) \(SASL_SSL\)/.exec(gw.logs())?.[1]);
    const sasl = (password: string) => [
      ...kcatSsl(s),
      "-X",
      "security.protocol=SASL_SSL",
      "-X",
      "sasl.mechanisms=SCRAM-SHA-512",
      "-X",
      "sasl.username=alice",
      "-X",
      `sasl.password=${password}`,
    ];
    try {
      const p = await kcatRun(
        ["-b", `localhost:${port}`, ...sasl("alice-secret"), "-P", "-t", "sasl-tls"],
        "x1\n",
      );
      assert(p.ok, p.out);
      const bad = await kcatRun(["-b", `localhost:${port}`, ...sasl("wrong"), "-L", "-m", "3"]);
      assert(!bad.ok && /Authentication failed|SASL/i.test(bad.out), bad.out);
      const kafka = new Kafka({
        clientId: "sasl-ssl-js",
        brokers: [`localhost:${port}`],
        logLevel: logLevel.NOTHING,
        ssl: { ca: [await Deno.readTextFile(s.pki.caCert)] },
        sasl: { mechanism: "scram-sha-256", username: "alice", password: "alice-secret" },
      });
      const producer = kafka.producer();
      await producer.connect();
      try {
        await producer.send({ topic: "sasl-tls", messages: [{ value: "x2" }] });
        const conns = await (await opsGet(gw, "/api/v1/connections")).json() as {
          listener: string;
          principal: string;
          clientId: string | null;
        }[];
        const mine = conns.filter((c) => c.clientId === "sasl-ssl-js");
        assert(mine.length > 0, JSON.stringify(conns));
        for (const c of mine) assertEquals([c.listener, c.principal], ["SASL_SSL", "User:alice"]);
      } finally {
        await producer.disconnect();
      }
      const c = await kcatRun([
        "-b",
        `localhost:${port}`,
        ...sasl("alice-secret"),
        "-C",
        "-t",
        "sasl-tls",
        "-e",
      ]);
      assert(c.ok && c.out.includes("x1") && c.out.includes("x2"), c.out);
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "tls: --tls-client-auth requested lets a client without a certificate in (ANONYMOUS), not an untrusted one",
  ignore: ignoreKcat,
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-tls-" });
    const s = await setup(dir);
    const gw = await start(s, ["--tls-client-auth", "requested"]);
    const ssl = `localhost:${gw.sslPort}`;
    try {
      const anon = await kcatRun(["-b", ssl, ...kcatSsl(s), "-P", "-t", "req"], "n1\n");
      assert(anon.ok, anon.out);
      const withCert = await kcatRun(["-b", ssl, ...kcatSsl(s, s.client), "-C", "-t", "req", "-e"]);
      assert(withCert.ok && withCert.out.includes("n1"), withCert.out);
      const stranger = await kcatRun(["-b", ssl, ...kcatSsl(s, s.stranger), "-L", "-m", "3"]);
      assert(!stranger.ok, stranger.out);
      assert(/client certificate not trusted|TLS handshake with .* failed/.test(gw.logs()), gw.logs());
      // the principals, seen while KafkaJS keeps connections open
      for (
        const [cert, principal] of [[undefined, "User:ANONYMOUS"], [
          s.client,
          "User:CN=client,OU=Eng,O=Acme",
        ]] as const
      ) {
        const kafka = new Kafka({
          clientId: "req-js",
          brokers: [ssl],
          logLevel: logLevel.NOTHING,
          ssl: {
            ca: [await Deno.readTextFile(s.pki.caCert)],
            ...(cert
              ? { cert: await Deno.readTextFile(cert.cert), key: await Deno.readTextFile(cert.key) }
              : {}),
          },
        });
        const admin = kafka.admin();
        await admin.connect();
        try {
          await admin.listTopics();
          const conns = await (await opsGet(gw, "/api/v1/connections")).json() as {
            principal: string;
            clientId: string | null;
          }[];
          const mine = conns.filter((c) => c.clientId === "req-js").map((c) => c.principal);
          assert(mine.length > 0 && mine.every((p) => p === principal), JSON.stringify(conns));
        } finally {
          await admin.disconnect();
        }
        await new Promise((r) => setTimeout(r, 300)); // the closed connections leave the list
      }
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
