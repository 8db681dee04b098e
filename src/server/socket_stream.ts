// A ReadableStream over a TCP connection with adaptive read buffers. Deno's `conn.readable` allocates a fresh
// 64 KiB buffer for every read, so 1,000 idle consumers pin 64 MiB in pending reads and every small request
// pins a 64 KiB chunk. Here an idle or lightly used connection reads into one reusable 16 KiB buffer and
// hands out exact-size copies; when reads fill the buffer (bulk produce), it switches to fresh larger
// buffers handed out without a copy, and shrinks back when the traffic does.
const SMALL = 16 * 1024;
const MAX = 1024 * 1024;

/** `onRead` is called after every read that returned bytes (activity for the idle timeout). */
export function socketReadable(
  conn: { read(buf: Uint8Array): Promise<number | null> },
  onRead?: () => void,
): ReadableStream<Uint8Array> {
  const reusable = new Uint8Array(SMALL);
  let size = SMALL;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buf = size === SMALL ? reusable : new Uint8Array(size);
      let n: number | null;
      try {
        n = await conn.read(buf);
      } catch (e) {
        controller.error(e);
        return;
      }
      if (n === null) {
        controller.close();
        return;
      }
      onRead?.();
      if (buf === reusable) controller.enqueue(buf.slice(0, n));
      else controller.enqueue(n === buf.length ? buf : buf.subarray(0, n));
      if (n === buf.length) size = Math.min(MAX, size * 2);
      else if (n < size / 4) size = Math.max(SMALL, size / 2);
    },
    // cancel(): nothing to do; the connection is closed by its owner once pending responses are written.
  });
}
