// Splits a byte stream into int32-size-prefixed Kafka frames. A frame that lies within one network chunk is
// passed on as a view of that chunk (no copy); frames spanning chunks are assembled once.
import { getInt32 } from "../protocol/codec.ts";

export class FrameTooLargeError extends Error {
  override name = "FrameTooLargeError";
}
export class InvalidFrameSizeError extends Error {
  override name = "InvalidFrameSizeError";
}

export function frameStream(maxFrameBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let partial: Uint8Array | null = null; // bytes of an incomplete frame (or incomplete size prefix)
  let partialLen = 0;
  let want = -1; // size of the frame being assembled, -1 while the prefix is incomplete
  const prefix = new Uint8Array(4);

  function checkSize(size: number): void {
    if (size < 0) throw new InvalidFrameSizeError(`invalid frame size ${size}`);
    if (size > maxFrameBytes) {
      throw new FrameTooLargeError(`frame of ${size} bytes exceeds the limit of ${maxFrameBytes}`);
    }
  }

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      let pos = 0;
      const n = chunk.length;
      while (pos < n) {
        if (partial === null) {
          if (n - pos >= 4) {
            const size = getInt32(chunk, pos);
            checkSize(size);
            if (n - pos - 4 >= size) {
              controller.enqueue(chunk.subarray(pos + 4, pos + 4 + size));
              pos += 4 + size;
              continue;
            }
            want = size;
            partial = new Uint8Array(size);
            partial.set(chunk.subarray(pos + 4));
            partialLen = n - pos - 4;
            pos = n;
          } else {
            // size prefix split across chunks
            partial = prefix;
            partial.set(chunk.subarray(pos));
            partialLen = n - pos;
            want = -1;
            pos = n;
          }
        } else if (want < 0) {
          const take = Math.min(4 - partialLen, n - pos);
          prefix.set(chunk.subarray(pos, pos + take), partialLen);
          partialLen += take;
          pos += take;
          if (partialLen === 4) {
            const size = getInt32(prefix, 0);
            checkSize(size);
            want = size;
            partial = new Uint8Array(size);
            partialLen = 0;
            if (size === 0) {
              controller.enqueue(partial);
              partial = null;
            }
          }
        } else {
          const take = Math.min(want - partialLen, n - pos);
          partial.set(chunk.subarray(pos, pos + take), partialLen);
          partialLen += take;
          pos += take;
          if (partialLen === want) {
            controller.enqueue(partial);
            partial = null;
          }
        }
      }
    },
    flush() {
      if (partial !== null) {
        throw new InvalidFrameSizeError(`connection closed inside a frame (${partialLen} bytes)`);
      }
    },
  });
}
