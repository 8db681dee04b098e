// The dynamic broker configs of the embedded log (AlterConfigs / IncrementalAlterConfigs on BROKER resources):
// `<dataDir>/broker-configs.json`, {"version": 1, "resources": {"": {...}, "1": {...}}}, replaced atomically. Kept in
// memory from open on; every change rewrites the whole file, one change at a time, and shows only once durable.
import { join } from "node:path";
import { SerialQueue } from "../../serial.ts";
import { atomicWrite, corruptFileError, errorText, ioError, readFileOrNull } from "./files.ts";
import type { StorageHealth } from "./health.ts";

/** Dynamic broker configs: {"version": 1, "resources": {"": {...}, "1": {...}}}, replaced atomically. */
export const BROKER_CONFIGS_FILE = "broker-configs.json";

function loadBrokerConfigs(path: string): Record<string, Record<string, string>> {
  const raw = readFileOrNull(path);
  if (raw === null) return {};
  const bad = (problem: string) =>
    corruptFileError(
      path,
      problem,
      "the dynamic broker configs set with AlterConfigs / IncrementalAlterConfigs",
    );
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(raw));
  } catch (e) {
    throw bad(raw.length === 0 ? "the file is empty" : `not valid JSON (${errorText(e)})`);
  }
  const res = typeof v === "object" && v !== null ? (v as Record<string, unknown>).resources : undefined;
  if (typeof res !== "object" || res === null || Array.isArray(res)) throw bad(`no "resources" object`);
  const out: Record<string, Record<string, string>> = {};
  for (const [name, configs] of Object.entries(res)) {
    if (typeof configs !== "object" || configs === null || Array.isArray(configs)) {
      throw bad(`invalid configs of resource ${JSON.stringify(name)}`);
    }
    const m: Record<string, string> = {};
    for (const [k, x] of Object.entries(configs)) {
      if (typeof x !== "string") throw bad(`invalid value of ${k}`);
      m[k] = x;
    }
    out[name] = m;
  }
  return out;
}

export class BrokerConfigFile {
  private readonly path: string;
  /** Dynamic broker configs by resource ("" = cluster default, "<id>" = a broker), from BROKER_CONFIGS_FILE. */
  private map: Record<string, Record<string, string>> = {};
  /** set() calls run one at a time: each writes the whole file from the map the previous one left. */
  private readonly writes = new SerialQueue();

  constructor(dataDir: string, private readonly health: StorageHealth) {
    this.path = join(dataDir, BROKER_CONFIGS_FILE);
  }

  /** Reads the file (at open); throws a MetadataFileError naming it when it is unusable. */
  load(): void {
    this.map = loadBrokerConfigs(this.path);
  }

  get(resource: string): Readonly<Record<string, string>> {
    return this.map[resource] ?? {};
  }

  /** Replaces the configs of `resource` (none: removes it); `check` runs in the change's turn, before the write. */
  set(resource: string, configs: Record<string, string>, check: () => void): Promise<void> {
    const run = async () => {
      check();
      const next = { ...this.map, [resource]: { ...configs } };
      if (Object.keys(configs).length === 0) delete next[resource];
      const data = new TextEncoder().encode(JSON.stringify({ version: 1, resources: next }, null, 1) + "\n");
      const path = this.path;
      try {
        await atomicWrite(path, data, true);
      } catch (e) {
        this.health.failed(path, path, e);
        throw ioError("saving dynamic broker configs", e);
      }
      this.health.ok(path, false);
      this.map = next;
    };
    return this.writes.run(run);
  }
}
