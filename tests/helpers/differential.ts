// Differential conformance: one scripted sequence of requests sent to a real Apache Kafka and to the gateway,
// both responses decoded with the gateway's own schema codec, normalised (tests/conformance/differential_allowed.ts
// says what legitimately differs) and compared field by field. Steps run on both brokers at once (each its own
// connection and its own variables: member ids, topic ids, producer ids differ) and in order, so both see the
// same history.
import { Reader } from "../../src/protocol/codec.ts";
import { type ApiSpec, compile } from "../../src/protocol/schema.ts";
import { ApiVersionsSpec } from "../../src/protocol/messages/api_versions.ts";
import { WireClient } from "./wire.ts";
import { concat } from "./bytes.ts";

/** Per-broker values a step captures from a response for later steps (member ids, topic ids, producer ids). */
export type Vars = Record<string, unknown>;

export interface Step {
  /** What the step checks; unique with the version in reports. */
  readonly name: string;
  readonly spec: ApiSpec;
  /** Versions to send (default: every version the gateway advertises for the API). */
  readonly versions?: readonly number[];
  /** The request body at version `v`; `vars` are this broker's captured values. */
  body(v: number, vars: Vars): unknown;
  /** Send even versions Kafka does not advertise (probes of unsupported versions). */
  readonly anyVersion?: boolean;
  /** Decode the response as this version (ApiVersions answers an unsupported version with a v0 body). */
  readonly decodeAs?: number;
  /**
   * Set-up steps that wait for a broker to be ready (Kafka creates __consumer_offsets and its producer-id blocks
   * lazily): the request is repeated on each broker until this holds (at most 30 s), then compared as usual.
   */
  until?(resp: Record<string, unknown>): boolean;
  /** Keeps values of this broker's response for later steps. */
  capture?(resp: Record<string, unknown>, vars: Vars, v: number): void;
}

/** A response decoded, or what happened instead. */
export type Outcome =
  | { kind: "response"; body: Record<string, unknown> }
  | { kind: "closed" }
  | { kind: "undecodable"; error: string }
  | { kind: "timeout" };

const TIMEOUT_MS = 15_000;

/** One broker under test: its connection and variables. A closed connection is reopened for the next step. */
export class Endpoint {
  readonly vars: Vars = {};
  private client: WireClient | null = null;
  constructor(readonly label: "kafka" | "gateway", readonly port: number) {}

  async exchange(step: Step, v: number): Promise<Outcome> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const o = await this.once(step, v);
      if (!step.until || (o.kind === "response" && step.until(o.body)) || Date.now() > deadline) return o;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async once(step: Step, v: number): Promise<Outcome> {
    const c = this.client ??= await WireClient.connect(this.port, "differential");
    const body = step.body(v, this.vars);
    const id = await c.send(step.spec, v, body);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), TIMEOUT_MS));
    let frame: Uint8Array | "timeout";
    try {
      frame = await Promise.race([c.readFrame(), timeout]);
    } catch {
      this.reset();
      return { kind: "closed" };
    } finally {
      clearTimeout(timer);
    }
    if (frame === "timeout") {
      this.reset();
      return { kind: "timeout" };
    }
    try {
      const resp = decode(step.spec, step.decodeAs ?? v, frame, id);
      if (!step.until || step.until(resp)) step.capture?.(resp, this.vars, v);
      return { kind: "response", body: resp };
    } catch (e) {
      this.reset();
      return { kind: "undecodable", error: String(e) };
    }
  }

  reset(): void {
    this.client?.close();
    this.client = null;
  }
}

