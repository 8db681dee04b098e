// Header step: a frame (frame_reader.ts) becomes a routed, decoded request, or a protocol error. Kafka closes a
// connection whose request it cannot parse, names an unknown API or an unsupported version; the one exception is
// a too-new ApiVersions, answered (KIP-511) so that a newer client can find a version both sides speak.
import { DecodeError, Reader, Writer } from "../../protocol/codec.ts";
import { ErrorCode } from "../../protocol/errors.ts";
import { ApiKey } from "../../protocol/api_keys.ts";
import { readHeaderRest, type RequestHeader, writeResponseHeader } from "../../protocol/header.ts";
import type { ApiEntry, ApiRegistry } from "../../handlers/registry.ts";
import type { GatewayMetrics } from "../../metrics/metrics.ts";

/** handle() outcomes other than a mute time: close the connection. */
export const CLOSE = -1;
/** The request was answered (or needs no answer) and the connection reads on at once. */
export const DONE = 0;

export interface DecodedRequest {
  readonly header: RequestHeader;
  readonly entry: ApiEntry;
  readonly body: unknown;
  /** The request (and so the response) uses the flexible header and encoding. */
  readonly flexible: boolean;
}

/** What the header step needs of a connection. */
export interface HeaderChannel {
  send(w: Writer): void;
  /** Counts a client protocol error and logs it, rate-limited per kind. */
  protocolError(kind: string, message: string, props: Record<string, unknown>): void;
}

/** Decodes `frame`; CLOSE or DONE when the request went no further. */
export function readRequest(
  frame: Uint8Array,
  apis: ApiRegistry,
  ch: HeaderChannel,
  metrics: GatewayMetrics | null,
): DecodedRequest | typeof CLOSE | typeof DONE {
  if (frame.length < 8) {
    ch.protocolError("malformed", "closing connection: request of {n} bytes is too short for a header", {
      n: frame.length,
    });
    return CLOSE;
  }
  const r = new Reader(frame);
  const apiKey = r.int16(), apiVersion = r.int16(), correlationId = r.int32();
  const entry = apis.get(apiKey);
  if (!entry) {
    ch.protocolError("unknown_api", "closing connection: unknown API key {apiKey} (version {apiVersion})", {
      apiKey,
      apiVersion,
    });
    return CLOSE;
  }
  const { spec } = entry;
  if (apiVersion < spec.minVersion || apiVersion > spec.maxVersion) {
    if (apiKey === ApiKey.ApiVersions) {
      // KIP-511: answer a too-new ApiVersions with UNSUPPORTED_VERSION and our key list in a v0 body.
      const w = new Writer(512);
      writeResponseHeader(w, apiKey, correlationId, false);
      entry.codec.encodeResponse(w, 0, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: apis.versions(),
        throttleTimeMs: 0,
      });
      ch.send(w);
      metrics?.error(apiKey, ErrorCode.UNSUPPORTED_VERSION);
      return DONE;
    }
    ch.protocolError(
      "unsupported_version",
      "closing connection: {api} version {apiVersion} is not supported (supported {min}-{max})",
      { api: spec.name, apiVersion, min: spec.minVersion, max: spec.maxVersion },
    );
    return CLOSE;
  }
  const flexible = apiVersion >= spec.flexibleFrom;
  let clientId: string | null;
  let body: unknown;
  try {
    clientId = readHeaderRest(r, flexible);
    body = entry.codec.decodeRequest(r, apiVersion);
  } catch (e) {
    const reason = e instanceof DecodeError ? e.message : String(e);
    ch.protocolError("malformed", "closing connection: malformed {api} v{apiVersion} request: {reason}", {
      api: spec.name,
      apiVersion,
      reason,
    });
    return CLOSE;
  }
  return { header: { apiKey, apiVersion, correlationId, clientId }, entry, body, flexible };
}
