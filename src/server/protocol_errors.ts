// Client protocol errors (malformed frames, unknown APIs, unsupported versions, oversized frames) are a client's
// fault, and a broken or hostile client can send thousands a second: each kind is logged at most once per interval,
// the line carrying how many more of that kind were left out since the last line. Every one is still counted in
// kgw_protocol_errors_total{kind}.
import type { Logger } from "../log.ts";

const INTERVAL_MS = 10_000;

export class ProtocolErrorLog {
  private readonly kinds = new Map<string, { at: number; suppressed: number }>();

  constructor(private readonly intervalMs = INTERVAL_MS, private readonly now: () => number = Date.now) {}

  /** Logs `message` at warning level unless a line of this kind went out less than an interval ago. */
  warn(log: Logger, kind: string, message: string, props: Record<string, unknown>): void {
    const t = this.now();
    const k = this.kinds.get(kind);
    if (k !== undefined && t - k.at < this.intervalMs) {
      k.suppressed++;
      return;
    }
    const suppressed = k?.suppressed ?? 0;
    this.kinds.set(kind, { at: t, suppressed: 0 });
    if (suppressed > 0) {
      log.warn(`${message} ({suppressed} more {kind} errors not logged in the last {seconds} s)`, {
        ...props,
        suppressed,
        kind,
        seconds: Math.round((t - k!.at) / 1000),
      });
    } else {
      log.warn(message, props);
    }
  }
}
