// A request channel for driving the request pipeline (src/server/pipeline/) without a socket: it records what was
// sent and the protocol errors reported, and authenticates as a given principal or through the pipeline's own
// authenticator.
import type { RequestChannel, RequestPipeline } from "../../src/server/pipeline/pipeline.ts";
import type { ConnectionAuth } from "../../src/request/authenticate.ts";
import type { Listener, Principal } from "../../src/request/context.ts";
import type { Writer } from "../../src/protocol/codec.ts";
import type { ApiSpec } from "../../src/protocol/schema.ts";
import { type Logger, logger } from "../../src/log.ts";
import { decodeResponse } from "./wire.ts";

export const PLAINTEXT_LISTENER: Listener = {
  name: "PLAINTEXT",
  securityProtocol: "PLAINTEXT",
  host: "127.0.0.1",
  port: 9092,
};

export interface FakeChannelOptions {
  readonly id?: number;
  /** The client's address (ACL host rules match it). Default 127.0.0.1. */
  readonly host?: string;
  readonly listener?: Listener;
  /** Called on each send (tests that check the order of events). */
  readonly onSend?: () => void;
}

export class FakeChannel implements RequestChannel {
  readonly id: number;
  readonly remote: string;
  readonly clientHost: string;
  readonly listener: Listener;
  readonly auth: ConnectionAuth;
  clientSoftware: string | null = null;
  readonly sent: Uint8Array[] = [];
  readonly protocolErrors: string[] = [];
  private readonly onSend: (() => void) | null;

  /** Authenticated as `who`: a principal, or whatever the pipeline's authenticator makes of this connection. */
  constructor(who: Principal | RequestPipeline, opts: FakeChannelOptions = {}) {
    const host = opts.host ?? "127.0.0.1";
    this.id = opts.id ?? 1;
    this.remote = `${host}:50000`;
    this.clientHost = `/${host}`;
    this.listener = opts.listener ?? PLAINTEXT_LISTENER;
    this.onSend = opts.onSend ?? null;
    this.auth = "authenticator" in who ? who.authenticator.open(this) : { principal: who };
  }

  noteRequest(): Logger {
    return logger("test");
  }

  send(w: Writer): void {
    this.onSend?.();
    const out = new Uint8Array(w.length);
    let o = 0;
    for (const c of w.chunks()) {
      out.set(c, o);
      o += c.length;
    }
    this.sent.push(out);
  }

  protocolError(kind: string): void {
    this.protocolErrors.push(kind);
  }

  /** The last response, decoded. */
  last<T>(spec: ApiSpec, version: number, correlationId: number): T {
    return decodeResponse<T>(spec, version, this.sent.at(-1)!, correlationId);
  }
}
