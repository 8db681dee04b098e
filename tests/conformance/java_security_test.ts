// Security with Apache Kafka's own Java tools (scripts/kafka/tool.sh; client property files in a temp directory):
// SSL with a PEM truststore, SASL_SSL SCRAM-SHA-512/256 for a user kafka-configs created over the wire
// (AlterUserScramCredentials), PLAIN over SASL_PLAINTEXT, a wrong password refused with the Java client's
// authentication error; then mTLS (ssl.client.auth required, a PEM keystore) with --authorizer acl: kafka-acls
// adds, lists and removes ACLs for the certificate's principal User:CN=..., and the Java producer is refused
// (TopicAuthorizationException) before the ACL and accepted after. OAUTHBEARER: Kafka's own login callback handler
// fetches signed tokens from an OIDC endpoint the test serves; the gateway verifies them against its JWKS.
import { assert, assertEquals } from "../unit/assert.ts";
import { type RunningGateway, startGateway } from "../helpers/gateway.ts";
import { kafkaTool, kafkaToolOk, kafkaTools } from "../helpers/apache_kafka.ts";
import { issue, makePki, opensslTool, type TestPki } from "../helpers/certs.ts";
import { jwks, signingKey, tokenEndpoint } from "../helpers/sasl.ts";

const java = await kafkaTools();
const opts = {
  sanitizeOps: false,
  sanitizeResources: false,
  ignore: java.ignore || opensslTool.ignore,
};

/** A client property file (what --producer.config, --consumer.config and --command-config read). */
async function props(dir: string, name: string, p: Record<string, string>): Promise<string> {
  const path = `${dir}/${name}.properties`;
  await Deno.writeTextFile(path, Object.entries(p).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  return path;
}

/** The port a gateway logged for one of its listeners ("... :PORT (SSL)"). */
function portOf(gw: RunningGateway, listener: string): number {
  const m = new RegExp(`:(\\d+) \\(${listener}\\)`).exec(gw.logs());
  assert(m !== null, `no ${listener} listener in the log:\n${gw.logs()}`);
  return Number(m[1]);
}

/** A PEM truststore (ssl.truststore.type=PEM): the CA that signed the gateway's certificate. */
function trust(pki: TestPki): Record<string, string> {
  return { "ssl.truststore.type": "PEM", "ssl.truststore.location": pki.caCert };
}

/** The JAAS line of a SASL mechanism for user/password. */
function jaas(mechanism: string, user: string, password: string): string {
  const module = mechanism === "PLAIN"
    ? "org.apache.kafka.common.security.plain.PlainLoginModule"
    : "org.apache.kafka.common.security.scram.ScramLoginModule";
  return `${module} required username="${user}" password="${password}";`;
}

async function produce(
  bootstrap: string,
  topic: string,
  config: string,
  lines: string[],
  env?: Record<string, string>,
) {
  return await kafkaTool("kafka-console-producer", [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--producer.config",
    config,
    "--producer-property",
    "max.block.ms=8000",
    "--producer-property",
    "delivery.timeout.ms=10000",
    "--producer-property",
    "request.timeout.ms=5000",
  ], { stdin: lines.map((l) => l + "\n").join(""), timeoutMs: 40_000, env });
}

async function consume(
  bootstrap: string,
  topic: string,
  config: string,
  n: number,
  group?: string,
  env?: Record<string, string>,
) {
  return await kafkaTool("kafka-console-consumer", [
    "--bootstrap-server",
    bootstrap,
    "--topic",
    topic,
    "--consumer.config",
    config,
    "--from-beginning",
    "--max-messages",
    String(n),
    "--timeout-ms",
    "15000",
    ...(group ? ["--group", group] : []),
  ], { timeoutMs: 40_000, env });
}

function values(stdout: string): string[] {
  return stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "");
}

