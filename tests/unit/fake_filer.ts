// An in-memory stand-in for the filer client (src/storage/seaweedmq/transport/filer.ts) with the semantics the
// cluster code relies on: create-exclusive, compare-and-set updates on extended attributes, and the distributed
// lock (SeaweedFS 4.48 weed/cluster/lock_manager: a new token per renewal, expiry by the filer's clock).
import type { Filer } from "../../src/storage/seaweedmq/transport/filer.ts";
import type {
  Entry,
  LockRequest,
  LockResponse,
} from "../../src/storage/seaweedmq/transport/filer_messages.ts";

interface Stored {
  content: Uint8Array;
  extended: Map<string, Uint8Array>;
}

const same = (a: Uint8Array | undefined, b: Uint8Array) =>
  (a ?? new Uint8Array(0)).length === b.length && (a ?? new Uint8Array(0)).every((x, i) => x === b[i]);

export class FakeFiler {
  readonly files = new Map<string, Stored>();
  private readonly locks = new Map<string, { token: string; owner: string; expires: number }>();
  private tokens = 0;
  /** The filer's clock (ms) for lock expiry: `now`, or performance.now() with `realTime`. */
  now = 0;
  realTime = false;
  /** While true every call fails (an unreachable filer). */
  down = false;
  /** While true every call hangs (a filer that stopped answering). */
  hang = false;
  calls = 0;

  /** The Filer type the cluster modules take. */
  get filer(): Filer {
    return this as unknown as Filer;
  }

  private async check(): Promise<void> {
    this.calls++;
    if (this.hang) await new Promise(() => {});
    if (this.down) throw Object.assign(new Error("filer unreachable"), { code: 14 });
  }

  private entry(path: string, s: Stored): Entry {
    return {
      name: path.slice(path.lastIndexOf("/") + 1),
      isDirectory: false,
      attributes: null,
      extended: new Map(s.extended),
      content: s.content,
      hasChunks: false,
      chunks: [],
    };
  }

  async lookup(dir: string, name: string): Promise<Entry | null> {
    await this.check();
    const s = this.files.get(`${dir}/${name}`);
    return s ? this.entry(`${dir}/${name}`, s) : null;
  }

  async list(dir: string): Promise<Entry[]> {
    await this.check();
    const out: Entry[] = [];
    for (const [path, s] of [...this.files].sort(([a], [b]) => a < b ? -1 : 1)) {
      if (path.slice(0, path.lastIndexOf("/")) === dir) out.push(this.entry(path, s));
    }
    return out;
  }

  async put(
    dir: string,
    name: string,
    content: Uint8Array,
    extended?: ReadonlyMap<string, Uint8Array>,
  ): Promise<void> {
    await this.check();
    this.files.set(`${dir}/${name}`, { content, extended: new Map(extended ?? []) });
  }

  async create(dir: string, name: string, content: Uint8Array, extended?: ReadonlyMap<string, Uint8Array>) {
    await this.check();
    if (this.files.has(`${dir}/${name}`)) return false;
    this.files.set(`${dir}/${name}`, { content, extended: new Map(extended ?? []) });
    return true;
  }

  async update(
    dir: string,
    name: string,
    content: Uint8Array,
    extended: ReadonlyMap<string, Uint8Array>,
    expected: ReadonlyMap<string, Uint8Array>,
  ): Promise<boolean> {
    await this.check();
    const s = this.files.get(`${dir}/${name}`);
    if (!s || [...expected].some(([k, v]) => !same(s.extended.get(k), v))) return false;
    this.files.set(`${dir}/${name}`, { content, extended: new Map(extended) });
    return true;
  }

  async remove(dir: string, name: string): Promise<void> {
    await this.check();
    this.files.delete(`${dir}/${name}`);
  }

  async lock(req: LockRequest): Promise<LockResponse> {
    await this.check();
    const none = { renewToken: "", lockOwner: "", movedTo: "", error: "", generation: 0 };
    const held = this.locks.get(req.name);
    const now = this.realTime ? performance.now() : this.now;
    const grant = () => {
      const token = `t${++this.tokens}`;
      this.locks.set(req.name, { token, owner: req.owner, expires: now + req.secondsToLock * 1000 });
      return { ...none, renewToken: token, lockOwner: req.owner };
    };
    if (!held || held.expires < now) {
      if (req.renewToken !== "") {
        return { ...none, error: "lock: non-empty token on an expired lock" };
      }
      return grant();
    }
    if (held.token === req.renewToken) return grant();
    if (req.renewToken === "") {
      return { ...none, lockOwner: held.owner, error: `lock already owned by ${held.owner}` };
    }
    return { ...none, lockOwner: held.owner, error: "lock: token mismatch" };
  }

  async unlock(name: string, token: string): Promise<string> {
    await this.check();
    const held = this.locks.get(name);
    if (!held) return "lock not found";
    if (held.token !== token) return "unlock: token mismatch";
    this.locks.delete(name);
    return "";
  }

  text(path: string): string {
    return new TextDecoder().decode(this.files.get(path)?.content);
  }
}
