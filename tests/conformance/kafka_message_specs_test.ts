// Every message schema the gateway declares, checked against Apache Kafka's own message definitions: the JSON
// files (`common/message/*.json`) inside the jars scripts/kafka/fetch.sh puts in $KGW_CACHE/kafka/<version>/lib
// (kafka-clients for the APIs; kafka-group-coordinator and kafka-transaction-coordinator for the records of
// __consumer_offsets and __transaction_state). Kafka 4.1.1 is the reference; a version Kafka 4 removed (Produce
// v0-2, ...) is checked against 3.9.1, and one Kafka 4.1 did not have yet (ShareFetch v2, ...) against 4.2.2.
//
// The check is about the bytes: for every version the gateway serves, of every request and response (and
// record), the fields present, in order, each with its type, its nullability in that version, whether it is a
// tagged field there and its tag, whether it is written in the compact form, recursively through structs and
// arrays; the flexible versions; the served range lying within Kafka's validVersions; the default of every
// tagged field (what a peer that omits it means) and, in what the gateway reads (requests, records), of every
// field absent from a version (what the handler sees then); which fields are map keys (an entry's identity). Field names are compared as Kafka spells them, first letter lowered. A difference that is meant is
// listed in KNOWN with its reason; the test fails on any other difference and on a KNOWN entry that no longer
// happens.
import { assertEquals } from "../unit/assert.ts";
import { unzipSync } from "fflate";
import { kgwCache } from "../helpers/tools.ts";
import type { ApiSpec, DataSpec, Field, FieldType } from "../../src/protocol/schema.ts";
import { inRange } from "../../src/protocol/schema.ts";
import * as offsetRecords from "../../src/groups/offsets_topic/records.ts";
import * as txnRecords from "../../src/transactions/state_topic/records.ts";

/** Differences that are meant, each with its reason: "<message> v<N>: <difference>" -> why. */
const KNOWN: Record<string, string> = {};

// ---- Kafka's JSON ----

interface KafkaField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  mapKey?: boolean;
  flexibleVersions?: string;
  fields?: KafkaField[];
}
interface KafkaMessage {
  apiKey?: number;
  type: "request" | "response" | "data" | "header" | "metadata" | "coordinator-key" | "coordinator-value";
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: KafkaField[];
  commonStructs?: { name: string; versions: string; fields: KafkaField[] }[];
}

/** Kafka's message JSON allows `//` comments outside strings. */
function stripComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === "\\") out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else out += c;
  }
  return out;
}

function readJar(path: string): KafkaMessage[] {
  const files = unzipSync(Deno.readFileSync(path), {
    filter: (f) => f.name.startsWith("common/message/") && f.name.endsWith(".json"),
  });
  const dec = new TextDecoder();
  return Object.values(files).map((b) => JSON.parse(stripComments(dec.decode(b))) as KafkaMessage);
}

/** Kafka's messages of one release, by "request:<key>", "response:<key>" and "data:<name>". */
function kafkaRelease(version: string): Map<string, KafkaMessage> | null {
  const lib = `${kgwCache()}/kafka/${version}/lib`;
  const out = new Map<string, KafkaMessage>();
  for (const jar of ["kafka-clients", "kafka-group-coordinator", "kafka-transaction-coordinator"]) {
    let msgs: KafkaMessage[];
    try {
      msgs = readJar(`${lib}/${jar}-${version}.jar`);
    } catch (e) {
      if (jar === "kafka-clients" && e instanceof Deno.errors.NotFound) return null;
      if (e instanceof Deno.errors.NotFound) continue; // 3.x keeps the coordinator records elsewhere
      throw e;
    }
    for (const m of msgs) {
      if (m.type === "request" || m.type === "response") out.set(`${m.type}:${m.apiKey}`, m);
      else out.set(`data:${m.name}`, m);
    }
  }
  return out;
}

// ---- one layout per version: what goes on the wire ----