function decode(spec: ApiSpec, version: number, frame: Uint8Array, id: number): Record<string, unknown> {
  const r = new Reader(frame);
  const got = r.int32();
  if (got !== id) throw new Error(`correlation id ${got}, expected ${id}`);
  if (version >= spec.flexibleFrom && spec.key !== ApiVersionsSpec.key) {
    for (let n = r.uvarint(); n > 0; n--) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  const out = compile(spec).decodeResponse(r, version) as Record<string, unknown>;
  if (r.remaining !== 0) throw new Error(`${r.remaining} bytes left after the v${version} response`);
  return out;
}

// ---- normalisation ----

/** How an ignore rule treats a field: drop it, or keep only what must agree (null or not, -1 or a node, ...). */
export type IgnoreHow =
  | "drop" // free value (throttle time, timestamps, ports): not compared
  | "node" // a node id: >= 0 becomes "<node>", -1 stays
  | "id" // a generated id (uuid, member id, producer id): set/unset is compared, not the value
  | "text" // free text (error messages): not compared (Kafka sends null, "" or "NONE" for no error)
  | "batches"; // record batches: each batch's partitionLeaderEpoch (not covered by its CRC) is blanked

export interface IgnoreRule {
  /** Field name (last path component) the rule applies to. */
  readonly field: string;
  /** Only in this API (name as in the spec); all APIs when absent. */
  readonly api?: string;
  readonly how: IgnoreHow;
  readonly why: string;
}

const ZERO_UUID = "0".repeat(32);

function unsetId(v: unknown): boolean {
  return v === null || v === "" || v === ZERO_UUID || (typeof v === "number" && v < 0);
}

function applyRule(how: IgnoreHow, v: unknown): unknown {
  switch (how) {
    case "drop":
      return undefined;
    case "node":
      return typeof v === "number" && v >= 0
        ? "<node>"
        : Array.isArray(v)
        ? v.map((x) => applyRule(how, x))
        : v;
    case "id":
      return unsetId(v) ? v : "<id>";
    case "text":
      return undefined;
    case "batches":
      return blankLeaderEpochs(v);
  }
}

/** Fields that name an element of an array of structs, in preference order: arrays are compared as maps. */
const IDENTITY = [
  "apiKey",
  "user",
  "name",
  "topic",
  "topicName",
  "groupId",
  "key",
  "resourceName",
  "partitionIndex",
  "partition",
  "index",
  "brokerId",
  "nodeId",
];

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A plain, comparable value: bytes as hex, arrays of structs keyed by their identity field, rules applied. */
export function normalise(v: unknown, api: string, rules: readonly IgnoreRule[], field = ""): unknown {
  const rule = rules.find((r) => r.field === field && (r.api === undefined || r.api === api));
  if (rule) v = applyRule(rule.how, v);
  if (v instanceof Uint8Array) {
    return v.length > 64 ? `<${v.length} bytes ${hex(v.subarray(0, 64))}…>` : hex(v);
  }
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => x instanceof Uint8Array)) {
      return normalise(concat(v as Uint8Array[]), api, rules, field);
    }
    const items = v.map((x) => normalise(x, api, rules, field));
    const obj = items.length > 0 &&
      items.every((x) => x !== null && typeof x === "object" && !Array.isArray(x));
    if (!obj) return items;
    const id = IDENTITY.find((k) => items.every((x) => k in (x as object)));
    // Without a naming field (quota entries) the order carries no meaning either: compare sorted.
    if (!id) {
      return items.map((x) => [JSON.stringify(x), x] as const).sort(([a], [b]) => a < b ? -1 : 1).map((
        [, x],
      ) => x);
    }
    const keyed: Record<string, unknown> = {};
    for (const x of items) {
      let k = String((x as Record<string, unknown>)[id]);
      while (`${id}=${k}` in keyed) k += "'";
      keyed[`${id}=${k}`] = x;
    }
    return keyed;
  }
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalise(x, api, rules, k);
      if (n !== undefined) out[k] = n;
    }
    return out;
  }
  return typeof v === "bigint" ? Number(v) : v;
}

/** A copy of the record batches in `v` with partitionLeaderEpoch (bytes 12-15 of each batch) set to 0. */
function blankLeaderEpochs(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  const buf = v instanceof Uint8Array ? v.slice() : concat(v as Uint8Array[]);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let pos = 0; pos + 12 <= buf.length;) {
    const size = 12 + dv.getInt32(pos + 8);
    if (pos + 16 <= buf.length) dv.setInt32(pos + 12, 0);
    pos += size;
  }
  return buf;
}

export function outcomeValue(o: Outcome, api: string, rules: readonly IgnoreRule[]): unknown {
  switch (o.kind) {
    case "response":
      return normalise(o.body, api, rules);
    case "closed":
      return "<connection closed>";
    case "timeout":
      return "<no response>";
    case "undecodable":
      return `<undecodable response: ${o.error}>`;
  }
}

// ---- comparison ----

export interface Difference {
  readonly api: string;
  readonly version: number;
  readonly step: string;
  /** Dotted path; "" for the whole outcome. */
  readonly path: string;
  readonly kafka: unknown;
  readonly gateway: unknown;
}

