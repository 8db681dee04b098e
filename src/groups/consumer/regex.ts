// KIP-848 subscription regular expressions (ConsumerGroupHeartbeat's SubscribedTopicRegex). Kafka compiles them
// with Google RE2/J and full-matches topic names; JS RegExp differs (backtracking features, \s, ., escapes, flags),
// so the source is parsed as RE2 syntax and rewritten into an equivalent JS RegExp ("u" flag, anchored). What RE2
// refuses, or what has no faithful JS form, throws KafkaError INVALID_REGULAR_EXPRESSION (error 128).
//
// Translated: literals (each as \u{...}), escaped punctuation, \a\f\t\n\r\v, octal and \x{...} escapes, \Q...\E,
// Perl classes \d\s\w (ASCII, as RE2), \pN/\p{Name} (general categories and scripts), POSIX [[:alpha:]] classes,
// `.` (not \n unless s), ^ $ \A \z (with m), (?P<name>...), (?flags) and (?flags:...) with i m s U, repetition
// counts up to 1000. Refused: backreferences, lookaround, atomic/possessive forms, \Z, \C, (?<name>...) (RE2/J
// knows only the (?P<name>) form), comments, unknown escapes and flags. Also refused, though RE2 takes them,
// because JS backtracks where RE2 is linear: a repeated group with a repetition or alternation inside
// (`(a+)+`, `(a|b)*`) and more than MAX_MULTI_REPEATS repetitions (a client could otherwise stall the
// coordinator for seconds per topic name).
import type { TopicRegex } from "./contract.ts";
import { ErrorCode, KafkaError } from "../../protocol/errors.ts";

/** RE2's limit on a repetition count ({n,m}). */
const MAX_REPEAT = 1000;
const MAX_CP = 0x10ffff;
/**
 * JS backtracks where RE2 is linear: k overlapping repetitions cost up to n^k steps on an n-character name
 * (`.*a.*a.*a.*a.*x`: ~40 s on a 249-character topic name). 3 keeps the worst case near 15 ms a name.
 */
const MAX_MULTI_REPEATS = 3;

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  /** Ungreedy: `*` is lazy and `*?` greedy. */
  readonly U: boolean;
}

const NO_FLAGS: Flags = { i: false, m: false, s: false, U: false };

type Range = readonly [number, number];

/**
 * Compiles a SubscribedTopicRegex. Throws KafkaError(INVALID_REGULAR_EXPRESSION) with the reason when RE2 would
 * refuse it or it cannot be evaluated the same way here.
 */
export function compileTopicRegex(source: string): TopicRegex {
  const body = new Translator(source).translate();
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${body})$`, "u");
  } catch (e) {
    // A translation JS still refuses (e.g. an unknown Unicode property name).
    throw invalid(source, e instanceof Error ? e.message : String(e));
  }
  return { source, matches: (topic: string) => re.test(topic) };
}

/** The JS source compileTopicRegex evaluates (tests, diagnostics). */
export function translateTopicRegex(source: string): string {
  return new Translator(source).translate();
}

function invalid(source: string, why: string): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_REGULAR_EXPRESSION,
    `SubscribedTopicRegex \`${source}\` is not a valid regular expression: ${why}.`,
  );
}

/** A code point as a JS (u mode) escape: safe anywhere, in or out of a class. */
function cp(c: number): string {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) {
    return String.fromCodePoint(c);
  }
  return `\\u{${c.toString(16)}}`;
}

