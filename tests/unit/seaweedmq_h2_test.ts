// The PublishMessage transport: HPACK (RFC 7541's own examples) and the HTTP/2 client against a scripted server
// on loopback (flow control, PING, split messages, trailers, resets, GOAWAY, a server that goes away).
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { encodeHeaders, HpackDecoder, HpackError } from "../../src/storage/seaweedmq/transport/hpack.ts";
import { frame, GrpcH2Session } from "../../src/storage/seaweedmq/transport/h2stream.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

Deno.test("hpack: RFC 7541 C.4 requests with Huffman strings share one dynamic table", () => {
  const d = new HpackDecoder();
  assertEquals(d.decode(hex("828684418cf1e3c2e5f23a6ba0ab90f4ff")), [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
  ]);
  // ":authority" now comes from the dynamic table (index 62)
  assertEquals(d.decode(hex("828684be5886a8eb10649cbf")), [
    [":method", "GET"],
    [":scheme", "http"],
    [":path", "/"],
    [":authority", "www.example.com"],
    ["cache-control", "no-cache"],
  ]);
  assertEquals(d.decode(hex("828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf")), [
    [":method", "GET"],
    [":scheme", "https"],
    [":path", "/index.html"],
    [":authority", "www.example.com"],
    ["custom-key", "custom-value"],
  ]);
});

Deno.test("hpack: RFC 7541 C.6 responses evict from a 256-octet table", () => {
  const d = new HpackDecoder(256);
  const first = d.decode(hex(
    "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
  ));
  assertEquals(first[0], [":status", "302"]);
  assertEquals(first[3], ["location", "https://www.example.com"]);
  // ":status 307" pushes ":status 302" out; the rest is indexed
  const second = d.decode(hex("4883640effc1c0bf"));
  assertEquals(second, [
    [":status", "307"],
    ["cache-control", "private"],
    ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["location", "https://www.example.com"],
  ]);
});

Deno.test("hpack: what the client encodes decodes back; bad blocks raise HpackError", () => {
  const headers: [string, string][] = [
    [":method", "POST"],
    [":path", "/messaging_pb.SeaweedMessaging/PublishMessage"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ["x-long", "v".repeat(300)],
  ];
  assertEquals(new HpackDecoder().decode(encodeHeaders(headers)), headers);
  assertThrows(() => new HpackDecoder().decode(hex("be")), HpackError); // index 62: empty table
  assertThrows(() => new HpackDecoder().decode(hex("0485")), HpackError); // string shorter than its length
  assertThrows(() => new HpackDecoder().decode(hex("3fe21f")), HpackError); // table size over the limit
});

// ---- a scripted HTTP/2 server ----

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Uint8Array;
}

class Peer {
  private buf = new Uint8Array(0);
  readonly enc = new TextEncoder();
  constructor(readonly conn: Deno.TcpConn) {
    conn.setNoDelay(true);
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n) {
      const chunk = new Uint8Array(65536);
      const got = await this.conn.read(chunk).catch(() => null);
      if (got === null) return false;
      const joined = new Uint8Array(this.buf.length + got);
      joined.set(this.buf);
      joined.set(chunk.subarray(0, got), this.buf.length);
      this.buf = joined;
    }
    return true;
  }

  async preface(): Promise<string> {
    await this.fill(24);
    const s = new TextDecoder().decode(this.buf.subarray(0, 24));
    this.buf = this.buf.slice(24);
    return s;
  }

  async frame(): Promise<Frame | null> {
    if (!await this.fill(9)) return null;
    const len = (this.buf[0] << 16) | (this.buf[1] << 8) | this.buf[2];
    if (!await this.fill(9 + len)) return null;
    const f = {
      type: this.buf[3],
      flags: this.buf[4],
      stream: new DataView(this.buf.buffer, this.buf.byteOffset).getUint32(5) & 0x7fffffff,
      payload: this.buf.slice(9, 9 + len),
    };
    this.buf = this.buf.slice(9 + len);
    return f;
  }

  async send(type: number, flags: number, stream: number, payload: Uint8Array): Promise<void> {
    const f = new Uint8Array(9 + payload.length);
    f[0] = payload.length >> 16;
    f[1] = (payload.length >> 8) & 0xff;
    f[2] = payload.length & 0xff;
    f[3] = type;
    f[4] = flags;
    new DataView(f.buffer).setUint32(5, stream);
    f.set(payload, 9);
    await this.conn.write(f);
  }

  settings(pairs: [number, number][]): Promise<void> {
    const p = new Uint8Array(6 * pairs.length);
    const v = new DataView(p.buffer);
    pairs.forEach(([k, val], i) => {
      v.setUint16(6 * i, k);
      v.setUint32(6 * i + 2, val);
    });
    return this.send(4, 0, 0, p);
  }

  u32(n: number): Uint8Array {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, n);
    return p;
  }
}

