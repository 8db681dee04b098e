// Request and response headers (RequestHeader v0-v2, ResponseHeader v0-v1).
import { Reader, Writer } from "./codec.ts";
import { ApiKey } from "./api_keys.ts";

export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

/** Reads key, version and correlation id only: enough to route or reject a request. */
export function peekHeader(r: Reader): { apiKey: number; apiVersion: number; correlationId: number } {
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/**
 * Reads the rest of the header after `peekHeader`. Header v1 adds the client id (never compact, so any
 * broker can parse any ApiVersions header); v2 adds tagged fields.
 */
export function readHeaderRest(r: Reader, flexible: boolean): string | null {
  const clientId = r.nullableString();
  if (flexible) {
    const n = r.uvarint();
    for (let i = 0; i < n; i++) {
      r.uvarint();
      r.skip(r.uvarint());
    }
  }
  return clientId;
}

/** Response header v0 = correlation id; v1 adds tagged fields. ApiVersions always answers with v0. */
export function writeResponseHeader(
  w: Writer,
  apiKey: number,
  correlationId: number,
  flexible: boolean,
): void {
  w.int32(correlationId);
  if (flexible && apiKey !== ApiKey.ApiVersions) w.uvarint(0);
}

export function writeRequestHeader(w: Writer, h: RequestHeader, flexible: boolean): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId);
  if (flexible) w.uvarint(0);
}