function rangesBody(rs: readonly Range[]): string {
  return rs.map(([lo, hi]) => lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`).join("");
}

/** Code points not in `rs` (sorted, possibly overlapping ranges). */
function complement(rs: readonly Range[]): Range[] {
  const sorted = [...rs].sort((a, b) => a[0] - b[0]);
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

const c = (s: string) => s.codePointAt(0)!;
const r = (a: string, b: string = a): Range => [c(a), c(b)];

// RE2's Perl classes are ASCII only (\s has no \v).
const PERL: Readonly<Record<string, readonly Range[]>> = {
  d: [r("0", "9")],
  s: [r("\t", "\n"), r("\f", "\r"), r(" ")],
  w: [r("0", "9"), r("A", "Z"), r("_"), r("a", "z")],
};

const POSIX: Readonly<Record<string, readonly Range[]>> = {
  alnum: [r("0", "9"), r("A", "Z"), r("a", "z")],
  alpha: [r("A", "Z"), r("a", "z")],
  ascii: [[0, 0x7f]],
  blank: [r("\t"), r(" ")],
  cntrl: [[0, 0x1f], [0x7f, 0x7f]],
  digit: [r("0", "9")],
  graph: [r("!", "~")],
  lower: [r("a", "z")],
  print: [r(" ", "~")],
  punct: [r("!", "/"), r(":", "@"), r("[", "`"), r("{", "~")],
  space: [r("\t", "\r"), r(" ")],
  upper: [r("A", "Z")],
  word: [r("0", "9"), r("A", "Z"), r("a", "z"), r("_")],
  xdigit: [r("0", "9"), r("A", "F"), r("a", "f")],
};

// Unicode general categories RE2 knows (one letter or two); other names are scripts.
const CATEGORIES = new Set([
  "C",
  "Cc",
  "Cf",
  "Co",
  "Cs",
  "L",
  "Ll",
  "Lm",
  "Lo",
  "Lt",
  "Lu",
  "M",
  "Mc",
  "Me",
  "Mn",
  "N",
  "Nd",
  "Nl",
  "No",
  "P",
  "Pc",
  "Pd",
  "Pe",
  "Pf",
  "Pi",
  "Po",
  "Ps",
  "S",
  "Sc",
  "Sk",
  "Sm",
  "So",
  "Z",
  "Zl",
  "Zp",
  "Zs",
]);

/** One class item: ranges, or a JS property escape (kept as is inside a class). */
type ClassItem = { ranges: Range[] } | { js: string };

class Translator {
  private pos = 0;
  private readonly names = new Set<string>();
  /** Whether the group body just parsed has a repetition or an alternation (see `nestedRepetition`). */
  private bodyVaries = false;
  /** Repetitions that may repeat more than once (see MAX_MULTI_REPEATS). */
  private multiRepeats = 0;

  constructor(private readonly src: string) {}

  translate(): string {
    const out = this.alternation(NO_FLAGS, 0);
    if (this.pos < this.src.length) throw this.fail("unexpected )");
    return out;
  }

  private fail(why: string): KafkaError {
    return invalid(this.src, why);
  }

  private peek(off = 0): string | undefined {
    const ch = this.src.codePointAt(this.pos + off);
    return ch === undefined ? undefined : String.fromCodePoint(ch);
  }

  private take(): string {
    const ch = this.peek();
    if (ch === undefined) throw this.fail("unexpected end of expression");
    this.pos += ch.length;
    return ch;
  }

  /** Alternatives up to an unmatched `)` or the end; `flags` may change along the way ((?i) in the group). */
  private alternation(flags: Flags, depth: number): string {
    let out = "";
    let open = 0; // `(?i:` wrappers opened by mid-group flag changes, closed at the group's end
    let f = flags;
    let canRepeat = false; // whether the last item takes a quantifier
    let lastWasRepeat = false;
    let lastVaries = false; // the last item is a group with a repetition or alternation inside
    let varies = false;
    while (this.pos < this.src.length) {
      const ch = this.peek()!;
      if (ch === ")") {
        if (depth === 0) throw this.fail("unexpected )");
        break;
      }
      if (ch === "|") {
        this.pos++;
        // Flags set in one alternative apply to the following ones too (RE2 scopes them to the group).
        out += ")".repeat(open) + "|";
        open = 0;
        if (f.i !== flags.i) {
          out += `(?${f.i ? "i" : "-i"}:`;
          open = 1;
        }
        canRepeat = false;
        lastWasRepeat = false;
        varies = true;
        continue;
      }
      const rep = this.repetition(f);
      if (rep !== null) {
        if (lastWasRepeat) throw this.fail(`invalid nested repetition operator: ${rep.text}`);
        if (!canRepeat) throw this.fail(`missing argument to repetition operator: ${rep.text}`);
        if (rep.multi && lastVaries) throw this.fail(nestedRepetition(rep.text));
        if (rep.multi && ++this.multiRepeats > MAX_MULTI_REPEATS) {
          throw this.fail(
            `more than ${MAX_MULTI_REPEATS} repetitions (*, +, {n,m}) are not supported here ` +
              "(matching time grows as the name length to their number in this gateway's regex engine)",
          );
        }
        out += rep.js;
        lastWasRepeat = true;
        varies = true;
        continue;
      }
      lastWasRepeat = false;
      if (ch === "(" && this.peek(1) === "?" && this.isFlagGroup()) {
        // (?flags) alone: applies to the rest of this group.
        const nf = this.flagGroup(f);
        if (nf.i !== f.i) {
          out += `(?${nf.i ? "i" : "-i"}:`;
          open++;
        }
        f = nf;
        canRepeat = false;
        continue;
      }
      const item = this.atom(f, depth);
      out += item.js;
      canRepeat = item.repeatable;
      lastVaries = item.varies === true;
      varies ||= lastVaries;
    }
    this.bodyVaries = varies;
    return out + ")".repeat(open);
  }

  /** Whether `(?` starts a flag setting with no group body: `(?i)` or `(?-s)`. */
  private isFlagGroup(): boolean {
    let j = this.pos + 2;
    while (j < this.src.length && /[imsU-]/.test(this.src[j])) j++;
    return this.src[j] === ")";
  }

  private flagGroup(f: Flags): Flags {
    this.pos += 2;
    const end = this.src.indexOf(")", this.pos);
    const text = this.src.slice(this.pos, end);
    this.pos = end + 1;
    return parseFlags(text, f, () => this.fail(`invalid or unsupported Perl syntax: (?${text})`));
  }

  private repetition(f: Flags): { js: string; text: string; multi: boolean } | null {
    const start = this.pos;
    const ch = this.peek();
    let q: string;
    let multi = true; // may repeat more than once
    if (ch === "*" || ch === "+" || ch === "?") {
      this.pos++;
      q = ch;
      multi = ch !== "?";
    } else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
      if (m === null) return null; // a literal `{` in RE2
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
      if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) {
        throw this.fail(`invalid repeat count: ${m[0]}`);
      }
      this.pos += m[0].length;
      q = m[0];
      multi = max === -1 || max > 1;
    } else return null;
    let lazy = false;
    if (this.peek() === "?") {
      this.pos++;
      lazy = true;
    }
    if (this.peek() === "+") throw this.fail("possessive repetition is not supported");
    // (?U) swaps greedy and lazy.
    return { js: q + (lazy !== f.U ? "?" : ""), text: this.src.slice(start, this.pos), multi };
  }

  private atom(f: Flags, depth: number): { js: string; repeatable: boolean; varies?: boolean } {
    const ch = this.take();
    switch (ch) {
      case "(": {
        const js = this.group(f, depth);
        return { js, repeatable: true, varies: this.bodyVaries };
      }
      case "[":
        return { js: this.charClass(), repeatable: true };
      case ".":
        return { js: f.s ? "[\\s\\S]" : "[^\\n]", repeatable: true };
      // Empty-width assertions are wrapped so that a quantifier after them stays valid JS (RE2 allows `^*`).
      case "^":
        return { js: f.m ? "(?:(?<![^\\n]))" : "(?:(?<![\\s\\S]))", repeatable: true };
      case "$":
        return { js: f.m ? "(?:(?![^\\n]))" : "(?:(?![\\s\\S]))", repeatable: true };
      case "\\":
        return this.escape();
      default:
        return { js: cp(c(ch)), repeatable: true };
    }
  }

  private group(f: Flags, depth: number): string {
    let prefix = "(";
    let inner = f;
    if (this.peek() === "?") {
      const rest = this.src.slice(this.pos + 1);
      const named = /^P<([^>]*)>/.exec(rest);
      if (named !== null) {
        const name = named[1];
        if (!/^[A-Za-z0-9_]+$/.test(name)) throw this.fail(`invalid named capture: (?P<${name}>`);
        if (this.names.has(name)) throw this.fail(`duplicate capture group name: ${name}`);
        // JS group names cannot start with a digit; the name is never used, so it is dropped.
        this.names.add(name);
        this.pos += 1 + named[0].length;
      } else if (
        rest.startsWith("=") || rest.startsWith("!") || rest.startsWith("<=") || rest.startsWith("<!")
      ) {
        throw this.fail("lookahead and lookbehind are not supported");
      } else if (rest.startsWith("<")) {
        throw this.fail("named captures are written (?P<name>...)");
      } else if (rest.startsWith(">")) {
        throw this.fail("atomic groups are not supported");
      } else if (rest.startsWith("#")) {
        throw this.fail("comments are not supported");
      } else {
        const m = /^([imsU-]*):/.exec(rest);
        if (m === null) throw this.fail(`invalid or unsupported Perl syntax: (?${rest.slice(0, 2)}`);
        inner = parseFlags(m[1], f, () => this.fail(`invalid or unsupported Perl syntax: (?${m[1]}:`));
        this.pos += 1 + m[0].length;
        prefix = inner.i !== f.i ? `(?${inner.i ? "i" : "-i"}:` : "(?:";
      }
    }
    const body = this.alternation(inner, depth + 1);
    if (this.peek() !== ")") throw this.fail("missing closing )");
    this.pos++;
    return prefix + body + ")"; // this.bodyVaries still describes `body`
  }

  private escape(): { js: string; repeatable: boolean } {
    const ch = this.peek();
    if (ch === undefined) throw this.fail("trailing backslash at end of expression");
    switch (ch) {
      case "A":
        this.pos++;
        return { js: "(?:(?<![\\s\\S]))", repeatable: true };
      case "z":
        this.pos++;
        return { js: "(?:(?![\\s\\S]))", repeatable: true };
      case "b":
        this.pos++;
        return {
          js: "(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))",
          repeatable: true,
        };
      case "B":
        this.pos++;
        return {
          js: "(?:(?<=[0-9A-Za-z_])(?=[0-9A-Za-z_])|(?<![0-9A-Za-z_])(?![0-9A-Za-z_]))",
          repeatable: true,
        };
      case "Z":
        throw this.fail("\\Z is not supported (use \\z)");
      case "Q": {
        this.pos++;
        const end = this.src.indexOf("\\E", this.pos);
        const text = this.src.slice(this.pos, end < 0 ? undefined : end);
        this.pos = end < 0 ? this.src.length : end + 2;
        if (text === "") return { js: "(?:)", repeatable: false };
        // Like RE2, a quantifier after \Q...\E applies to its last character only.
        return { js: [...text].map((x) => cp(c(x))).join(""), repeatable: true };
      }
    }
    const item = this.classEscape();
    if ("ranges" in item) {
      const rs = item.ranges;
      return {
        js: rs.length === 1 && rs[0][0] === rs[0][1] ? cp(rs[0][0]) : `[${rangesBody(rs)}]`,
        repeatable: true,
      };
    }
    return { js: item.js, repeatable: true };
  }

  /** An escape valid both in and out of a class, after its backslash. */
  private classEscape(): ClassItem {
    const ch = this.take();
    const single = (x: number): ClassItem => ({ ranges: [[x, x]] });
    switch (ch) {
      case "a":
        return single(7);
      case "f":
        return single(12);
      case "t":
        return single(9);
      case "n":
        return single(10);
      case "r":
        return single(13);
      case "v":
        return single(11);
      case "d":
      case "s":
      case "w":
        return { ranges: [...PERL[ch]] };
      case "D":
      case "S":
      case "W":
        return { ranges: complement(PERL[ch.toLowerCase()]) };
      case "p":
      case "P":
        return this.unicodeClass(ch === "P");
      case "x": {
        let m = /^\{([0-9A-Fa-f]+)\}/.exec(this.src.slice(this.pos));
        if (m === null) m = /^([0-9A-Fa-f]{2})/.exec(this.src.slice(this.pos));
        if (m === null) throw this.fail("invalid escape sequence: \\x");
        const v = parseInt(m[1], 16);
        if (v > MAX_CP) throw this.fail(`invalid escape sequence: \\x${m[0]}`);
        this.pos += m[0].length;
        return single(v);
      }
    }
    if (/[0-7]/.test(ch)) {
      // RE2: \0 and \1-\7 followed by an octal digit are octal (up to three digits); \1..\9 alone would be a
      // backreference, which RE2 has not.
      const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
      if (ch !== "0" && m === "") throw this.fail(`backreferences are not supported: \\${ch}`);
      this.pos += m.length;
      return single(parseInt(ch + m, 8));
    }
    if (/[89]/.test(ch)) throw this.fail(`backreferences are not supported: \\${ch}`);
    const code = c(ch);
    // Any ASCII punctuation may be escaped in RE2 (JS u mode allows only some: each becomes a literal).
    if (code < 0x80 && !/[0-9A-Za-z_]/.test(ch)) return single(code);
    throw this.fail(`invalid escape sequence: \\${ch}`);
  }

  private unicodeClass(negated: boolean): ClassItem {
    let name: string;
    if (this.peek() === "{") {
      const end = this.src.indexOf("}", this.pos);
      if (end < 0) throw this.fail("invalid character class range: \\p{");
      name = this.src.slice(this.pos + 1, end);
      this.pos = end + 1;
    } else {
      name = this.take();
    }
    if (name.startsWith("^")) {
      negated = !negated;
      name = name.slice(1);
    }
    if (name === "Any") return { ranges: negated ? [] : [[0, MAX_CP]] };
    if (!/^[A-Za-z_]+$/.test(name)) throw this.fail(`invalid character class range: \\p{${name}}`);
    const prop = CATEGORIES.has(name) ? name : `Script=${name}`;
    const js = `\\${negated ? "P" : "p"}{${prop}}`;
    try {
      new RegExp(js, "u");
    } catch {
      throw this.fail(`invalid character class range: \\p{${name}}`);
    }
    return { js };
  }

  /** After `[`: a bracket expression, as a JS class. */
  private charClass(): string {
    let negated = false;
    if (this.peek() === "^") {
      negated = true;
      this.pos++;
    }
    const items: ClassItem[] = [];
    let first = true;
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw this.fail("missing closing ]");
      if (ch === "]" && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (ch === "[" && this.peek(1) === ":") {
        const m = /^\[:(\^?)([a-z]+):\]/.exec(this.src.slice(this.pos));
        if (m !== null) {
          const rs = POSIX[m[2]];
          if (rs === undefined) throw this.fail(`invalid character class range: ${m[0]}`);
          items.push({ ranges: m[1] === "^" ? complement(rs) : [...rs] });
          this.pos += m[0].length;
          continue;
        }
      }
      const lo = this.classAtom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.pos++;
        const hi = this.classAtom();
        const a = single(lo), b = single(hi);
        if (a === null || b === null) throw this.fail("invalid character class range");
        if (b < a) {
          throw this.fail(
            `invalid character class range: ${String.fromCodePoint(a)}-${String.fromCodePoint(b)}`,
          );
        }
        items.push({ ranges: [[a, b]] });
        continue;
      }
      items.push(lo);
    }
    const ranges: Range[] = [];
    let js = "";
    for (const it of items) {
      if ("ranges" in it) ranges.push(...it.ranges);
      else js += it.js;
    }
    const body = rangesBody(ranges) + js;
    if (body === "") return negated ? "[\\s\\S]" : "[]";
    return `[${negated ? "^" : ""}${body}]`;
  }

  private classAtom(): ClassItem {
    const ch = this.take();
    if (ch === "\\") {
      if (
        this.peek() === "Q" || this.peek() === "b" || this.peek() === "B" || this.peek() === "A" ||
        this.peek() === "z"
      ) {
        throw this.fail(`invalid escape sequence in a character class: \\${this.peek()}`);
      }
      return this.classEscape();
    }
    return { ranges: [[c(ch), c(ch)]] };
  }
}