function serve(
  script: (peer: Peer) => Promise<void>,
): { address: string; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    try {
      await script(new Peer(conn));
    } finally {
      try {
        conn.close();
      } catch { /* closed */ }
    }
  })();
  return { address: `127.0.0.1:${listener.addr.port}`, done };
}

const msg = (n: number, fill: number) => frame(new Uint8Array(n).fill(fill));

function collect(session: GrpcH2Session) {
  const messages: number[][] = [];
  const ended = Promise.withResolvers<[number, string]>();
  const first = Promise.withResolvers<void>();
  const s = session.open("/messaging_pb.SeaweedMessaging/PublishMessage", {
    onMessage: (b) => {
      messages.push([...b]);
      first.resolve();
    },
    onEnd: (status, message) => ended.resolve([status, message]),
  });
  return { s, messages, ended: ended.promise, first: first.promise };
}

Deno.test("h2 client: honours a 10-byte stream window, answers PING, reassembles split messages, ends on trailers", async () => {
  const dataSizes: number[] = [];
  const received: number[] = [];
  let pingAnswered = false;
  let headersPath = "";
  const server = serve(async (peer) => {
    assertEquals(await peer.preface(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    await peer.settings([[4, 10]]);
    await peer.send(6, 0, 0, hex("0102030405060708"));
    let ended = false;
    while (!ended || !pingAnswered) {
      const f = await peer.frame();
      assert(f, "client went away");
      if (f.type === 1) {
        headersPath = new HpackDecoder().decode(f.payload).find(([n]) => n === ":path")![1];
        // response headers, then two acks in one DATA frame and a third split over two frames
        await peer.send(
          1,
          4,
          f.stream,
          encodeHeaders([[":status", "200"], ["content-type", "application/grpc"]]),
        );
        const acks = new Uint8Array([...msg(2, 1), ...msg(3, 2), ...msg(4, 3)]);
        await peer.send(0, 0, f.stream, acks.subarray(0, 15));
        await peer.send(0, 0, f.stream, acks.subarray(15));
      } else if (f.type === 0) {
        dataSizes.push(f.payload.length);
        received.push(...f.payload);
        if (f.payload.length > 0) await peer.send(8, 0, f.stream, peer.u32(f.payload.length));
        if (f.flags & 1) {
          ended = true;
          await peer.send(1, 5, f.stream, encodeHeaders([["grpc-status", "0"]]));
        }
      } else if (f.type === 6 && f.flags & 1) {
        assertEquals([...f.payload], [1, 2, 3, 4, 5, 6, 7, 8]);
        pingAnswered = true;
      }
    }
  });
  const session = new GrpcH2Session(server.address);
  const { s, messages, ended, first } = collect(session);
  const sent = [...msg(20, 7), ...msg(20, 8), ...msg(3, 9)];
  await first; // the server's SETTINGS came before it (before them the default 65,535-byte window applies)
  s.write(Uint8Array.from(sent.slice(0, 30)));
  s.write(Uint8Array.from(sent.slice(30)));
  s.end();
  assertEquals(await ended, [0, ""]);
  await server.done;
  session.close();
  assertEquals(headersPath, "/messaging_pb.SeaweedMessaging/PublishMessage");
  assertEquals(received, sent);
  assert(dataSizes.every((n) => n <= 10), `DATA frames of ${dataSizes}`);
  assertEquals(messages, [[1, 1], [2, 2, 2], [3, 3, 3, 3]]);
});

Deno.test("h2 client: trailers' grpc-status and message, a reset stream, and a server that goes away", async () => {
  const server = serve(async (peer) => {
    await peer.preface();
    await peer.settings([]);
    const streams: number[] = [];
    while (streams.length < 3) {
      const f = await peer.frame();
      assert(f);
      if (f.type === 1) streams.push(f.stream);
    }
    // 1: a trailers-only error; 3: reset; 5: the connection closes under it
    await peer.send(
      1,
      5,
      streams[0],
      encodeHeaders([[":status", "200"], ["grpc-status", "14"], ["grpc-message", "broker%20gone"]]),
    );
    await peer.send(3, 0, streams[1], peer.u32(2));
    // a header block that does not decode would fail the connection; a clean close does too
  });
  const session = new GrpcH2Session(server.address);
  const a = collect(session), b = collect(session), c = collect(session);
  const [sa, ma] = await a.ended;
  assertEquals(sa, 14);
  assert(ma.endsWith(": broker gone"), ma);
  const [sb, mb] = await b.ended;
  assertEquals(sb, 14);
  assert(mb.includes("reset by the server (code 2)"), mb);
  await server.done;
  const [sc] = await c.ended;
  assertEquals(sc, 14);
  // a failed connection takes no new streams: the next one dials again (and is refused: nobody listens)
  const d = collect(session);
  assertEquals((await d.ended)[0], 14);
  session.close();
});

Deno.test("h2 client: GOAWAY ends streams past its last id; later streams use a new connection", async () => {
  const second = Promise.withResolvers<string>();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const served = (async () => {
    const first = new Peer(await listener.accept());
    await first.preface();
    await first.settings([]);
    const ids: number[] = [];
    while (ids.length < 2) {
      const f = await first.frame();
      if (f?.type === 1) ids.push(f.stream);
    }
    const goaway = new Uint8Array(8);
    new DataView(goaway.buffer).setUint32(0, ids[0]);
    await first.send(7, 0, 0, goaway);
    await first.send(1, 4, ids[0], encodeHeaders([[":status", "200"]]));
    await first.send(1, 5, ids[0], encodeHeaders([["grpc-status", "0"]]));
    const next = new Peer(await listener.accept());
    second.resolve(await next.preface());
    next.conn.close();
    first.conn.close();
    listener.close();
  })();
  const session = new GrpcH2Session(`127.0.0.1:${listener.addr.port}`);
  const a = collect(session), b = collect(session);
  assertEquals(await a.ended, [0, ""]); // at or below the last id: completes
  assertEquals((await b.ended)[0], 14);
  const c = collect(session);
  assertEquals(await second.promise, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  assertEquals((await c.ended)[0], 14);
  await served;
  session.close();
});

Deno.test("h2 client: write() asks the caller to wait beyond 4 MiB unsent and drained() resolves as the window opens", async () => {
  let got = 0;
  const total = 6 * 1024 * 1024;
  const server = serve(async (peer) => {
    await peer.preface();
    await peer.settings([]); // default 65,535-byte windows
    for (;;) {
      const f = await peer.frame();
      assert(f);
      if (f.type === 1) {
        await peer.send(1, 4, f.stream, encodeHeaders([[":status", "200"]]));
      } else if (f.type === 0) {
        got += f.payload.length;
        if (f.payload.length > 0) {
          await peer.send(8, 0, 0, peer.u32(f.payload.length));
          await peer.send(8, 0, f.stream, peer.u32(f.payload.length));
        }
        if (f.flags & 1) {
          await peer.send(1, 5, f.stream, encodeHeaders([["grpc-status", "0"]]));
          return;
        }
      }
    }
  });
  const session = new GrpcH2Session(server.address);
  const { s, ended } = collect(session);
  assertEquals(s.write(new Uint8Array(3 * 1024 * 1024)), true);
  assertEquals(s.write(new Uint8Array(3 * 1024 * 1024)), false);
  await s.drained();
  s.end();
  assertEquals(await ended, [0, ""]);
  await server.done;
  session.close();
  assertEquals(got, total);
});

Deno.test("h2 client: headers split over CONTINUATION frames; data held by a zero window leaves when SETTINGS widen it", async () => {
  const beforeWiden: number[] = [];
  const afterWiden: number[] = [];
  let endStream = false;
  const server = serve(async (peer) => {
    await peer.preface();
    await peer.settings([[4, 0]]); // streams may send nothing yet
    let id = 0;
    while (id === 0) {
      const f = await peer.frame();
      assert(f);
      if (f.type === 1) id = f.stream;
    }
    const block = encodeHeaders([[":status", "200"], ["content-type", "application/grpc"], [
      "x-pad",
      "y".repeat(50),
    ]]);
    await peer.send(1, 0, id, block.subarray(0, 10));
    await peer.send(9, 0, id, block.subarray(10, 20));
    await peer.send(9, 4, id, block.subarray(20));
    await peer.send(0, 0, id, msg(1, 5)); // the client writes once it has this
    // a PING answered means every frame before it was handled: whatever DATA could go has gone
    await peer.send(6, 0, 0, hex("0000000000000001"));
    for (;;) {
      const f = await peer.frame();
      assert(f);
      if (f.type === 0) beforeWiden.push(f.payload.length);
      if (f.type === 6 && f.flags & 1) break;
    }
    await peer.settings([[4, 65535]]);
    await peer.send(6, 0, 0, hex("0000000000000002"));
    for (;;) {
      const f = await peer.frame();
      assert(f);
      if (f.type === 0) {
        afterWiden.push(f.payload.length);
        endStream ||= (f.flags & 1) !== 0;
      }
      if (f.type === 6 && f.flags & 1 && f.payload[7] === 2) break;
    }
    await peer.send(1, 5, id, encodeHeaders([["grpc-status", "0"]]));
  });
  const session = new GrpcH2Session(server.address);
  const { s, ended, first, messages } = collect(session);
  await first;
  s.write(msg(5, 1));
  s.end();
  assertEquals(await ended, [0, ""]);
  await server.done;
  session.close();
  assertEquals(messages, [[5]]);
  assertEquals(beforeWiden, []);
  assertEquals(afterWiden.reduce((a, b) => a + b, 0), 10);
  assert(endStream, "END_STREAM after the data");
});
