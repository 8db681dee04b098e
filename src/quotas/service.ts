// The gateway's quotas: the durable store (store.ts), the request-path enforcement (manager.ts) kept in step with
// it, and what the admin API and metrics read. Opened once per gateway (src/gateway.ts).
import type { Storage } from "../storage/storage.ts";
import type { Logger } from "../log.ts";
import { QUOTA_POLL_MS, QuotaStore } from "./store.ts";
import { ClientQuotaManager } from "./manager.ts";
import type { RateConfig } from "./rate.ts";

export class Quotas {
  constructor(readonly store: QuotaStore, readonly manager: ClientQuotaManager) {}

  stop(): void {
    this.store.stop();
  }
}

/** Reads the stored quotas and starts polling them (SeaweedMQ: changes made through other gateways). */
export async function openQuotas(storage: Storage, log: Logger, rate?: RateConfig): Promise<Quotas> {
  const store = new QuotaStore(storage.documents(), log, storage.kind === "seaweedmq" ? QUOTA_POLL_MS : 0);
  await store.load();
  const manager = new ClientQuotaManager(store.table, { rate });
  store.onChange = () => manager.setTable(store.table);
  store.start();
  return new Quotas(store, manager);
}
