// Kafka's ssl.principal.mapping.rules (SslPrincipalMapper, KIP-371): a comma list of `RULE:pattern/replacement/`
// with an optional L or U (lower/upper-case the result) and `DEFAULT` (the DN as is). The first rule whose pattern
// matches the whole DN decides; when none does the connection fails authentication, as in Kafka.
// Patterns are Java regular expressions; the common subset (groups, classes, quantifiers, anchors, named groups)
// means the same in JavaScript. Replacements use Java's syntax ($1, ${name}, \ escapes).

export type PrincipalRule =
  | { readonly kind: "default" }
  | {
    readonly kind: "rule";
    readonly source: string;
    readonly pattern: RegExp;
    /** The pattern anchored at both ends (Java's Matcher.matches()). */
    readonly whole: RegExp;
    /** The replacement translated to JavaScript's syntax. */
    readonly replacement: string;
    readonly caseChange: "" | "L" | "U";
  };

export class PrincipalRuleError extends Error {
  override name = "PrincipalRuleError";
}

// Kafka's RULE_PATTERN, one rule at a time, each followed by a comma or the end.
const RULE = /^\s*(?:(DEFAULT)|RULE:((?:\\.|[^\\/])*)\/((?:\\.|[^\\/])*)\/([LU]?)|([^,]*?))\s*(?:,\s*|$)/;

/** Java's replacement syntax ($1, ${name}, \x for a literal x) in JavaScript's ($1, $<name>, $$). */
function javaReplacement(r: string): string {
  let out = "";
  for (let i = 0; i < r.length; i++) {
    const c = r[i];
    if (c === "\\" && i + 1 < r.length) {
      const next = r[++i];
      out += next === "$" ? "$$" : next;
    } else if (c === "$" && r[i + 1] === "{") {
      const close = r.indexOf("}", i);
      if (close < 0) throw new PrincipalRuleError(`unterminated group name in replacement "${r}"`);
      out += `$<${r.slice(i + 2, close)}>`;
      i = close;
    } else out += c;
  }
  return out;
}

/** Parses the rules; throws PrincipalRuleError naming the rule that is not one. */
export function parsePrincipalRules(text: string): PrincipalRule[] {
  const rules: PrincipalRule[] = [];
  let rest = text.trim();
  if (rest === "") return [{ kind: "default" }];
  while (rest !== "") {
    const m = RULE.exec(rest);
    if (m === null || m[0] === "") throw new PrincipalRuleError(`invalid rule: ${rest}`);
    if (m[5] !== undefined) {
      throw new PrincipalRuleError(`invalid rule: ${m[5] === "" ? rest : m[5]}`);
    }
    if (m[1] !== undefined) rules.push({ kind: "default" });
    else {
      let pattern: RegExp;
      let whole: RegExp;
      try {
        pattern = new RegExp(m[2], "g");
        whole = new RegExp(`^(?:${m[2]})$`);
      } catch (e) {
        throw new PrincipalRuleError(`invalid rule pattern "${m[2]}": ${(e as Error).message}`);
      }
      rules.push({
        kind: "rule",
        source: m[0].trim().replace(/,$/, ""),
        pattern,
        whole,
        replacement: javaReplacement(m[3]),
        caseChange: m[4] as "" | "L" | "U",
      });
    }
    rest = rest.slice(m[0].length);
  }
  return rules;
}

/** The principal name for a DN, or null when no rule matches (authentication fails). */
export function applyPrincipalRules(rules: readonly PrincipalRule[], dn: string): string | null {
  for (const r of rules) {
    if (r.kind === "default") return dn;
    if (!r.whole.test(dn)) continue;
    r.pattern.lastIndex = 0;
    // Java's replaceAll on the DN (as Kafka does; a pattern that also matches the empty end repeats the replacement)
    let out = dn.replace(r.pattern, r.replacement);
    if (r.caseChange === "L") out = out.toLowerCase();
    else if (r.caseChange === "U") out = out.toUpperCase();
    return out;
  }
  return null;
}