Deno.test({
  name:
    "java security: SSL (PEM truststore), SASL_SSL SCRAM-SHA-512/256 users from kafka-configs, SASL_PLAINTEXT PLAIN, wrong password",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-java-sec-" });
    const pki = await makePki(dir);
    const users = `${dir}/users.json`;
    await Deno.writeTextFile(users, JSON.stringify({ admin: "admin-secret" }));
    const gw = await startGateway({
      dataDir: `${dir}/data`,
      args: [
        "--listen",
        "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
        "--advertised-listener",
        "PLAINTEXT://127.0.0.1:0,SSL://localhost:0,SASL_SSL://localhost:0,SASL_PLAINTEXT://127.0.0.1:0",
        "--tls-cert",
        pki.serverCert,
        "--tls-key",
        pki.serverKey,
        "--sasl-users",
        users,
        "--failed-authentication-delay-ms",
        "10",
        "--http-auth-token",
        "java-security-ops-token",
      ],
    });
    try {
      const ssl = `localhost:${portOf(gw, "SSL")}`;
      const saslSsl = `localhost:${portOf(gw, "SASL_SSL")}`;
      const saslPlain = `127.0.0.1:${portOf(gw, "SASL_PLAINTEXT")}`;

      // (1) SSL: the server certificate is checked against the PEM truststore (and its SAN, the Java default)
      const sslConf = await props(dir, "ssl", { "security.protocol": "SSL", ...trust(pki) });
      await kafkaToolOk("kafka-topics", [
        "--bootstrap-server",
        ssl,
        "--command-config",
        sslConf,
        "--create",
        "--topic",
        "java-ssl",
        "--partitions",
        "1",
      ]);
      const p = await produce(ssl, "java-ssl", sslConf, ["s1", "s2"]);
      assertEquals(p.code, 0, p.stderr);
      const c = await consume(ssl, "java-ssl", sslConf, 2);
      assertEquals(values(c.stdout), ["s1", "s2"], c.stderr);

      // (3) SCRAM users created with kafka-configs (AlterUserScramCredentials) by the PLAIN admin over SASL_SSL
      const adminConf = await props(dir, "admin", {
        "security.protocol": "SASL_SSL",
        ...trust(pki),
        "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": jaas("PLAIN", "admin", "admin-secret"),
      });
      await kafkaToolOk("kafka-configs", [
        "--bootstrap-server",
        saslSsl,
        "--command-config",
        adminConf,
        "--alter",
        "--add-config",
        "SCRAM-SHA-256=[iterations=4096,password=bob-secret],SCRAM-SHA-512=[password=bob-secret]",
        "--entity-type",
        "users",
        "--entity-name",
        "bob",
      ]);
      const described = await kafkaToolOk("kafka-configs", [
        "--bootstrap-server",
        saslSsl,
        "--command-config",
        adminConf,
        "--describe",
        "--entity-type",
        "users",
        "--entity-name",
        "bob",
      ]);
      assert(/SCRAM-SHA-256=iterations=4096/.test(described), described);
      assert(/SCRAM-SHA-512=iterations=\d+/.test(described), described);

      for (const mech of ["SCRAM-SHA-512", "SCRAM-SHA-256"]) {
        const conf = await props(dir, mech, {
          "security.protocol": "SASL_SSL",
          ...trust(pki),
          "sasl.mechanism": mech,
          "sasl.jaas.config": jaas(mech, "bob", "bob-secret"),
        });
        const r = await produce(saslSsl, "java-scram", conf, [`from-${mech}`]);
        assertEquals(r.code, 0, `${mech}: ${r.stderr}`);
      }
      const plainConf = await props(dir, "plain", {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": jaas("PLAIN", "admin", "admin-secret"),
      });
      const scram = await consume(saslPlain, "java-scram", plainConf, 2);
      assertEquals(values(scram.stdout), ["from-SCRAM-SHA-512", "from-SCRAM-SHA-256"], scram.stderr);

      // (4) a wrong password: the Java client reports SaslAuthenticationException and the tool fails
      const wrong = await props(dir, "wrong", {
        "security.protocol": "SASL_SSL",
        ...trust(pki),
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.jaas.config": jaas("SCRAM-SHA-512", "bob", "not-bob's"),
      });
      const bad = await kafkaTool("kafka-topics", [
        "--bootstrap-server",
        saslSsl,
        "--command-config",
        wrong,
        "--list",
      ], { timeoutMs: 40_000 });
      assert(bad.code !== 0, bad.stdout);
      assert(
        /SaslAuthenticationException: Authentication failed/.test(bad.stdout + bad.stderr),
        bad.stdout + bad.stderr,
      );
      const badPlain = await props(dir, "bad-plain", {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.jaas.config": jaas("PLAIN", "admin", "wrong"),
      });
      const bp = await produce(saslPlain, "java-scram", badPlain, ["never"]);
      assert(
        /SaslAuthenticationException: Authentication failed: Invalid username or password/.test(bp.stderr),
        bp.stdout + bp.stderr,
      );
    } catch (e) {
      console.error(`--- gateway log (last 40 lines) ---\n${gw.logs().split("\n").slice(-40).join("\n")}`);
      throw e;
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "java security: mTLS principal User:CN=... with kafka-acls; producer refused before the ACL, accepted after",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-java-mtls-" });
    const pki = await makePki(dir);
    // RFC 2253 lists the subject's RDNs last first: /O=kgw/CN=writer is the principal User:CN=writer,O=kgw
    const writer = await issue(pki, "/O=kgw/CN=writer", `${dir}/writer`);
    // Kafka's PEM keystore: the unencrypted PKCS#8 key and the certificate in one file
    const keystore = `${dir}/writer-keystore.pem`;
    await Deno.writeTextFile(
      keystore,
      (await Deno.readTextFile(writer.key)) + (await Deno.readTextFile(writer.cert)),
    );
    const gw = await startGateway({
      dataDir: `${dir}/data`,
      args: [
        "--listen",
        "PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0",
        "--advertised-listener",
        "PLAINTEXT://127.0.0.1:0,SSL://localhost:0",
        "--tls-cert",
        pki.serverCert,
        "--tls-key",
        pki.serverKey,
        "--tls-ca",
        pki.caCert,
        "--tls-client-auth",
        "required",
        "--authorizer",
        "acl",
        "--super-users",
        "User:ANONYMOUS",
        "--http-auth-token",
        "java-security-ops-token",
      ],
    });
    try {
      const admin = gw.bootstrap; // PLAINTEXT: User:ANONYMOUS, a super user here
      const ssl = `localhost:${portOf(gw, "SSL")}`;
      const conf = await props(dir, "mtls", {
        "security.protocol": "SSL",
        ...trust(pki),
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": keystore,
      });
      const noCert = await props(dir, "no-cert", { "security.protocol": "SSL", ...trust(pki) });
      await kafkaToolOk("kafka-topics", ["--bootstrap-server", admin, "--create", "--topic", "mtls"]);

      // without a client certificate the handshake is refused
      const refused = await kafkaTool("kafka-topics", [
        "--bootstrap-server",
        ssl,
        "--command-config",
        noCert,
        "--list",
      ], { timeoutMs: 40_000 });
      assert(refused.code !== 0, refused.stdout);
      assert(/SslAuthenticationException|SSL handshake failed/.test(refused.stdout + refused.stderr));

      // no ACL yet: User:CN=writer,O=kgw may not write
      const before = await produce(ssl, "mtls", conf, ["denied"]);
      assert(
        /TopicAuthorizationException: Not authorized to access topics: \[mtls\]/.test(before.stderr),
        before.stdout + before.stderr,
      );

      const principal = "User:CN=writer,O=kgw";
      for (
        const [op, extra] of [["Write", []], ["Read", [
          "--group",
          "java-mtls",
          "--group",
          "java-mtls-2",
        ]]] as const
      ) {
        await kafkaToolOk("kafka-acls", [
          "--bootstrap-server",
          admin,
          "--add",
          "--allow-principal",
          principal,
          "--operation",
          op,
          "--topic",
          "mtls",
          ...extra,
        ]);
      }
      const listed = await kafkaToolOk("kafka-acls", [
        "--bootstrap-server",
        admin,
        "--list",
        "--topic",
        "mtls",
      ]);
      assert(
        listed.includes(`principal=${principal}, host=*, operation=WRITE, permissionType=ALLOW`),
        listed,
      );
      assert(listed.includes(`principal=${principal}, host=*, operation=READ, permissionType=ALLOW`), listed);
      const byPrincipal = await kafkaToolOk("kafka-acls", [
        "--bootstrap-server",
        admin,
        "--list",
        "--principal",
        principal,
      ]);
      assert(/resourceType=GROUP, name=java-mtls/.test(byPrincipal), byPrincipal);

      const after = await produce(ssl, "mtls", conf, ["m1", "m2"]);
      // the console producer exits 0 even when a send failed: its log must show no error
      assertEquals(after.code, 0, after.stderr);
      assert(!/ERROR|Exception/.test(after.stdout + after.stderr), after.stdout + after.stderr);
      const got = await consume(ssl, "mtls", conf, 2, "java-mtls");
      assertEquals(values(got.stdout), ["m1", "m2"], got.stderr);

      // remove the WRITE ACL: refused again
      await kafkaToolOk("kafka-acls", [
        "--bootstrap-server",
        admin,
        "--remove",
        "--force",
        "--allow-principal",
        principal,
        "--operation",
        "Write",
        "--topic",
        "mtls",
      ]);
      const left = await kafkaToolOk("kafka-acls", [
        "--bootstrap-server",
        admin,
        "--list",
        "--topic",
        "mtls",
      ]);
      assert(!left.includes("operation=WRITE"), left);
      assert(left.includes("operation=READ"), left);
      // READ still lets it see the topic, so it gets as far as InitProducerId, which (KIP-679, as in Kafka) an
      // idempotent producer may send only with IDEMPOTENT_WRITE on the cluster or WRITE on some topic
      const again = await produce(ssl, "mtls", conf, ["denied-again"]);
      assert(/ClusterAuthorizationException: Cluster authorization failed/.test(again.stderr), again.stderr);
      const still = await consume(ssl, "mtls", conf, 2, "java-mtls-2");
      assertEquals(values(still.stdout), ["m1", "m2"], still.stderr);
    } catch (e) {
      console.error(`--- gateway log (last 40 lines) ---\n${gw.logs().split("\n").slice(-40).join("\n")}`);
      throw e;
    } finally {
      await gw.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "java security: SASL_PLAINTEXT OAUTHBEARER with tokens from an OIDC endpoint (Kafka's OAuthBearerLoginCallbackHandler), verified against the gateway's JWKS; forged and other-audience tokens refused",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kgw-java-oauth-" });
    const key = await signingKey("RS256", "k1");
    const forger = await signingKey("RS256", "k1");
    await Deno.writeTextFile(`${dir}/jwks.json`, jwks(key));
    const claims = (aud: string) => () => ({
      sub: "svc-orders",
      iss: "https://idp.test",
      aud,
      scope: "kafka",
    });
    const good = tokenEndpoint(key, claims("kafka"));
    const forged = tokenEndpoint(forger, claims("kafka"));
    const otherAudience = tokenEndpoint(key, claims("billing"));
    const endpoints = [good, forged, otherAudience];
    // Kafka 4's client fetches tokens only from URLs this system property allows
    const env = {
      KAFKA_JVM_PERFORMANCE_OPTS: "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 " +
        `-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=${endpoints.map((e) => e.url).join(",")}`,
    };
    const gw = await startGateway({
      dataDir: `${dir}/data`,
      args: [
        "--listen",
        "SASL_PLAINTEXT://127.0.0.1:0",
        "--sasl-mechanisms",
        "OAUTHBEARER",
        "--sasl-oauthbearer-jwks",
        `${dir}/jwks.json`,
        "--sasl-oauthbearer-expected-issuer",
        "https://idp.test",
        "--sasl-oauthbearer-expected-audience",
        "kafka",
        "--failed-authentication-delay-ms",
        "10",
      ],
    });
    const conf = (name: string, url: string) =>
      props(dir, name, {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "OAUTHBEARER",
        "sasl.login.callback.handler.class":
          "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler",
        "sasl.oauthbearer.token.endpoint.url": url,
        "sasl.jaas.config": "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required " +
          'clientId="orders" clientSecret="s";',
      });
    try {
      const bootstrap = `127.0.0.1:${portOf(gw, "SASL_PLAINTEXT")}`;
      const ok = await conf("oauth", good.url);
      await kafkaToolOk("kafka-topics", [
        "--bootstrap-server",
        bootstrap,
        "--command-config",
        ok,
        "--create",
        "--topic",
        "java-oauth",
        "--partitions",
        "1",
      ], { env });
      const p = await produce(bootstrap, "java-oauth", ok, ["o1", "o2", "o3"], env);
      assertEquals(p.code, 0, p.stderr);
      const c = await consume(bootstrap, "java-oauth", ok, 3, "java-oauth-group", env);
      assertEquals(values(c.stdout), ["o1", "o2", "o3"], c.stderr);
      for (const [what, ep] of [["forged", forged], ["other audience", otherAudience]] as const) {
        const r = await kafkaTool("kafka-topics", [
          "--bootstrap-server",
          bootstrap,
          "--command-config",
          await conf(what.replace(" ", "-"), ep.url),
          "--list",
        ], { timeoutMs: 40_000, env });
        assert(r.code !== 0, `${what} token: kafka-topics failed: ${r.stdout}`);
        assert(
          /SaslAuthenticationException|Authentication failed/.test(r.stderr + r.stdout),
          `${what} token refused with an authentication error:\n${r.stderr}`,
        );
      }
      assert(gw.logs().includes("signature does not verify"), "forgery logged");
      assert(gw.logs().includes('audience "billing" is not an expected one'), "audience logged");
    } finally {
      await gw.stop();
      for (const ep of endpoints) await ep.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
