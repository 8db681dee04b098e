// The one table of supported APIs: each entry couples an API's schema (its version range) with its handler.
// ApiVersions is answered from this table, so only APIs with a working handler are ever advertised.
import {
  type ApiSpec,
  compile,
  type CompiledApi,
  type RequestOf,
  type ResponseOf,
} from "../protocol/schema.ts";
import type { Handler, RequestContext } from "../request/context.ts";

/** An API's codec and handler, as the request pipeline sees them: requests and responses are `unknown`. */
export interface ApiEntry {
  readonly spec: ApiSpec;
  readonly codec: CompiledApi;
  /**
   * Only ever given what `codec.decodeRequest` of the same entry returned. A method, so that register() can
   * store the handler it has checked against the spec's types without a cast.
   */
  handle(ctx: RequestContext, req: unknown): Promise<unknown> | unknown;
}

export interface ApiVersionRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

export class ApiRegistry {
  private readonly entries = new Map<number, ApiEntry>();

  /** The handler's request and response types are those inferred from `spec`. */
  register<S extends ApiSpec>(spec: S, handler: Handler<RequestOf<S>, ResponseOf<S>>): this {
    if (this.entries.has(spec.key)) throw new Error(`API ${spec.name} (${spec.key}) registered twice`);
    // The table's codec is the untyped view of the same compiled spec.
    const untyped: ApiSpec = spec;
    this.entries.set(spec.key, { spec, codec: compile(untyped), handle: handler });
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