interface Slot {
  name: string;
  type: string;
  nullable: boolean;
  /** Tag number when the field is a tagged field in this version. */
  tag?: number;
  /** Written in the compact (flexible) form in this version. */
  compact: boolean;
  /** Not in this version: a decoder fills in `default` (listed for requests and records only). */
  absent?: boolean;
  /** Of a tagged field, or of an absent one. */
  default?: unknown;
  /** Kafka's mapKey: the field identifies its entry in the list. */
  mapKey?: boolean;
  children?: Slot[];
}

const PRIMITIVES = new Set([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "float64",
  "string",
  "uuid",
  "bytes",
  "records",
]);

/** Kafka's "default" strings as values of the field's type. */
function kafkaDefault(f: KafkaField, nullable: boolean): unknown {
  const d = f.default;
  const t = f.type;
  if (d === undefined) {
    if (t.startsWith("[]")) return nullable ? null : [];
    if (t === "bool") return false;
    if (t === "string") return "";
    if (t === "bytes") return nullable ? null : "<empty>";
    if (t === "uuid") return "AAAAAAAAAAAAAAAAAAAAAA";
    if (PRIMITIVES.has(t)) return 0;
    return "<struct>";
  }
  if (d === "null") return null;
  if (t === "bool") return d === true || d === "true";
  if (t === "string") return String(d);
  if (/^(u?int\d+|float64)$/.test(t)) return Number(d);
  return d;
}

function kafkaSlots(
  fields: KafkaField[],
  v: number,
  flexible: boolean,
  structs: Map<string, KafkaField[]>,
  decoded: boolean,
): Slot[] {
  const out: Slot[] = [];
  for (const f of fields) {
    // a field that is only ever tagged may leave "versions" out: it exists in its tagged versions
    const versions = f.versions ?? f.taggedVersions ?? "none";
    const elem = f.type.startsWith("[]") ? f.type.slice(2) : f.type;
    const isStruct = !PRIMITIVES.has(elem);
    const name = f.name[0].toLowerCase() + f.name.slice(1);
    const type = isStruct ? (f.type.startsWith("[]") ? "[]struct" : "struct") : f.type;
    if (!inRange(versions, v)) {
      if (decoded) {
        out.push({
          name,
          type,
          nullable: false,
          compact: false,
          absent: true,
          default: kafkaDefault(f, false),
        });
      }
      continue;
    }
    const nullable = inRange(f.nullableVersions, v);
    const tagged = flexible && f.tag !== undefined && inRange(f.taggedVersions, v);
    const compact = flexible && (f.flexibleVersions === undefined || inRange(f.flexibleVersions, v));
    const slot: Slot = { name, type, nullable, compact };
    if (f.mapKey === true) slot.mapKey = true;
    if (tagged) {
      slot.tag = f.tag;
      slot.default = kafkaDefault(f, nullable);
    }
    if (isStruct) {
      const inner = f.fields ?? structs.get(elem);
      if (!inner) throw new Error(`Kafka struct ${elem} not found`);
      slot.children = kafkaSlots(inner, v, flexible, structs, decoded);
    }
    out.push(slot);
  }
  return out;
}

function ourType(t: FieldType): { type: string; children?: readonly Field[] } {
  if (typeof t === "string") return { type: t };
  if (t.kind === "struct") return { type: "struct", children: t.fields };
  const of = t.of;
  return typeof of === "string" ? { type: `[]${of}` } : { type: "[]struct", children: of.fields };
}

function ourDefault(f: Field, type: string, nullable: boolean): unknown {
  if (f.default !== undefined) {
    if (f.default instanceof Uint8Array) return f.default.length === 0 ? "<empty>" : "<bytes>";
    return f.default;
  }
  if (type.startsWith("[]")) return nullable ? null : [];
  if (type === "bool") return false;
  if (type === "string") return "";
  if (type === "bytes") return nullable ? null : "<empty>";
  if (type === "uuid") return "AAAAAAAAAAAAAAAAAAAAAA";
  if (type === "struct") return "<struct>";
  return nullable ? null : 0;
}

