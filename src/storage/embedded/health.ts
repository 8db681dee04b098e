// Storage faults of the embedded log as operators see them: every I/O failure is counted (by errno class, for
// kgw_storage_errors_total), but logged only when a condition starts and when it ends, and /readyz reports the
// conditions that last. A condition is one errno class on one scope: the whole volume for the classes that are a
// property of the disk or the process (disk full, quota, read-only file system, file-descriptor exhaustion), else
// one partition or metadata file (a bad sector or a changed permission hits one place while the rest works).
import { errorText } from "./files.ts";
import type { LogFn } from "./options.ts";

/** errno classes counted and reported; anything else with an errno is "other". */
export const FAULT_KINDS = [
  "ENOSPC",
  "EDQUOT",
  "EIO",
  "EACCES",
  "EPERM",
  "EROFS",
  "EMFILE",
  "ENFILE",
  "other",
] as const;
export type FaultKind = typeof FAULT_KINDS[number];

/** Classes that hold for every file of the data directory at once. */
const VOLUME_WIDE: ReadonlySet<FaultKind> = new Set(["ENOSPC", "EDQUOT", "EROFS", "EMFILE", "ENFILE"]);

const WHAT: Readonly<Record<FaultKind, string>> = {
  ENOSPC: "disk full",
  EDQUOT: "disk quota exceeded",
  EIO: "I/O error",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  EMFILE: "too many open files (process limit)",
  ENFILE: "too many open files (system limit)",
  other: "I/O failure",
};

/**
 * The errno class of an I/O failure, looking through `cause` chains (StorageError keeps the original error there);
 * null when no errno is involved (a logic error, a corrupt record). Deno's permission check (scoped
 * --allow-write) counts as EACCES.
 */
export function faultKind(e: unknown): FaultKind | null {
  for (let x = e, depth = 0; x !== null && x !== undefined && depth < 8; depth++) {
    if (x instanceof Deno.errors.NotCapable) return "EACCES";
    const code = (x as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) {
      return (FAULT_KINDS as readonly string[]).includes(code) ? code as FaultKind : "other";
    }
    x = (x as { cause?: unknown }).cause;
  }
  return null;
}

/** The innermost message of a cause chain (the OS's words, not the wrappers'). */
function rootText(e: unknown): string {
  let x = e;
  for (let depth = 0; depth < 8; depth++) {
    const c = (x as { cause?: unknown } | null)?.cause;
    if (c === undefined || c === null) break;
    x = c;
  }
  return errorText(x);
}

interface Condition {
  readonly kind: FaultKind;
  readonly scope: string;
  readonly path: string;
  readonly cause: string;
  readonly since: number;
  /** Failures counted while it lasted. */
  count: number;
  /** Ends only with a restart (a partition or the group log taken offline after a failed fsync). */
  readonly persistent: boolean;
}

export class StorageHealth {
  private readonly active = new Map<string, Condition>();

  constructor(
    private readonly log: LogFn,
    /** Called for every failure (metrics); cheap, never throws. */
    private readonly onError: (kind: FaultKind) => void = () => {},
  ) {}

  /**
   * An I/O operation on `path` (part of `scope`: a partition name or a metadata file) failed with `cause`.
   * Counts it; logs it when it starts a condition. Errors without an errno are ignored (not a storage fault).
   * `persistent`: the scope was taken offline and stays so until a restart.
   */
  failed(scope: string, path: string, cause: unknown, persistent = false): void {
    const kind = this.count(cause);
    if (kind === null) return;
    const key = persistent ? `offline ${scope}` : VOLUME_WIDE.has(kind) ? kind : `${kind} ${scope}`;
    const c = this.active.get(key);
    if (c) {
      c.count++;
      return;
    }
    const cond: Condition = {
      kind,
      scope,
      path,
      cause: rootText(cause),
      since: Date.now(),
      count: 1,
      persistent,
    };
    this.active.set(key, cond);
    const after = persistent
      ? `${scope} is offline until the gateway is restarted (after fixing the cause)`
      : `further ${kind} errors ${
        VOLUME_WIDE.has(kind) ? "" : `in ${scope} `
      }are counted in kgw_storage_errors_total, not logged, until a write succeeds again`;
    this.log("error", `storage error ${kind} (${WHAT[kind]}) at ${path}: ${cond.cause}; ${after}`);
  }

  /**
   * Counts a failure without starting a condition (an operation that failed and was undone completely, which its
   * caller logs); returns its class, null when it is not an I/O error.
   */
  count(cause: unknown): FaultKind | null {
    const kind = faultKind(cause);
    if (kind === null) return null;
    try {
      this.onError(kind);
    } catch { /* metrics must never break storage */ }
    return kind;
  }

  /**
   * A write in `scope` succeeded: ends that scope's conditions, and with `data` (an append of records or group
   * state, not a small bookkeeping file that may fit where records do not) the volume-wide ones too.
   */
  ok(scope: string, data: boolean): void {
    if (this.active.size === 0) return; // the hot path: nothing to end
    for (const [key, c] of this.active) {
      if (c.persistent) continue;
      if (c.scope === scope && !VOLUME_WIDE.has(c.kind) || data && VOLUME_WIDE.has(c.kind)) {
        this.active.delete(key);
        this.log(
          "info",
          `storage recovered from ${c.kind} (${
            WHAT[c.kind]
          }, first at ${c.path}): writes to ${scope} succeed ` +
            `again after ${c.count} failed operation(s) in ${Math.round((Date.now() - c.since) / 1000)} s`,
        );
      }
    }
  }

  /**
   * A partition is gone (its topic was deleted): the conditions of `scope` and of the files in `dir` (reads are
   * scoped by segment file) end without a recovery.
   */
  forget(scope: string, dir: string): void {
    for (const [key, c] of this.active) {
      const own = c.scope === scope || c.scope.startsWith(`${dir}/`);
      if (own && (c.persistent || !VOLUME_WIDE.has(c.kind))) this.active.delete(key);
    }
  }

  get healthy(): boolean {
    return this.active.size === 0;
  }

  /** The lasting conditions, for /readyz ("" when none). */
  detail(): string {
    return [...this.active.values()].map((c) =>
      `${c.persistent ? `${c.scope} offline: ` : ""}${c.kind} (${WHAT[c.kind]}) at ${c.path} since ${
        new Date(c.since).toISOString()
      }: ${c.cause} (${c.count} failed operation(s))`
    ).join("; ");
  }
}
