// The schema registry as the gateway runs it (--schema-registry-listen): its state document loaded from the
// backend's DocumentStore (embedded: <data-dir>/meta; SeaweedMQ: the filer, shared by every gateway of the
// namespace and re-read every second), the registry over it (also the produce path's lookups for broker-side
// validation), its REST listener, and on the embedded backend the `_schemas` topic derived from the state.
import type { Logger } from "../log.ts";
import type { HostPort } from "../configs/options.ts";
import type { DocumentStore } from "../storage/documents.ts";
import { WatchedDocument } from "../storage/watched_document.ts";
import { FORMATS } from "./formats.ts";
import { type RegistryGuard, SchemaRegistryHttp } from "./http.ts";
import { SchemaRegistry } from "./registry.ts";
import { type RegistryState, STATE_CODEC } from "./state.ts";
import type { SchemasTopic } from "./schemas_topic.ts";

export const REGISTRY_DOCUMENT = "schema-registry";
/** How often a gateway sharing the backend re-reads the state for other gateways' registrations. */
const SHARED_POLL_MS = 1000;

export class SchemaRegistryService {
  private http: SchemaRegistryHttp | null = null;

  private constructor(
    private readonly doc: WatchedDocument<RegistryState>,
    readonly registry: SchemaRegistry,
    private readonly log: Logger,
    private readonly view: SchemasTopic | null,
  ) {}

  /** Loads the state: a corrupt document stops the start, naming it. */
  static async open(opts: {
    readonly documents: DocumentStore;
    /** Other gateways may write the state (SeaweedMQ): follow their changes. */
    readonly shared: boolean;
    readonly log: Logger;
    /** The `_schemas` topic view (embedded backend), or null. */
    readonly view: SchemasTopic | null;
  }): Promise<SchemaRegistryService> {
    const view = opts.view;
    await view?.open();
    const doc = new WatchedDocument(opts.documents, REGISTRY_DOCUMENT, STATE_CODEC, {
      what: "schema registry",
      log: opts.log,
      pollMs: opts.shared ? SHARED_POLL_MS : 0,
      ...(view ? { onChange: (state: RegistryState) => view.changed(state) } : {}),
    });
    await doc.load();
    view?.loaded(doc.value);
    doc.start();
    return new SchemaRegistryService(doc, new SchemaRegistry(doc, FORMATS), opts.log, view);
  }

  /** Binds the REST listener; `guard` authenticates every request (null: open). Returns the bound address. */
  listen(at: HostPort, guard: RegistryGuard | null): Deno.NetAddr {
    const http = new SchemaRegistryHttp(this.registry, this.log, guard);
    try {
      const addr = http.listen(at.host, at.port);
      this.http = http;
      return addr;
    } catch (e) {
      const where = `${at.host}:${at.port}`;
      if (e instanceof Deno.errors.AddrInUse) throw new Error(`--schema-registry-listen ${where} is in use`);
      throw new Error(`--schema-registry-listen ${where}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.doc.stop();
    await this.http?.close();
    this.http = null;
    await this.view?.close();
  }
}
