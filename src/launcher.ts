// The gateway's life is its own: it stops when told to (SIGTERM or SIGINT to itself, to its process group, or
// to `deno task`, which passes both on to it), never because an ancestor exited. A provisioning script that runs
// `nohup deno task start ... &`, waits for the port and exits must leave the gateway running, as it leaves any
// Kafka broker running (`setsid`, CI steps, cloud-init, `docker exec -d` mean the same).
//
// One launcher does not pass signals on: npm. `npx -y deno@2 task start` runs npm exec → sh → deno task → the
// gateway; a supervisor's SIGTERM to npm reaches sh, which dies without passing it on, and the gateway would be
// left running under init with nobody to stop it. So when npm (npx, npm exec, npm run) is among the gateway's
// first ancestors, the gateway watches that process and stops when it is gone. Ancestors are read from /proc
// through libc (FFI): Deno 2 refuses /proc/<pid> reads to anything short of --allow-all, and --allow-ffi is
// already granted for the native codecs.

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
  const stat = procRead(pid, "stat");
  if (stat === null) return null;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
  const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  return Number.isInteger(ppid) ? ppid : null;
}

/** The first line of /proc/<pid>/<file>, or null when it cannot be read (gone, no /proc, no FFI). */
function procRead(pid: number, file: string): string | null {
  const c = loadLibc();
  if (c === null) return null;
  const fd = c.open(new TextEncoder().encode(`/proc/${pid}/${file}\0`), 0);
  if (fd < 0) return null;
  try {
    const buf = new Uint8Array(1024);
    const n = Number(c.read(fd, buf, BigInt(buf.length)));
    return n <= 0 ? null : new TextDecoder().decode(buf.subarray(0, n)).split("\n")[0];
  } finally {
    c.close(fd);
  }
}

/** npm's process title: "npm exec deno@2", "npm run start", "npm". */
const NPM_TITLE = /^npm( |$)/;

/** How many ancestors are looked at for npm: npm → sh → deno task → the gateway, and one more. */
const NPM_DEPTH = 4;

/** The pid of npm when it is among the first ancestors of `pid`, or null. */
export function npmAncestor(pid = Deno.pid): number | null {
  let p = pid === Deno.pid ? Deno.ppid : parentOf(pid) ?? 0;
  for (let depth = 0; depth < NPM_DEPTH && p > 1; depth++) {
    const comm = procRead(p, "comm");
    if (comm !== null && NPM_TITLE.test(comm)) return p;
    p = parentOf(p) ?? 0;
  }
  return null;
}

/** npm found among the gateway's first ancestors (findLauncher), to watch once the gateway serves. */
export interface Launcher {
  /** Calls `onGone` once when npm is gone: at the first check when it went away before watch() was called. */
  watch(onGone: (why: string) => void, intervalMs?: number): void;
}

/**
 * npm when it is among the gateway's first ancestors, or null: an ancestor's exit never stops the gateway then.
 * Called as the process starts, before the gateway does: npm killed while the gateway starts leaves sh and deno
 * task dead or reparented, and a search made after that would find no npm, leaving the gateway running for ever.
 */
export function findLauncher(): Launcher | null {
  const npm = npmAncestor();
  if (npm === null) return null;
  const title = procRead(npm, "comm");
  return {
    watch(onGone, intervalMs = 1000) {
      const timer = setInterval(() => {
        // Gone, or its pid already reused by another program.
        if (procRead(npm, "comm") === title) return;
        clearInterval(timer);
        onGone(`its launcher npm (pid ${npm}, "${title}") is gone, and npm passes no signal on`);
      }, intervalMs);
      Deno.unrefTimer(timer); // never what keeps the process alive
    },
  };
}
