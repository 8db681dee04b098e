// README.md and docs/*.md against the code: the Supported APIs table is what ApiVersions advertises, every
// option table (first column "flag") matches `--help` (flag, value list and default), every `deno task` named
// exists, relative links and #anchors resolve, and README stays short (details belong in docs/).
import { assert, assertEquals } from "./assert.ts";
import { helpText } from "../../src/configs/options.ts";
import { buildRegistry } from "../../src/handlers/apis.ts";

const ROOT = new URL("../../", import.meta.url);
const README_MAX_BYTES = 15 * 1024;

/** README.md and every docs/*.md, by path relative to the repository root. */
async function documents(): Promise<Map<string, string>> {
  const docs = new Map<string, string>();
  docs.set("README.md", await Deno.readTextFile(new URL("README.md", ROOT)));
  for await (const e of Deno.readDir(new URL("docs/", ROOT))) {
    if (e.isFile && e.name.endsWith(".md")) {
      docs.set(`docs/${e.name}`, await Deno.readTextFile(new URL(`docs/${e.name}`, ROOT)));
    }
  }
  return docs;
}

/** Markdown text without fenced code blocks (their lines are not tables, links or headings). */
function prose(md: string): string {
  return md.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
}

/** Cells of a table row, trimmed, `\|` unescaped. */
function cells(line: string): string[] {
  return line.trim().slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replaceAll("\\|", "|"));
}

/** Every table in `md`: header cells and body rows. */
function tables(md: string): { header: string[]; rows: string[][] }[] {
  const out: { header: string[]; rows: string[][] }[] = [];
  const lines = prose(md).split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("|") || !/^\|[\s:|-]+\|$/.test(lines[i + 1] ?? "")) continue;
    const header = cells(lines[i]);
    const rows: string[][] = [];
    for (i += 2; i < lines.length && lines[i].startsWith("|"); i++) rows.push(cells(lines[i]));
    out.push({ header, rows });
  }
  return out;
}

/** The section under `heading` (exact line) up to the next heading of any level. */
function section(md: string, heading: string): string {
  const start = md.indexOf(`\n${heading}\n`);
  assert(start >= 0, `no ${heading}`);
  const rest = md.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,6} /);
  return end < 0 ? rest : rest.slice(0, end);
}

Deno.test("docs/compatibility.md's Supported APIs table is the registry ApiVersions advertises", async () => {
  const md = await Deno.readTextFile(new URL("docs/compatibility.md", ROOT));
  const [table] = tables(section(md, "## Supported APIs"));
  assert(table !== undefined, "no table under ## Supported APIs");
  const documented = table.rows.map(([name, key, versions]) => {
    const m = /^(\d+)(?:–(\d+))?/.exec(versions);
    assert(m, `row ${name}: versions "${versions}"`);
    return `${name} ${key} ${m[1]}-${m[2] ?? m[1]}`;
  });
  const registry = buildRegistry();
  const advertised = registry.versions().map((v) =>
    `${registry.get(v.apiKey)!.spec.name} ${v.apiKey} ${v.minVersion}-${v.maxVersion}`
  );
  assertEquals(documented, advertised);
});

/** `--help`'s options: "--flag VALUES" as its first column shows it, and the default it states. */
function helpOptions(): Map<string, { usage: string; def: string }> {
  const out = new Map<string, { usage: string; def: string }>();
  const lines = helpText().split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {2}(--([a-z0-9-]+)(?: \S+)?)(?: {2,}(\S.*))?$/.exec(lines[i]);
    if (!m) continue;
    const text = m[3] ?? lines[i + 1].trim(); // a long first column puts the description on the next line
    const def = /\[default: (.*)\]$/.exec(text);
    if (def) out.set(m[2], { usage: m[1], def: def[1] });
  }
  return out;
}

Deno.test("option tables in README and docs match --help: flag, values and default", async () => {
  const help = helpOptions();
  assert(help.size > 40 && help.get("listen")?.def === "0.0.0.0:9092", "cannot read --help");
  let checked = 0;
  for (const [path, md] of await documents()) {
    for (const t of tables(md)) {
      if (t.header[0] !== "flag") continue;
      assertEquals(t.header[1], "default", `${path}: option table columns`);
      for (const [flagCell, defCell] of t.rows) {
        const usage = /^`([^`]+)`$/.exec(flagCell)?.[1];
        assert(usage !== undefined, `${path}: one option per row, in backticks: ${flagCell}`);
        const name = /^--([a-z0-9-]+)/.exec(usage)?.[1] ?? "";
        const h = help.get(name);
        assert(h !== undefined, `${path}: --${name} is not an option (see --help)`);
        assertEquals(usage, h.usage, `${path}: --${name} is written as in --help`);
        const def = /^`([^`]*)`/.exec(defCell)?.[1];
        assertEquals(def, h.def, `${path}: default of --${name} (the cell starts with --help's default)`);
        checked++;
      }
    }
  }
  assert(checked >= 20, `only ${checked} options documented in tables`);
});

Deno.test("every deno task README and docs name exists in deno.json", async () => {
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT))).tasks;
  for (const [path, md] of await documents()) {
    for (const m of md.matchAll(/deno(?:@2)? task ([a-z][a-z:-]*)/g)) {
      assert(m[1] in tasks, `${path}: \`deno task ${m[1]}\` is not a task in deno.json`);
    }
  }
});

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

function anchors(md: string): Set<string> {
  return new Set([...prose(md).matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
}

Deno.test("relative links and #anchors in README and docs resolve", async () => {
  const docs = await documents();
  for (const [path, md] of docs) {
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    for (const m of prose(md).matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1];
      if (/^[a-z]+:/.test(link)) continue; // http(s), mailto
      const [file, anchor] = link.split("#");
      const target = file === ""
        ? path
        : new URL(file, new URL(dir, ROOT)).pathname.slice(ROOT.pathname.length);
      if (file !== "") {
        const exists = await Deno.stat(new URL(target, ROOT)).then(() => true, () => false);
        assert(exists, `${path}: link to ${link}: no ${target}`);
      }
      if (anchor !== undefined) {
        const text = docs.get(target);
        assert(text !== undefined, `${path}: anchor into ${target}, not a checked document`);
        assert(anchors(text).has(anchor), `${path}: link to ${link}: no such heading in ${target}`);
      }
    }
  }
});

Deno.test("README stays short: details go to docs/", async () => {
  const size = (await Deno.stat(new URL("README.md", ROOT))).size;
  assert(
    size <= README_MAX_BYTES,
    `README.md is ${size} bytes, over ${README_MAX_BYTES}: move details to docs/`,
  );
});

Deno.test("README's API count is the registry's; its matrix row count is the compatibility matrix's", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  const apis = /\((\d+) APIs:/.exec(readme);
  assert(apis, 'README names its API count as "(N APIs: ..."');
  assertEquals(Number(apis[1]), buildRegistry().versions().length, "README's API count");
  // The matrix (scripts/compat/MATRIX.md, written by `deno task compat`) has one table row per client configuration.
  const matrix = await Deno.readTextFile(new URL("scripts/compat/MATRIX.md", ROOT));
  const [table] = tables(matrix);
  assert(table !== undefined, "no table in scripts/compat/MATRIX.md");
  const configs = /runs (\d+) client configurations/.exec(readme);
  assert(configs, 'README names the matrix as "runs N client configurations"');
  assertEquals(Number(configs[1]), table.rows.length, "README's client configuration count");
});
