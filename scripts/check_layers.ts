// The layer check (`deno task check`): every file under src/ belongs to one layer, given by the table in
// docs/architecture.md#layers (the longest path in the table that a file's path starts with decides), and may import
// only files of its own layer or of a lower one, type-only imports included (a type is a contract too). Files of one
// folder may import each other in a cycle; an import cycle through files of two folders or more is reported, with one
// way round it.
// A file no row covers is reported too, so that a new folder gets its row.
//
//   deno run --allow-read scripts/check_layers.ts [--graph]     (--graph: print the folder-level import graph)

const PROJECT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DOC = "docs/architecture.md";

interface Layer {
  readonly rank: number;
  readonly name: string;
  readonly paths: readonly string[];
}

/** The rows of the table under "## Layers": `| rank | name | what | `path` `path` … |`. */
export function parseLayers(markdown: string): Layer[] {
  const at = markdown.indexOf("\n## Layers");
  if (at < 0) throw new Error(`${DOC}: no "## Layers" section`);
  const section = markdown.slice(at + 1).split(/\n## /)[0];
  const layers: Layer[] = [];
  for (const line of section.split("\n")) {
    const m = /^\|\s*(\d+)\s*\|\s*([^|]+?)\s*\|[^|]*\|([^|]*)\|\s*$/.exec(line);
    if (!m) continue;
    const paths = [...m[3].matchAll(/`([^`]+)`/g)].map((p) => p[1]);
    layers.push({ rank: Number(m[1]), name: m[2], paths });
  }
  if (layers.length === 0) throw new Error(`${DOC}: the Layers table has no rows`);
  return layers;
}

/** The relative imports of a TypeScript source (static, re-exports, side-effect and dynamic imports). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\sfrom\s*"(\.[^"]+)"/gms,
    /^\s*import\s*"(\.[^"]+)"/gm,
    /\bimport\(\s*"(\.[^"]+)"\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) out.push(m[1]);
  return out;
}

function normalize(path: string): string {
  const parts: string[] = [];
  for (const p of path.split("/")) {
    if (p === "..") parts.pop();
    else if (p !== "." && p !== "") parts.push(p);
  }
  return parts.join("/");
}

function walk(root: string, dir: string, out: string[]): void {
  for (const e of Deno.readDirSync(`${root}/${dir}`)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) walk(root, path, out);
    else if (e.name.endsWith(".ts")) out.push(path);
  }
}

/** The folder of a file for the cycle rule; a file directly in src/ (options.ts, log.ts) counts as its own folder. */
function folderOf(file: string): string {
  const dir = file.slice(0, file.lastIndexOf("/"));
  return dir === "src" || !dir.includes("/") ? file : dir;
}

/** Cycles in a graph: each strongly connected set of more than one node (Tarjan). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      for (;;) {
        const w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
        if (w === v) break;
      }
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** One shortest way round a strongly connected set of files, as the imports that make it (breadth first). */
function wayRound(cycle: string[], edges: Map<string, Set<string>>): string {
  const inCycle = new Set(cycle);
  const start = cycle[0];
  const prev = new Map<string, string>();
  const queue = [start];
  let end: string | undefined;
  while (queue.length > 0 && end === undefined) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!inCycle.has(w)) continue;
      if (w === start) {
        end = v;
        break;
      }
      if (!prev.has(w)) {
        prev.set(w, v);
        queue.push(w);
      }
    }
  }
  const path = [start];
  for (let v = end!; v !== start; v = prev.get(v)!) path.splice(1, 0, v);
  path.push(start);
  return path.slice(1).map((b, i) => `    ${path[i]} -> ${b}`).join("\n");
}

export interface LayerReport {
  readonly files: number;
  readonly problems: string[];
  readonly folderEdges: Map<string, Set<string>>;
}

/** Checks the project at `root` (its docs/architecture.md, main.ts and src/). */
export function checkLayers(root = PROJECT): LayerReport {
  const layers = parseLayers(Deno.readTextFileSync(`${root}/${DOC}`));
  const rows = layers.flatMap((l) => l.paths.map((p) => ({ path: p, layer: l })))
    .sort((a, b) => b.path.length - a.path.length);
  const layerOf = (file: string): Layer | undefined =>
    rows.find((r) => r.path.endsWith("/") ? file.startsWith(r.path) : file === r.path)?.layer;
  const files: string[] = [];
  try {
    Deno.statSync(`${root}/main.ts`);
    files.push("main.ts");
  } catch { /* none */ }
  walk(root, "src", files);
  const problems: string[] = [];
  const folderEdges = new Map<string, Set<string>>();
  const fileEdges = new Map<string, Set<string>>();
  for (const file of files) {
    const from = layerOf(file);
    if (!from) {
      problems.push(`${file}: in no layer (add its folder to the table in docs/architecture.md#layers)`);
    }
    for (const spec of importsOf(Deno.readTextFileSync(`${root}/${file}`))) {
      const target = normalize(`${file.slice(0, file.lastIndexOf("/") + 1)}${spec}`);
      if (!target.startsWith("src/")) continue;
      const to = layerOf(target);
      if (from && to && to.rank > from.rank) {
        problems.push(
          `${file} (${from.rank} ${from.name}) imports ${target} (${to.rank} ${to.name}): upward`,
        );
      }
      let out = fileEdges.get(file);
      if (!out) fileEdges.set(file, out = new Set());
      out.add(target);
      const a = folderOf(file), b = folderOf(target);
      if (a !== b) {
        let set = folderEdges.get(a);
        if (!set) folderEdges.set(a, set = new Set());
        set.add(b);
      }
    }
  }
  for (const cycle of cycles(fileEdges)) {
    const folders = new Set(cycle.map(folderOf));
    if (folders.size < 2) continue;
    problems.push(`an import cycle through ${folders.size} folders:\n${wayRound(cycle, fileEdges)}`);
  }
  return { files: files.length, problems, folderEdges };
}

if (import.meta.main) {
  const report = checkLayers();
  if (Deno.args.includes("--graph")) {
    for (const [a, bs] of [...report.folderEdges].sort()) console.log(`${a} -> ${[...bs].sort().join(" ")}`);
  }
  if (report.problems.length > 0) {
    console.error(`layer check: ${report.problems.length} problem(s) in ${report.files} files`);
    for (const p of report.problems) console.error(`  ${p}`);
    Deno.exit(1);
  }
  console.log(
    `layer check: ${report.files} files, every import within its layer or below (docs/architecture.md)`,
  );
}
