// The dynamic broker configs (AlterConfigs on a broker resource) of the gateways sharing a namespace: one filer
// file (broker_configs in the gateway's own directory) that every gateway re-reads, as Kafka propagates dynamic
// configs to every broker.
import type { Filer } from "./transport/filer.ts";
import { json, parseJson } from "./meta.ts";

/** What the configs need of the storage. */
export interface BrokerConfigsEnv {
  readonly filer: Filer;
  /** The filer directory of the gateway's own metadata (MetaPaths.ours). */
  readonly dir: string;
  /** Refuses (KAFKA_STORAGE_ERROR) unless the storage is open. */
  requireOpen(): void;
  /** The configs changed other than through setBrokerConfigs of this gateway. */
  changed(): void;
}

export class BrokerConfigs {
  private map: Record<string, Record<string, string>> = {};

  constructor(private readonly env: BrokerConfigsEnv) {}

  async load(): Promise<void> {
    this.map = await this.read();
  }

  private async read(): Promise<Record<string, Record<string, string>>> {
    const e = await this.env.filer.lookup(this.env.dir, "broker_configs");
    if (!e || e.content.length === 0) return {};
    const v = parseJson(e.content) as { resources?: Record<string, Record<string, string>> };
    return v.resources ?? {};
  }

  /**
   * Re-reads the dynamic broker configs (the periodic task): what another gateway of the cluster altered reaches
   * this one's config model within a refresh period, as Kafka propagates dynamic configs to every broker.
   */
  async reload(): Promise<void> {
    const next = await this.read();
    if (configsText(next) === configsText(this.map)) return;
    this.map = next;
    this.env.changed();
  }

  get(resource: string): Readonly<Record<string, string>> {
    return this.map[resource] ?? {};
  }

  async set(resource: string, configs: Record<string, string>): Promise<void> {
    this.env.requireOpen();
    // on the stored map, not this gateway's copy: another gateway may have altered another resource meanwhile
    const stored = await this.read();
    const others = configsText(stored, resource) !== configsText(this.map, resource);
    const next = { ...stored, [resource]: { ...configs } };
    if (Object.keys(configs).length === 0) delete next[resource];
    await this.env.filer.put(this.env.dir, "broker_configs", json({ version: 1, resources: next }));
    this.map = next;
    if (others) this.env.changed();
  }
}

/** The broker configs map as text, resources and names sorted (but `except`): equal text, equal configs. */
function configsText(map: Record<string, Record<string, string>>, except?: string): string {
  return JSON.stringify(
    Object.keys(map).filter((r) => r !== except).sort().map((r) => [r, Object.entries(map[r]).sort()]),
  );
}
