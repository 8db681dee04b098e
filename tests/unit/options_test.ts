// Process options: argument parsing ("--" separators, --version, did-you-mean), Kafka's config names as
// synonyms, listener-URL refusal, --help layout and the data-directory permission message. README's and docs/'s
// tables are checked against the code in docs_test.ts.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import {
  closest,
  type Config,
  ConfigError,
  configPermissionProblem,
  dataDirPermissionProblem,
  helpText,
  KAFKA_SYNONYMS,
  loadConfig,
  parseArgs,
  VERSION,
} from "../../src/configs/options.ts";

function load(argv: string[], env: Record<string, string> = {}, file?: string): Config {
  return loadConfig({ argv, env: (n) => env[n], readFile: () => file }).config;
}

function configError(f: () => unknown): string {
  return assertThrows(f, ConfigError).message;
}

Deno.test("args: a leading or embedded -- is ignored (deno task start -- --flag passes it through)", () => {
  assertEquals(load(["--", "--listen", "127.0.0.1:19092"]).listen, [
    { name: "PLAINTEXT", securityProtocol: "PLAINTEXT", host: "127.0.0.1", port: 19092 },
  ]);
  const c = load(["--num-partitions", "3", "--", "--node-id", "7", "--"]);
  assertEquals([c.numPartitions, c.nodeId], [3, 7]);
});

Deno.test("args: --version, and VERSION is deno.json's", async () => {
  assert(parseArgs(["--version"]).version);
  assert(parseArgs(["--", "-V"]).version);
  assert(!parseArgs([]).version);
  const deno = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  assertEquals(VERSION, deno.version);
  assert(/^\d+\.\d+\.\d+/.test(VERSION), VERSION);
});

Deno.test("args: an unknown flag suggests the closest one", () => {
  assert(configError(() => parseArgs(["--data-dirr", "x"])).includes("did you mean --data-dir?"));
  assert(configError(() => parseArgs(["--lisen", "x"])).includes("did you mean --listen?"));
  assert(configError(() => parseArgs(["--num.partitions", "3"])).includes("did you mean --num-partitions?"));
  const far = configError(() => parseArgs(["--xyzzy"]));
  assert(far.startsWith("unknown flag --xyzzy") && !far.includes("did you mean"), far);
  assertEquals(closest("verison", ["version", "help"]), "version");
  assertEquals(closest("ab", ["listen"]), undefined);
});

Deno.test("listeners: NAME://HOST:PORT lists, bare HOST:PORT is PLAINTEXT, advertised ones matched by name", () => {
  const c = load([
    "--listen",
    "PLAINTEXT://0.0.0.0:9092, SSL://127.0.0.1:9093,sasl_ssl://[::1]:9094",
    "--advertised-listener",
    "SSL://kafka.example:19093",
    "--tls-cert",
    "c.pem",
    "--tls-key",
    "k.pem",
  ]);
  assertEquals(c.listen.map((l) => [l.name, l.securityProtocol, l.host, l.port]), [
    ["PLAINTEXT", "PLAINTEXT", "0.0.0.0", 9092],
    ["SSL", "SSL", "127.0.0.1", 9093],
    ["SASL_SSL", "SASL_SSL", "::1", 9094],
  ]);
  // advertised: the named one given; the others their own address (localhost for a wildcard)
  assertEquals(c.advertisedListener.map((l) => `${l.name} ${l.host}:${l.port}`), [
    "PLAINTEXT localhost:9092",
    "SSL kafka.example:19093",
    "SASL_SSL ::1:9094",
  ]);
  // one listener: a bare advertised HOST:PORT is its address, whatever its name
  const one = load([
    "--listen",
    "SSL://0.0.0.0:9093",
    "--advertised-listener",
    "h:1",
    "--tls-cert",
    "c",
    "--tls-key",
    "k",
  ]);
  assertEquals(one.advertisedListener, [{ name: "SSL", securityProtocol: "SSL", host: "h", port: 1 }]);
  assertEquals(load(["--advertised-listener", "h:9093"]).advertisedListener[0].host, "h");
  assertEquals(load([]).listen, [{
    name: "PLAINTEXT",
    securityProtocol: "PLAINTEXT",
    host: "0.0.0.0",
    port: 9092,
  }]);
});