/** The single code point of a class item, or null when it is a class (\d, \pL) and cannot bound a range. */
function single(it: ClassItem): number | null {
  if ("ranges" in it && it.ranges.length === 1 && it.ranges[0][0] === it.ranges[0][1]) return it.ranges[0][0];
  return null;
}

/**
 * RE2 matches in linear time; JS backtracks, and a repeated group that itself repeats or alternates (`(a+)+`,
 * `(a|ab)*`) can take exponential time on a 249-character topic name, stalling the coordinator. Refused.
 */
function nestedRepetition(op: string): string {
  return `a repeated group containing a repetition or alternation (${op}) is not supported here ` +
    "(it can backtrack exponentially in this gateway's regex engine)";
}

function parseFlags(text: string, f: Flags, fail: () => KafkaError): Flags {
  const out = { ...f };
  let neg = false;
  let sawFlag = false;
  for (const ch of text) {
    if (ch === "-") {
      if (neg) throw fail();
      neg = true;
      sawFlag = false;
      continue;
    }
    if (ch !== "i" && ch !== "m" && ch !== "s" && ch !== "U") throw fail();
    out[ch] = !neg;
    sawFlag = true;
  }
  // `(?-)` and `(?i-)` name no flag after the minus.
  if (neg && !sawFlag) throw fail();
  return out;
}
