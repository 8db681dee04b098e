// Connections whose TLS handshake completed, waiting for the server's accept loop (both TLS listeners): accept()
// takes the oldest or waits for the next; close() closes those still queued and fails a waiting accept() with
// BadResource, as a closed Deno listener does.
export class AcceptQueue<C extends { close(): void }> {
  private readonly queue: C[] = [];
  private waiter: { resolve: (c: C) => void; reject: (e: Error) => void } | null = null;
  closed = false;

  /** A connection ready for the server; closed at once when the queue is. */
  push(conn: C): void {
    if (this.closed) {
      conn.close();
      return;
    }
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve(conn);
    } else this.queue.push(conn);
  }

  accept(): Promise<C> {
    const next = this.queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
    return new Promise((resolve, reject) => this.waiter = { resolve, reject });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.queue.splice(0)) c.close();
    const w = this.waiter;
    this.waiter = null;
    w?.reject(new Deno.errors.BadResource("listener closed"));
  }
}
