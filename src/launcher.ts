// Stopping with the launcher: the gateway exits when the process that started it, or the one that started that,
// is gone. `npx -y deno@2 task start` runs npm → sh → `deno task` → the gateway; a supervisor's SIGTERM to npm ends
// only npm and sh, and `deno task` is re-parented while it keeps waiting on the gateway, so watching the direct
// parent is not enough. The parent's parent is read from /proc through libc (FFI): Deno 2 refuses /proc/<pid>
// reads to anything short of --allow-all, and --allow-ffi is already granted for the native codecs.

interface Libc {
  open(path: Uint8Array, flags: number): number;
  read(fd: number, buf: Uint8Array, n: bigint): bigint;
  close(fd: number): number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (Deno.build.os !== "linux") return null;
  try {
    const lib = Deno.dlopen("libc.so.6", {
      open: { parameters: ["buffer", "i32"], result: "i32" },
      read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
      close: { parameters: ["i32"], result: "i32" },
    });
    libc = {
      open: (p, f) => lib.symbols.open(p, f),
      read: (fd, b, n) => BigInt(lib.symbols.read(fd, b, n)),
      close: (fd) => lib.symbols.close(fd),
    };
  } catch {
    libc = null; // no FFI permission or no glibc: watch the direct parent only
  }
  return libc;
}

/** The parent pid of `pid` from /proc/<pid>/stat, or null when it cannot be read (gone, no /proc, no FFI). */
export function parentOf(pid: number): number | null {
  const c = loadLibc();
  if (c === null) return null;
  const fd = c.open(new TextEncoder().encode(`/proc/${pid}/stat\0`), 0);
  if (fd < 0) return null;
  try {
    const buf = new Uint8Array(1024);
    const n = Number(c.read(fd, buf, BigInt(buf.length)));
    if (n <= 0) return null;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
    const text = new TextDecoder().decode(buf.subarray(0, n));
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : null;
  } finally {
    c.close(fd);
  }
}

/**
 * Calls `onGone` once when the gateway's parent exits or is re-parented (its own launcher is gone). A parent that
 * is init or a container runtime's pid 1 has nothing above it to outlive.
 */
export function watchLauncher(onGone: (why: string) => void, intervalMs = 1000): void {
  const parent = Deno.ppid;
  if (parent <= 1) return;
  const grandparent = parentOf(parent);
  const timer = setInterval(() => {
    let why: string | null = null;
    if (Deno.ppid !== parent) why = `parent process ${parent} is gone`;
    else if (grandparent !== null && grandparent > 1) {
      const now = parentOf(parent);
      if (now !== null && now !== grandparent) {
        why = `parent process ${parent} lost its own launcher ${grandparent}`;
      }
    }
    if (why === null) return;
    clearInterval(timer);
    onGone(why);
  }, intervalMs);
  Deno.unrefTimer(timer); // never what keeps the process alive
}
