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
} from "../../src/options.ts";

function load(argv: string[], env: Record<string, string> = {}, file?: string): Config {
  return loadConfig({ argv, env: (n) => env[n], readFile: () => file }).config;
}

function configError(f: () => unknown): string {
  return assertThrows(f, ConfigError).message;
}

Deno.test("args: a leading or embedded -- is ignored (deno task start -- --flag passes it through)", () => {
  assertEquals(load(["--", "--listen", "127.0.0.1:19092"]).listen, { host: "127.0.0.1", port: 19092 });
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

Deno.test("listener URLs (PLAINTEXT://host:port) are refused with the HOST:PORT to give instead", () => {
  const l = configError(() => load(["--listen", "PLAINTEXT://0.0.0.0:9092"]));
  assert(l.startsWith("--listen: listener names (PLAINTEXT://) are not supported"), l);
  assert(l.includes('"0.0.0.0:9092"'), l);
  const a = configError(() => load([], { KGW_ADVERTISED_LISTENER: "SSL://h:9093" }));
  assert(a.includes("advertised-listener") && a.includes("(SSL://)") && a.includes('"h:9093"'), a);
  assertEquals(load(["--advertised-listener", "h:9093"]).advertisedListener, { host: "h", port: 9093 });
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
