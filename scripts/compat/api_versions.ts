// The API keys a broker advertises: one ApiVersions v0 request over a plain socket (no client library involved).
export async function advertisedApiKeys(bootstrap: string): Promise<Set<number>> {
  const i = bootstrap.lastIndexOf(":");
  const conn = await Deno.connect({ hostname: bootstrap.slice(0, i), port: Number(bootstrap.slice(i + 1)) });
  try {
    const clientId = new TextEncoder().encode("compat");
    const req = new Uint8Array(4 + 10 + clientId.length);
    const dv = new DataView(req.buffer);
    dv.setInt32(0, req.length - 4); // frame size
    dv.setInt16(4, 18); // api key: ApiVersions
    dv.setInt16(6, 0); // version 0
    dv.setInt32(8, 1); // correlation id
    dv.setInt16(12, clientId.length);
    req.set(clientId, 14);
    await conn.write(req);
    const read = async (n: number) => {
      const b = new Uint8Array(n);
      for (let off = 0; off < n;) {
        const r = await conn.read(b.subarray(off));
        if (r === null) throw new Error("connection closed by the broker");
        off += r;
      }
      return b;
    };
    const size = new DataView((await read(4)).buffer).getInt32(0);
    // correlation id (4), error code (2), [api key, min, max] (int32 count, 6 bytes each)
    const body = new DataView((await read(size)).buffer);
    const keys = new Set<number>();
    for (let k = 0, n = body.getInt32(6); k < n; k++) keys.add(body.getInt16(10 + k * 6));
    return keys;
  } finally {
    conn.close();
  }
}