/** Field-by-field differences of two normalised values (a missing field shows as undefined). */
export function diff(a: unknown, b: unknown, path = ""): { path: string; a: unknown; b: unknown }[] {
  const isObj = (x: unknown) => x !== null && typeof x === "object" && !Array.isArray(x);
  if (isObj(a) && isObj(b)) {
    const ao = a as Record<string, unknown>, bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
    return keys.flatMap((k) => diff(ao[k], bo[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => diff(x, b[i], `${path}[${i}]`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ path, a, b }];
}

/** A difference the project accepts, with its reason (tests/conformance/differential_allowed.ts). */
export interface AllowedDifference {
  readonly api: string;
  /** Versions it applies to, "lo-hi" or "n" or "all". */
  readonly versions: string;
  /** Step names it applies to (default all steps of the API). */
  readonly step?: RegExp;
  /** Difference paths it covers ("" = the whole outcome). */
  readonly path: RegExp;
  /** Optional: only when Kafka's / the gateway's value is this (JSON-compared). */
  readonly kafka?: unknown;
  readonly gateway?: unknown;
  /** Optional: only when this holds of Kafka's and the gateway's values. */
  readonly check?: (kafka: unknown, gateway: unknown) => boolean;
  readonly why: string;
}

function inVersions(spec: string, v: number): boolean {
  if (spec === "all") return true;
  const [lo, hi] = spec.split("-").map(Number);
  return v >= lo && v <= (hi ?? lo);
}

export function allowedBy(
  d: Difference,
  allowed: readonly AllowedDifference[],
): AllowedDifference | undefined {
  return allowed.find((a) =>
    a.api === d.api && inVersions(a.versions, d.version) && (!a.step || a.step.test(d.step)) &&
    a.path.test(d.path) &&
    (!("kafka" in a) || JSON.stringify(a.kafka) === JSON.stringify(d.kafka)) &&
    (!("gateway" in a) || JSON.stringify(a.gateway) === JSON.stringify(d.gateway)) &&
    (!a.check || a.check(d.kafka, d.gateway))
  );
}

export interface RunResult {
  readonly differences: Difference[];
  /** API name -> versions sent. */
  readonly coverage: Map<string, Set<number>>;
  /** API name -> versions the gateway serves but Kafka does not advertise: not sent, nothing to compare with. */
  readonly kafkaLacks: Map<string, Set<number>>;
  /** API key -> versions the script has a step for (sent, or not sent because Kafka lacks them). */
  readonly scripted: Map<number, Set<number>>;
  readonly exchanges: number;
}

/** Runs the script on both brokers step by step and collects every difference after normalisation. */
export async function runScript(
  steps: readonly Step[],
  kafka: Endpoint,
  gateway: Endpoint,
  rules: readonly IgnoreRule[],
): Promise<RunResult> {
  const differences: Difference[] = [];
  const coverage = new Map<string, Set<number>>();
  const kafkaLacks = new Map<string, Set<number>>();
  const kafkaRanges = await advertised(kafka);
  const scripted = new Map<number, Set<number>>();
  const add = (m: Map<string, Set<number>>, api: string, v: number) => {
    const set = m.get(api) ?? new Set<number>();
    set.add(v);
    m.set(api, set);
  };
  let exchanges = 0;
  for (const step of steps) {
    const versions = step.versions ?? range(step.spec.minVersion, step.spec.maxVersion);
    for (const v of versions) {
      scripted.set(step.spec.key, (scripted.get(step.spec.key) ?? new Set()).add(v));
      const kr = kafkaRanges.get(step.spec.key);
      if (!step.anyVersion && (!kr || v < kr[0] || v > kr[1])) {
        add(kafkaLacks, step.spec.name, v);
        continue;
      }
      const [k, g] = await Promise.all([kafka.exchange(step, v), gateway.exchange(step, v)]);
      exchanges++;
      add(coverage, step.spec.name, v);
      const kv = outcomeValue(k, step.spec.name, rules);
      const gv = outcomeValue(g, step.spec.name, rules);
      for (const d of diff(kv, gv)) {
        differences.push({
          api: step.spec.name,
          version: v,
          step: step.name,
          path: d.path,
          kafka: d.a,
          gateway: d.b,
        });
      }
    }
  }
  return { differences, coverage, kafkaLacks, scripted, exchanges };
}

/** A broker's advertised version range per API key. */
export async function advertised(ep: Endpoint): Promise<Map<number, [number, number]>> {
  const probe: Step = {
    name: "advertised versions",
    spec: ApiVersionsSpec,
    body: () => ({ clientSoftwareName: "differential", clientSoftwareVersion: "1" }),
  };
  const o = await ep.exchange(probe, 3);
  if (o.kind !== "response") throw new Error(`${ep.label} did not answer ApiVersions: ${o.kind}`);
  const keys = o.body.apiKeys as { apiKey: number; minVersion: number; maxVersion: number }[];
  return new Map(keys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
}

export function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

export function formatDifference(d: Difference): string {
  const s = (x: unknown) => {
    const t = JSON.stringify(x) ?? "undefined";
    return t.length > 300 ? `${t.slice(0, 300)}…` : t;
  };
  return `${d.api} v${d.version} [${d.step}] ${d.path || "<outcome>"}: kafka=${s(d.kafka)} gateway=${
    s(d.gateway)
  }`;
}