function ourSlots(fields: readonly Field[], v: number, flexible: boolean, decoded: boolean): Slot[] {
  const out: Slot[] = [];
  for (const f of fields) {
    const { type, children } = ourType(f.type);
    if (!inRange(f.versions, v)) {
      if (decoded) {
        out.push({
          name: f.name,
          type,
          nullable: false,
          compact: false,
          absent: true,
          default: ourDefault(f, type, false),
        });
      }
      continue;
    }
    const nullable = inRange(f.nullable, v);
    const slot: Slot = { name: f.name, type, nullable, compact: flexible && !f.neverFlexible };
    if (f.mapKey === true) slot.mapKey = true;
    if (flexible && f.tag !== undefined && inRange(f.taggedVersions, v)) {
      slot.tag = f.tag;
      slot.default = ourDefault(f, type, nullable);
    }
    if (children) slot.children = ourSlots(children, v, flexible, decoded);
    out.push(slot);
  }
  return out;
}

/** The differences between two field lists at one version, each as a path and what differs. */
function compare(path: string, ours: Slot[], theirs: Slot[], out: string[]): void {
  const byName = new Map(theirs.map((s) => [s.name.toLowerCase(), s]));
  const ourNames = new Set(ours.map((s) => s.name.toLowerCase()));
  for (const s of theirs) {
    if (!s.absent && !ourNames.has(s.name.toLowerCase())) {
      out.push(`${path}.${s.name}: missing (Kafka has ${s.type})`);
    }
  }
  for (const s of ours) {
    const k = byName.get(s.name.toLowerCase());
    if (!k) {
      if (!s.absent) out.push(`${path}.${s.name}: not in Kafka's definition`);
      continue;
    }
    const p = `${path}.${k.name}`;
    if (s.name !== k.name) out.push(`${p}: named ${s.name}`);
    if (s.absent !== k.absent) {
      out.push(`${p}: ${s.absent ? "absent" : "present"}, Kafka ${k.absent ? "absent" : "present"}`);
      continue;
    }
    if (s.absent) {
      if (JSON.stringify(s.default) !== JSON.stringify(k.default)) {
        out.push(`${p}: absent, read as ${JSON.stringify(s.default)}, Kafka ${JSON.stringify(k.default)}`);
      }
      continue;
    }
    if (s.type !== k.type) out.push(`${p}: type ${s.type}, Kafka ${k.type}`);
    if (s.mapKey !== k.mapKey) {
      out.push(`${p}: ${s.mapKey ? "mapKey" : "not mapKey"}, Kafka ${k.mapKey ? "mapKey" : "not"}`);
    }
    if (s.compact !== k.compact) out.push(`${p}: ${s.compact ? "compact" : "not compact"}, Kafka not`);
    if (s.nullable !== k.nullable) {
      out.push(`${p}: ${s.nullable ? "nullable" : "not nullable"}, Kafka ${k.nullable ? "nullable" : "not"}`);
    }
    if (s.tag !== k.tag) {
      out.push(
        `${p}: ${s.tag === undefined ? "regular" : `tag ${s.tag}`}, Kafka ${
          k.tag === undefined ? "regular" : `tag ${k.tag}`
        }`,
      );
    } else if (s.tag !== undefined && JSON.stringify(s.default) !== JSON.stringify(k.default)) {
      out.push(`${p}: default ${JSON.stringify(s.default)}, Kafka ${JSON.stringify(k.default)}`);
    }
    if (s.children && k.children) compare(p, s.children, k.children, out);
  }
  // order of the regular fields (tagged ones are written by tag number, in any declaration order)
  const order = (list: Slot[]) =>
    list.filter((s) => s.tag === undefined && !s.absent).map((s) => s.name.toLowerCase());
  const a = order(ours).filter((n) => byName.has(n));
  const b = order(theirs).filter((n) => ourNames.has(n));
  if (a.join() !== b.join()) out.push(`${path}: field order ${a.join(",")}, Kafka ${b.join(",")}`);
}

function flexibleFrom(s: string): number {
  return s === "none" ? Infinity : Number(s.replace("+", ""));
}

interface Checked {
  name: string;
  minVersion: number;
  maxVersion: number;
  flexibleFrom: number;
  /** `decoded`: the gateway reads it (requests, records), so the defaults of absent fields matter. */
  parts: { label: string; fields: readonly Field[]; kafkaKey: string; decoded: boolean }[];
}

