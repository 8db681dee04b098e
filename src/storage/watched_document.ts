// One document of the DocumentStore (./documents.ts) kept in memory and followed: read at start (a corrupt document
// stops the start, naming it), re-read every `pollMs` for changes made through another gateway (a failure keeps the
// last value read and is logged once per distinct reason), and changed by read-modify-write with compare-and-set,
// re-applied when another writer got there first. SCRAM credentials, ACLs and client quotas each hold one.
import type { Logger } from "../log.ts";
import type { DocumentStore } from "./documents.ts";

export interface DocumentCodec<T> {
  /** The value while the document does not exist. */
  empty(): T;
  /** Parses the document; throws with a reason on anything unexpected. */
  decode(data: Uint8Array): T;
  encode(value: T): Uint8Array;
}

export interface WatchOptions<T> {
  /** What the document holds, for messages ("ACLs", "client quotas"). */
  readonly what: string;
  readonly log: Logger;
  /** Re-read interval; 0: never (no other writer). */
  readonly pollMs: number;
  /** Called whenever `value` was replaced. */
  readonly onChange?: (value: T) => void;
}

/** Concurrent writes that keep winning over an update before it gives up. */
const MAX_ATTEMPTS = 20;

export class WatchedDocument<T> {
  /** The value as last read or written. */
  value: T;
  private version: string | null = null;
  /** Counts installs: a read that started before the last one may be older than what it installed. */
  private installs = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private pollError: string | null = null;

  constructor(
    private readonly docs: DocumentStore,
    readonly name: string,
    private readonly codec: DocumentCodec<T>,
    private readonly opts: WatchOptions<T>,
  ) {
    this.value = codec.empty();
  }

  /** Reads the document at start: a corrupt one stops the start with a message naming it. */
  async load(): Promise<void> {
    try {
      await this.refresh();
    } catch (e) {
      throw new Error(
        `the ${this.opts.what} document "${this.name}" cannot be read: ${(e as Error).message}`,
      );
    }
  }

  /** Starts following changes made through other gateways. */
  start(): void {
    if (this.opts.pollMs <= 0 || this.timer !== null) return;
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the document when its version changed. */
  async refresh(): Promise<void> {
    const before = this.installs;
    const doc = await this.docs.get(this.name);
    // Written through this gateway meanwhile: this read may predate that write (a poll must not undo it).
    if (this.installs !== before) return;
    if (doc === null) {
      if (this.version !== null) this.install(this.codec.empty(), null);
      return;
    }
    if (doc.version === this.version) return;
    this.install(this.codec.decode(doc.data), doc.version);
  }

  /**
   * Applies `mutate` to a fresh copy of the stored value and writes what it returns as `next` with compare-and-set,
   * reading and applying it again when another gateway wrote in between; `value` holds the result at once.
   * Resolves to mutate's `result`.
   */
  async update<R>(mutate: (current: T) => { next: T; result: R }): Promise<R> {
    for (let attempt = 1;; attempt++) {
      const doc = await this.docs.get(this.name);
      const { next, result } = mutate(doc === null ? this.codec.empty() : this.codec.decode(doc.data));
      const version = await this.docs.put(this.name, this.codec.encode(next), doc?.version ?? null);
      if (version !== null) {
        this.install(next, version);
        return result;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(`the ${this.opts.what} document keeps changing under concurrent writes`);
      }
    }
  }

  private install(value: T, version: string | null): void {
    this.installs++;
    this.value = value;
    this.version = version;
    this.opts.onChange?.(value);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.refresh();
      if (this.pollError !== null) this.opts.log.info("{what} readable again", { what: this.opts.what });
      this.pollError = null;
    } catch (e) {
      const reason = (e as Error).message;
      if (reason !== this.pollError) {
        this.opts.log.warn("cannot re-read the {what}: {reason}; keeping the last ones read", {
          what: this.opts.what,
          reason,
        });
      }
      this.pollError = reason;
    } finally {
      this.polling = false;
    }
  }
}

/**
 * A store held in one followed document: the read at start (a corrupt document stops the start, naming it),
 * following the changes other gateways make, the stop. SCRAM credentials, ACLs, client quotas and group configs
 * are such stores; each builds what it serves from the value in `changed`.
 */
export abstract class FollowedStore<T> {
  protected readonly doc: WatchedDocument<T>;

  protected constructor(
    docs: DocumentStore,
    name: string,
    codec: DocumentCodec<T>,
    opts: Omit<WatchOptions<T>, "onChange">,
  ) {
    this.doc = new WatchedDocument(docs, name, codec, { ...opts, onChange: (v) => this.changed(v) });
  }

  /** Called whenever the value was replaced (read, or written here). */
  protected changed(_value: T): void {}

  /** Reads the stored document (at start: a corrupt one stops the start, naming it). */
  load(): Promise<void> {
    return this.doc.load();
  }

  /** Starts following changes made through other gateways. */
  start(): void {
    this.doc.start();
  }

  stop(): void {
    this.doc.stop();
  }
}
