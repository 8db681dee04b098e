// Failed TLS handshakes of a listener (either TLS implementation): each counted (metrics), logged at most once a
// second with the number left out, so a port scan or a PLAINTEXT client retrying cannot flood the log.
import type { Logger } from "../../log.ts";

/** Handshake failures are logged at most this often (all are counted). */
const WARN_EVERY_MS = 1000;
/** Handshakes that do not finish within this are abandoned (a client that connects and sends nothing). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export class HandshakeFailures {
  private lastWarn = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly opts: {
      readonly name: string;
      readonly log: Logger;
      readonly onHandshakeFailure?: (reason: string) => void;
    },
  ) {}

  failed(remote: string, reason: string): void {
    this.opts.onHandshakeFailure?.(reason);
    const now = performance.now();
    if (now - this.lastWarn < WARN_EVERY_MS) {
      this.suppressed++;
      return;
    }
    this.lastWarn = now;
    const more = this.suppressed;
    this.suppressed = 0;
    this.opts.log.warn(
      "TLS handshake with {remote} on {name} failed, connection closed: {reason}{more}",
      {
        remote,
        name: this.opts.name,
        reason,
        more: more > 0 ? ` (and ${more} more failures not logged)` : "",
      },
    );
  }
}