Deno.test("listeners: bad ones are refused, naming the option", () => {
  const unknown = configError(() => load(["--listen", "INTERNAL://h:1"]));
  assert(unknown.includes("unknown listener name INTERNAL") && unknown.includes("PLAINTEXT, SSL"), unknown);
  assert(
    configError(() => load(["--listen", "h:1,PLAINTEXT://h:2"])).includes(
      "listener PLAINTEXT is given twice",
    ),
  );
  const adv = configError(() =>
    load(["--listen", "PLAINTEXT://h:1,SASL_PLAINTEXT://h:2", "--advertised-listener", "SSL://x:3"])
  );
  assert(adv.includes("SSL is not one of the --listen listeners"), adv);
  const a = configError(() => load([], { KGW_ADVERTISED_LISTENER: "PLAINTEXT://h" }));
  assert(a.includes("advertised-listener") && a.includes("expected HOST:PORT"), a);
  // TLS listeners and --http-tls need a certificate; client authentication needs the CA
  const noCert = configError(() => load(["--listen", "SSL://h:1"]));
  assert(noCert.includes("--listen SSL://h:1 needs --tls-cert FILE and --tls-key FILE"), noCert);
  assert(configError(() => load(["--http-tls"])).includes("--http-tls needs --tls-cert"));
  const noCa = configError(() => load(["--tls-client-auth", "required"]));
  assert(noCa.includes("--tls-client-auth required needs --tls-ca FILE"), noCa);
  const rules = configError(() => load(["--ssl-principal-mapping-rules", "RULE:^CN=(.*)$/$1/Q"]));
  assert(rules.startsWith("--ssl-principal-mapping-rules: invalid rule"), rules);
});

Deno.test("Kafka's config names are synonyms in the config file and as KGW_ variables", () => {
  assertEquals(KAFKA_SYNONYMS.get("num.partitions"), "num-partitions");
  assertEquals(KAFKA_SYNONYMS.get("log.dirs"), "data-dir");
  // derived values (PLAINTEXT://… listeners, fsync settings) are not plain synonyms
  assert(!KAFKA_SYNONYMS.has("listeners") && !KAFKA_SYNONYMS.has("log.flush.interval.ms"));
  const f = load(
    [],
    {},
    JSON.stringify({ "num.partitions": 4, "log.dirs": "/x", "message.max.bytes": 2048 }),
  );
  assertEquals([f.numPartitions, f.dataDir, f.messageMaxBytes], [4, "/x", 2048]);
  assert(f.explicitOptions.has("numPartitions"));
  const e = load([], { KGW_LOG_DIRS: "/y", KGW_AUTO_CREATE_TOPICS_ENABLE: "false" });
  assertEquals([e.dataDir, e.autoCreateTopics], ["/y", false]);
  // the gateway's own name wins over Kafka's, flags over both
  assertEquals(load([], { KGW_LOG_DIRS: "/y", KGW_DATA_DIR: "/z" }).dataDir, "/z");
  assertEquals(load(["--data-dir", "/f"], { KGW_LOG_DIRS: "/y" }).dataDir, "/f");
  const bad = configError(() => load([], { KGW_NODE_ID: "", KGW_BROKER_ID: "x" }));
  assert(bad.includes("KGW_BROKER_ID"), bad);
  const dup = configError(() => load([], {}, JSON.stringify({ "num.partitions": 4, "num-partitions": 2 })));
  assert(dup.includes("same option"), dup);
  const typo = configError(() => load([], {}, JSON.stringify({ "num.partition": 4 })));
  assert(typo.includes('did you mean "num.partitions"?'), typo);
});

Deno.test("--help: descriptions never run into the value lists", () => {
  const lines = helpText().split("\n").filter((l) => l.startsWith("  --"));
  assert(lines.length > 40);
  for (const l of lines) {
    // a flag column, then 2+ spaces (or the description on the next line)
    const m = /^ {2}--(\S+)(?: (\S+))?( {2,}\S.*)?$/.exec(l);
    assert(m, `malformed --help line: ${l}`);
  }
  const text = helpText();
  assert(
    /--compression-type producer\|uncompressed\|gzip\|snappy\|lz4\|zstd\n {20,}default compression/.test(
      text,
    ),
  );
  assert(/ {2}--version {2,}print the version/.test(text));
  assert(text.includes("num.partitions") && text.includes(VERSION));
});

Deno.test("data directory outside the granted paths: one line naming the path and what to do", async () => {
  const config = load(["--data-dir", "/var/lib/kgw"]);
  const granted = await dataDirPermissionProblem(config, () => Promise.resolve("granted"));
  assertEquals(granted, null);
  const denied = await dataDirPermissionProblem(
    config,
    (name) => Promise.resolve(name === "read" ? "granted" : "prompt"),
  );
  assert(denied !== null && !denied.includes("\n"), String(denied));
  assert(denied.includes("/var/lib/kgw") && denied.includes("KGW_DATA_DIR=/var/lib/kgw"), denied);
  assert(denied.includes("--allow-write=/var/lib/kgw"), denied);
  const c = configPermissionProblem("./my.json");
  assert(c.includes("KGW_CONFIG=./my.json") && c.includes("--allow-read=./my.json") && !c.includes("\n"));
});

Deno.test("options: one schema registry, the built-in one or an external http(s) URL", () => {
  assertEquals(load(["--schema-registry-url", "http://u:p@sr:8081"]).schemaRegistryUrl, "http://u:p@sr:8081");
  assert(
    configError(() =>
      load(["--schema-registry-url", "http://sr:8081", "--schema-registry-listen", "127.0.0.1:0"])
    )
      .includes("built-in registry or an external one"),
  );
  assert(configError(() => load(["--schema-registry-url", "sr:8081"])).includes("expected an http(s) URL"));
});
