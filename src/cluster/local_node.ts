// What the data directory remembers of this gateway's cluster membership: the incarnation its last process ran
// under, guarded by a lock file that process held. Holding the lock now proves that process is gone, so its lease
// entry in the filer can be taken over at once (a restart after kill -9 need not wait out the lease timeout).
import { join } from "node:path";

const LOCK = ".seaweedmq-node.lock";
const FILE = "seaweedmq-node.json";

export class LocalNodeFile {
  private constructor(
    private readonly dataDir: string,
    private readonly key: { namespace: string; nodeId: number },
    private lock: Deno.FsFile | null,
  ) {}

  /** Opens (and locks, when no other process has) the data directory's record. Never throws. */
  static async open(dataDir: string, namespace: string, nodeId: number): Promise<LocalNodeFile> {
    let lock: Deno.FsFile | null = null;
    try {
      await Deno.mkdir(dataDir, { recursive: true });
      lock = await Deno.open(join(dataDir, LOCK), { read: true, write: true, create: true });
      if (!(await lock.tryLock(true))) {
        lock.close();
        lock = null;
      }
    } catch {
      lock = null; // unwritable data directory: the lease entry is then watched like any other
    }
    return new LocalNodeFile(dataDir, { namespace, nodeId }, lock);
  }

  /** The previous process's incarnation for this namespace and node id, if that process is known to be gone. */
  async previousIncarnation(): Promise<string | undefined> {
    if (this.lock === null) return undefined;
    try {
      const v = JSON.parse(await Deno.readTextFile(join(this.dataDir, FILE)));
      if (
        v?.namespace === this.key.namespace && v?.nodeId === this.key.nodeId &&
        typeof v.incarnation === "string"
      ) {
        return v.incarnation;
      }
    } catch { /* none */ }
    return undefined;
  }

  async record(incarnation: string): Promise<void> {
    if (this.lock === null) return;
    const path = join(this.dataDir, FILE);
    try {
      await Deno.writeTextFile(`${path}.tmp`, JSON.stringify({ ...this.key, incarnation }) + "\n");
      await Deno.rename(`${path}.tmp`, path);
    } catch { /* best effort: a restart then watches the entry for a lease timeout */ }
  }

  close(): void {
    try {
      this.lock?.close();
    } catch { /* closed */ }
    this.lock = null;
  }
}
