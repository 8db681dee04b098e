// A recording TCP proxy for the compatibility runner (`deno task compat --census`): every client connects to it
// (the gateway advertises the proxy's address), it forwards bytes unchanged both ways and notes the request
// header of every frame a client sends: client id, API key and version. The result shows what each client
// family really sends (which the matrix's notes summarise); it changes nothing on the wire.
import { ApiKey } from "../../src/protocol/api_keys.ts";

const NAMES = new Map<number, string>(Object.entries(ApiKey).map(([k, v]) => [v as number, k]));

export class CensusProxy {
  /** client id -> api key -> versions seen */
  readonly seen = new Map<string, Map<number, Set<number>>>();
  private readonly listener: Deno.Listener;
  private readonly target = Promise.withResolvers<number>();
  private readonly conns = new Set<Deno.Conn>();

  constructor() {
    this.listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.accept();
  }

  get port(): number {
    return (this.listener.addr as Deno.NetAddr).port;
  }

  /** The gateway's real port, known once it started. */
  setTarget(port: number): void {
    this.target.resolve(port);
  }

  private async accept(): Promise<void> {
    try {
      for await (const client of this.listener) this.handle(client).catch(() => {});
    } catch { /* listener closed */ }
  }

  private async handle(client: Deno.Conn): Promise<void> {
    this.conns.add(client);
    let server: Deno.Conn | undefined;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port: await this.target.promise });
      this.conns.add(server);
      const inspect = this.inspector();
      const up = client.readable
        .pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform: (chunk, ctl) => {
              inspect(chunk);
              ctl.enqueue(chunk);
            },
          }),
        )
        .pipeTo(server.writable);
      const down = server.readable.pipeTo(client.writable);
      await Promise.race([up, down]).catch(() => {});
    } finally {
      for (const c of [client, server]) {
        if (!c) continue;
        this.conns.delete(c);
        try {
          c.close();
        } catch { /* closed by a pipe already */ }
      }
    }
  }

  /** Parses request headers out of a client's byte stream without buffering record data. */
  private inspector(): (chunk: Uint8Array) => void {
    let hdr: number[] = [];
    let need = 14; // size(4) api key(2) version(2) correlation id(4) client id length(2)
    let skip = 0;
    return (chunk) => {
      let off = 0;
      while (off < chunk.length) {
        if (skip > 0) {
          const n = Math.min(skip, chunk.length - off);
          skip -= n;
          off += n;
          continue;
        }
        const take = Math.min(need - hdr.length, chunk.length - off);
        for (let i = 0; i < take; i++) hdr.push(chunk[off + i]);
        off += take;
        if (hdr.length === 14 && need === 14) {
          const len = (hdr[12] << 8 | hdr[13]) << 16 >> 16;
          need = 14 + Math.max(0, len);
        }
        if (hdr.length < need) continue;
        const b = new Uint8Array(hdr);
        const dv = new DataView(b.buffer);
        const size = dv.getInt32(0);
        const key = dv.getInt16(4);
        const version = dv.getInt16(6);
        const clientId = need > 14 ? new TextDecoder().decode(b.subarray(14, need)) : "(null)";
        this.record(clientId, key, version);
        skip = Math.max(0, 4 + size - need);
        hdr = [];
        need = 14;
      }
    };
  }

  private record(clientId: string, key: number, version: number): void {
    let apis = this.seen.get(clientId);
    if (!apis) this.seen.set(clientId, apis = new Map());
    let versions = apis.get(key);
    if (!versions) apis.set(key, versions = new Set());
    versions.add(version);
  }

  /** "ApiVersions v3, Metadata v12, ..." for one client id. */
  describe(clientId: string): string {
    const apis = this.seen.get(clientId);
    if (!apis) return "(nothing seen)";
    return [...apis].sort((a, b) => a[0] - b[0])
      .map(([k, vs]) => `${NAMES.get(k) ?? `api${k}`} v${[...vs].sort((a, b) => a - b).join("/")}`)
      .join(", ");
  }

  close(): void {
    try {
      this.listener.close();
    } catch { /* closed */ }
    for (const c of this.conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  }
}
