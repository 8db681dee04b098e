// The brokers this gateway tells clients of (Metadata, FindCoordinator, the ClusterView's brokers()): those the
// assignment document applied last names, this gateway among them once it joined. The document names each by node
// id, host and port only; the addresses of its other listeners are in its lease, read here when a broker
// (incarnation) of the document is not known yet, at most every ENDPOINTS_RETRY_MS, and then the list is rebuilt.
import type { Filer } from "../storage/seaweedmq/transport/filer.ts";
import type { AssignmentDoc } from "./assignment.ts";
import type { ClusterLog } from "./controller.ts";
import { Membership } from "./membership.ts";
import type { ClusterBroker, Endpoint } from "./view.ts";

/** Leases are read again for listener endpoints at most this often while a broker's are unknown. */
const ENDPOINTS_RETRY_MS = 1000;

export interface BrokerDirectoryOptions {
  readonly filer: Filer;
  /** The folder of the gateways' leases. */
  readonly membersDir: string;
  /** This gateway's node id: its own entry is `self`, not the document's. */
  readonly nodeId: number;
  readonly log: ClusterLog;
}

export class BrokerDirectory {
  /** The brokers by node id, sorted (read on hot paths: built once per change). */
  private list: ClusterBroker[] = [];
  private byId = new Map<number, ClusterBroker>();
  /** What the list was last built from. */
  private doc: AssignmentDoc | null = null;
  private self: ClusterBroker | null = null;
  /**
   * Listener endpoints of other gateways by "nodeId/incarnation", read from their leases (null: a lease without any,
   * written by a gateway that predates named listeners).
   */
  private readonly endpoints = new Map<string, Readonly<Record<string, Endpoint>> | null>();
  private endpointsReadAt = -Infinity;

  constructor(private readonly opts: BrokerDirectoryOptions) {}

  brokers(): readonly ClusterBroker[] {
    return this.list;
  }

  broker(nodeId: number): ClusterBroker | undefined {
    return this.byId.get(nodeId);
  }

  has(nodeId: number): boolean {
    return this.byId.has(nodeId);
  }

  /** Rebuilds the list from the document's brokers, plus `self` (this gateway, once it joined; else null). */
  set(doc: AssignmentDoc | null, self: ClusterBroker | null): void {
    this.doc = doc;
    this.self = self;
    const list: ClusterBroker[] = (doc?.brokers ?? []).filter((b) => b.nodeId !== this.opts.nodeId)
      .map((b) => {
        const listeners = this.endpoints.get(`${b.nodeId}/${b.incarnation}`);
        return {
          nodeId: b.nodeId,
          host: b.host,
          port: b.port,
          rack: b.rack,
          ...(listeners ? { listeners } : {}),
        };
      });
    if (self !== null) list.push(self);
    list.sort((a, b) => a.nodeId - b.nodeId);
    this.list = list;
    this.byId = new Map(list.map((b) => [b.nodeId, b]));
  }

  /**
   * Reads the leases when a broker (incarnation) of the document is not known yet, then rebuilds the list from
   * what it was last built from (the document applied by then).
   */
  async learnEndpoints(): Promise<void> {
    const brokers = this.doc?.brokers ?? [];
    const unknown = brokers.some((b) =>
      b.nodeId !== this.opts.nodeId && !this.endpoints.has(`${b.nodeId}/${b.incarnation}`)
    );
    const now = performance.now();
    if (!unknown || now - this.endpointsReadAt < ENDPOINTS_RETRY_MS) return;
    this.endpointsReadAt = now;
    try {
      const members = await Membership.list(this.opts.filer, this.opts.membersDir);
      const live = new Set(brokers.map((b) => `${b.nodeId}/${b.incarnation}`));
      for (const k of this.endpoints.keys()) if (!live.has(k)) this.endpoints.delete(k);
      for (const m of members) this.endpoints.set(`${m.nodeId}/${m.incarnation}`, m.listeners ?? null);
    } catch (e) {
      this.opts.log("debug", `reading the leases for listener endpoints: ${(e as Error).message}`);
      return;
    }
    this.set(this.doc, this.self);
  }
}
