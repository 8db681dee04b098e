// Reads int32-size-prefixed Kafka frames from a connection, each into one buffer of its final size. Small reads
// land in a reusable buffer from which whole frames are copied out; once a frame's size prefix is known and the
// frame is not all buffered yet, its buffer is allocated and the rest is read straight into it (no re-assembly of
// pieces). Every frame handed out is owned (never reused or changed by the reader), so later steps may keep views
// of it (the embedded log's tail cache does). Producing one frame allocates once: fewer short-lived ArrayBuffers
// means fewer V8 major collections, whose pauses were the produce path's tail latency.
//
// Large frames are charged to the request memory budget (request_memory.ts) before their buffer is allocated; a
// frame's buffer is zero-filled memory the kernel maps lazily, so a peer that declares a huge frame and sends a few
// bytes costs resident memory for those bytes only, and no more frames than the budget allows are read at once.
import { getInt32 } from "../protocol/codec.ts";

export class FrameTooLargeError extends Error {
  override name = "FrameTooLargeError";
}
export class InvalidFrameSizeError extends Error {
  override name = "InvalidFrameSizeError";
}

/** Where a frame's memory is charged (ConnectionMemory); resolves once the frame may be read. */
export interface FrameBudget {
  chargeFrame(size: number): Promise<void> | undefined;
}

/** A byte stream read into caller buffers: Deno.Conn, Deno.TlsConn, the node:tls socket wrapper. */
export interface ByteSource {
  read(buf: Uint8Array): Promise<number | null>;
}

/** The reusable read buffer: small requests of an idle or light connection cost no allocation beyond their own. */
const READ_BYTES = 16 * 1024;
const EMPTY = new Uint8Array(0);

export class FrameReader {
  private readonly buf = new Uint8Array(READ_BYTES);
  private start = 0;
  private end = 0;
  /** Ends the read in progress (cancel()); each read has its own (see read()). */
  private wake: ((end: null) => void) | null = null;
  private stopped = false;

  constructor(
    private readonly src: ByteSource,
    private readonly maxFrameBytes: number,
    private readonly budget?: FrameBudget,
    /** Called after every read that returned bytes (activity for the idle timeout). */
    private readonly onRead?: () => void,
  ) {}

  /** Ends the reader: a pending and every later next() answers null (the socket is closed by its owner). */
  cancel(): void {
    this.stopped = true;
    this.wake?.(null);
  }

  /** The next frame (without its size prefix), or null at the end of the stream or after cancel(). */
  async next(): Promise<Uint8Array | null> {
    while (this.end - this.start < 4) {
      if (!await this.fill()) {
        if (this.end > this.start && !this.stopped) {
          throw new InvalidFrameSizeError(
            `connection closed inside a frame (${this.end - this.start} bytes)`,
          );
        }
        return null;
      }
    }
    const size = getInt32(this.buf, this.start);
    if (size < 0) throw new InvalidFrameSizeError(`invalid frame size ${size}`);
    if (size > this.maxFrameBytes) {
      throw new FrameTooLargeError(`frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes}`);
    }
    this.start += 4;
    const wait = this.budget?.chargeFrame(size);
    if (wait !== undefined) await wait;
    if (this.stopped) return null;
    if (size === 0) return EMPTY;
    const buffered = this.end - this.start;
    if (buffered >= size) {
      const frame = this.buf.slice(this.start, this.start + size);
      this.start += size;
      return frame;
    }
    // The frame's own buffer; what is buffered goes in first, the rest is read straight into it.
    const frame = new Uint8Array(size);
    frame.set(this.buf.subarray(this.start, this.end));
    this.start = this.end = 0;
    let got = buffered;
    while (got < size) {
      const n = await this.read(frame.subarray(got));
      if (n === null) {
        if (this.stopped) return null;
        throw new InvalidFrameSizeError(`connection closed inside a frame (${got + 4} bytes)`);
      }
      got += n;
    }
    return frame;
  }

  /** Reads more into the reusable buffer (moving what is left to its start); false at the end. */
  private async fill(): Promise<boolean> {
    if (this.start > 0) {
      this.buf.copyWithin(0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    const n = await this.read(this.buf.subarray(this.end));
    if (n === null) return false;
    this.end += n;
    return true;
  }

  private async read(into: Uint8Array): Promise<number | null> {
    if (this.stopped) return null;
    // A read still pending at cancel() is left to fail when the owner closes the socket (the race answers first).
    // Raced against a promise of this read only: Promise.race adds a reaction to every promise it is given, and one
    // promise living as long as the connection kept a reaction per read until the connection ended (a producer's
    // connection grew the heap ~0.5 MB/s at 200,000 msg/s, and V8 ran a major collection every ~0.7 s).
    const end = Promise.withResolvers<null>();
    this.wake = end.resolve;
    let n: number | null;
    try {
      n = await Promise.race([this.src.read(into), end.promise]);
    } finally {
      this.wake = null;
    }
    if (n === null || this.stopped) return null;
    if (n > 0) this.onRead?.();
    return n;
  }
}
