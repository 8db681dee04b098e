// Splits a byte stream into int32-size-prefixed Kafka frames. A frame that lies within one network chunk is
// passed on as a view of that chunk (no copy); a frame spanning chunks keeps views of its pieces as they arrive and
// is joined once complete, so a peer that declares a huge frame and sends a few bytes costs only those bytes.
// Large frames are charged to the request memory budget (request_memory.ts) before their payload is read.
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

const EMPTY = new Uint8Array(0);

export function frameStream(
  maxFrameBytes: number,
  budget?: FrameBudget,
): TransformStream<Uint8Array, Uint8Array> {
  const prefix = new Uint8Array(4);
  let prefixLen = 0; // bytes of a size prefix split across chunks
  let want = -1; // size of the frame being assembled, -1 while none is
  let pieces: Uint8Array[] = [];
  let got = 0;

  function checkSize(size: number): void {
    if (size < 0) throw new InvalidFrameSizeError(`invalid frame size ${size}`);
    if (size > maxFrameBytes) {
      throw new FrameTooLargeError(`frame of ${size} bytes exceeds the limit of ${maxFrameBytes}`);
    }
  }

  function join(): Uint8Array {
    if (pieces.length === 1) return pieces[0];
    const out = new Uint8Array(want);
    let o = 0;
    for (const p of pieces) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Consumes chunk[pos..]; returns a promise only when a frame's charge has to wait for room. */
  function consume(
    chunk: Uint8Array,
    pos: number,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): Promise<void> | undefined {
    const n = chunk.length;
    while (pos < n) {
      if (want >= 0) {
        // assembling a frame that spans chunks
        const take = Math.min(want - got, n - pos);
        pieces.push(chunk.subarray(pos, pos + take));
        got += take;
        pos += take;
        if (got === want) {
          controller.enqueue(join());
          pieces = [];
          want = -1;
        }
        continue;
      }
      let size: number;
      if (prefixLen === 0 && n - pos >= 4) {
        size = getInt32(chunk, pos);
        pos += 4;
      } else {
        const take = Math.min(4 - prefixLen, n - pos);
        prefix.set(chunk.subarray(pos, pos + take), prefixLen);
        prefixLen += take;
        pos += take;
        if (prefixLen < 4) return undefined;
        prefixLen = 0;
        size = getInt32(prefix, 0);
      }
      checkSize(size);
      const wait = budget?.chargeFrame(size);
      if (wait !== undefined) {
        const at = pos;
        return wait.then(() => consume(chunk, startFrame(chunk, at, size, controller), controller));
      }
      pos = startFrame(chunk, pos, size, controller);
    }
    return undefined;
  }

  /** Starts a frame of `size` bytes at chunk[pos] (whole, or the first piece); returns where to go on. */
  function startFrame(
    chunk: Uint8Array,
    pos: number,
    size: number,
    controller: TransformStreamDefaultController<Uint8Array>,
  ): number {
    if (chunk.length - pos >= size) {
      controller.enqueue(size === 0 ? EMPTY : chunk.subarray(pos, pos + size));
      return pos + size;
    }
    want = size;
    got = 0;
    pieces = [];
    return pos;
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      return consume(chunk, 0, controller);
    },
    flush() {
      if (want >= 0 || prefixLen > 0) {
        throw new InvalidFrameSizeError(`connection closed inside a frame (${got} bytes)`);
      }
    },
  });
}
