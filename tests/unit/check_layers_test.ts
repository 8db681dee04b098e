// The layer check (scripts/check_layers.ts): what it reads as an import, the table it reads from
// docs/architecture.md, and that it reports an upward import, a cycle through two folders and a file in no layer
// in a small project written here; the project's own tree passes.
import { assert, assertEquals } from "./assert.ts";
import { checkLayers, importsOf, parseLayers } from "../../scripts/check_layers.ts";

Deno.test("importsOf: static, type-only, multi-line, re-exports, side-effect and dynamic imports; not comments' paths", () => {
  const src = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    "import {",
    "  c,",
    "  d,",
    '} from "./cd.ts";',
    'export { e } from "./e.ts";',
    'export type { F } from "./f.ts";',
    'import "./side.ts";',
    'const g = await import("./g.ts");',
    'import tls from "node:tls";',
    '// see "./not_an_import.ts"',
  ].join("\n");
  assertEquals(importsOf(src).sort(), [
    "../b.ts",
    "./a.ts",
    "./cd.ts",
    "./e.ts",
    "./f.ts",
    "./g.ts",
    "./side.ts",
  ]);
});

const DOC = `# Architecture

## Layers

| rank | layer | what | paths |
| ---- | ----- | ---- | ----- |
| 0    | base  | low  | \`src/base.ts\` \`src/low/\` |
| 1    | mid   | mid  | \`src/mid/\` \`src/low/lifted.ts\` |
| 2    | top   | top  | \`src/top.ts\` |

## Next section

| 9 | not | a layer | \`src/\` |
`;

Deno.test("parseLayers: the rows of the Layers section only", () => {
  const layers = parseLayers(DOC);
  assertEquals(layers.map((l) => [l.rank, l.name, l.paths]), [
    [0, "base", ["src/base.ts", "src/low/"]],
    [1, "mid", ["src/mid/", "src/low/lifted.ts"]],
    [2, "top", ["src/top.ts"]],
  ]);
});

async function project(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "kgw-layers-" });
  for (const [path, text] of Object.entries({ "docs/architecture.md": DOC, ...files })) {
    await Deno.mkdir(`${root}/${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return root;
}

Deno.test("checkLayers: a clean project passes; the longest matching path decides a file's layer", async () => {
  const root = await project({
    "src/base.ts": "export const x = 1;\n",
    "src/low/a.ts": 'import { x } from "../base.ts";\nexport const a = x;\n',
    // lifted into layer 1 by its own row, so it may import layer 1
    "src/low/lifted.ts": 'import { m } from "../mid/m.ts";\nexport const l = m;\n',
    "src/mid/m.ts": 'import { a } from "../low/a.ts";\nexport const m = a;\n',
    // two files of one folder may import each other
    "src/mid/p.ts": 'import { q } from "./q.ts";\nexport const p = () => q;\n',
    "src/mid/q.ts": 'import { p } from "./p.ts";\nexport const q = () => p;\n',
    "src/top.ts": 'import { l } from "./low/lifted.ts";\nexport const t = l;\n',
  });
  try {
    const r = checkLayers(root);
    assertEquals(r.problems, []);
    assertEquals(r.files, 7);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("checkLayers: reports an upward import (type-only too), a cycle through two folders and a file in no layer", async () => {
  const root = await project({
    "src/base.ts": 'import type { T } from "./top.ts";\nexport type U = T;\n',
    "src/low/a.ts": 'import { c } from "../low2/c.ts";\nexport const a = c;\n',
    "src/low2/c.ts": 'import { a } from "../low/a.ts";\nexport const c = () => a;\n',
    "src/top.ts": "export type T = number;\n",
  });
  try {
    const r = checkLayers(root);
    assertEquals(r.problems.length, 3, r.problems.join("\n"));
    assert(
      r.problems.includes("src/base.ts (0 base) imports src/top.ts (2 top): upward"),
      r.problems.join("\n"),
    );
    assert(r.problems.some((p) => p.startsWith("src/low2/c.ts: in no layer")), r.problems.join("\n"));
    const cycle = r.problems.find((p) => p.startsWith("an import cycle through 2 folders"));
    assert(cycle?.includes("src/low/a.ts -> src/low2/c.ts"), r.problems.join("\n"));
    assert(cycle?.includes("src/low2/c.ts -> src/low/a.ts"), r.problems.join("\n"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("checkLayers: this project's src/ keeps its layers (docs/architecture.md#layers)", () => {
  const r = checkLayers();
  assertEquals(r.problems, []);
  assert(r.files > 250, `${r.files} files`);
});