function differences(c: Checked, releases: Map<string, KafkaMessage>[]): string[] {
  const out: string[] = [];
  for (let v = c.minVersion; v <= c.maxVersion; v++) {
    const flexible = v >= c.flexibleFrom;
    for (const part of c.parts) {
      const where = `${c.name}${part.label} v${v}`;
      const k = releases.map((r) => r.get(part.kafkaKey)).find((m) => m && inRange(m.validVersions, v));
      if (!k) {
        out.push(`${where}: not a version Kafka defines`);
        continue;
      }
      if (flexible !== (v >= flexibleFrom(k.flexibleVersions))) {
        out.push(
          `${where}: ${flexible ? "flexible" : "not flexible"}, Kafka ${flexible ? "not" : "flexible"}`,
        );
      }
      const structs = new Map((k.commonStructs ?? []).map((s) => [s.name, s.fields]));
      // Kafka's flexibility is the message's, whatever this side declares: compare each side as it encodes
      compare(
        where,
        ourSlots(part.fields, v, flexible, part.decoded),
        kafkaSlots(k.fields, v, flexible, structs, part.decoded),
        out,
      );
    }
  }
  return out;
}

async function ourSpecs(): Promise<Checked[]> {
  const out: Checked[] = [];
  const dir = new URL("../../src/protocol/messages/", import.meta.url);
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.name.endsWith(".ts")) continue;
    const mod: Record<string, unknown> = await import(new URL(e.name, dir).href);
    for (const value of Object.values(mod)) {
      if (!isApiSpec(value)) continue;
      out.push({
        name: value.name,
        minVersion: value.minVersion,
        maxVersion: value.maxVersion,
        flexibleFrom: value.flexibleFrom,
        parts: [
          { label: "Request", fields: value.request, kafkaKey: `request:${value.key}`, decoded: true },
          { label: "Response", fields: value.response, kafkaKey: `response:${value.key}`, decoded: false },
        ],
      });
    }
  }
  for (const mod of [offsetRecords, txnRecords] as Record<string, unknown>[]) {
    for (const value of Object.values(mod)) {
      if (!isDataSpec(value)) continue;
      out.push({
        name: value.name,
        minVersion: value.minVersion,
        maxVersion: value.maxVersion,
        flexibleFrom: value.flexibleFrom,
        parts: [{ label: "", fields: value.fields, kafkaKey: `data:${value.name}`, decoded: true }],
      });
    }
  }
  return out;
}

function isApiSpec(v: unknown): v is ApiSpec {
  return typeof v === "object" && v !== null && "key" in v && "request" in v && "response" in v;
}
function isDataSpec(v: unknown): v is DataSpec {
  return typeof v === "object" && v !== null && "fields" in v && "minVersion" in v && !("key" in v);
}

const r411 = kafkaRelease("4.1.1");
const r391 = kafkaRelease("3.9.1");
const r422 = kafkaRelease("4.2.2");
const missing = !r411 || !r391 || !r422;
if (missing && Deno.env.get("CI")) {
  Deno.test("Apache Kafka's jars (4.1.1, 3.9.1, 4.2.2) are installed", () => {
    throw new Error(
      `kafka-clients jars not found under ${kgwCache()}/kafka: \`deno task test\` and .ci/run fetch them (scripts/kafka/fetch.sh)`,
    );
  });
}

Deno.test({
  name:
    "message specs: every request, response and record the gateway declares is laid out as Kafka's JSON says",
  ignore: missing,
  fn: async () => {
    const releases = [r411!, r391!, r422!];
    const specs = await ourSpecs();
    const found: string[] = [];
    for (const s of specs) found.push(...differences(s, releases));
    const unexpected = found.filter((d) => !(d in KNOWN));
    for (const d of unexpected) console.log(`unexpected: ${d}`);
    const stale = Object.keys(KNOWN).filter((k) => !found.includes(k));
    console.log(
      `${specs.length} schemas checked (${
        specs.reduce((n, s) => n + s.maxVersion - s.minVersion + 1, 0)
      } versions); ${found.length} known differences`,
    );
    assertEquals(unexpected, [], "differences from Kafka's message definitions");
    assertEquals(stale, [], "KNOWN entries that no longer differ");
  },
});
