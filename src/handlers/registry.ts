// The one table of supported APIs: each entry couples an API's schema (its version range) with its handler.
// ApiVersions is answered from this table, so only APIs with a working handler are ever advertised.
import { type ApiSpec, compile, type CompiledApi } from "../protocol/schema.ts";
import type { Handler, RequestContext } from "./context.ts";

export interface ApiEntry {
  readonly spec: ApiSpec;
  readonly codec: CompiledApi;
  readonly handle: (ctx: RequestContext, req: unknown) => Promise<unknown> | unknown;
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export class ApiRegistry {
  private readonly entries = new Map<number, ApiEntry>();

  register<Req, Res>(spec: ApiSpec, handler: Handler<Req, Res>): this {
    if (this.entries.has(spec.key)) throw new Error(`API ${spec.name} (${spec.key}) registered twice`);
    this.entries.set(spec.key, {
      spec,
      codec: compile(spec),
      handle: handler as (ctx: RequestContext, req: unknown) => Promise<unknown> | unknown,
    });
    return this;
  }

  get(key: number): ApiEntry | undefined {
    return this.entries.get(key);
  }

  versions(): ApiVersionRange[] {
    return [...this.entries.values()]
      .map((e) => ({ apiKey: e.spec.key, minVersion: e.spec.minVersion, maxVersion: e.spec.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }
}
