// KIP-848 subscription regexes: RE2 syntax evaluated as Kafka's RE2/J full match, or refused with error 128.
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { compileTopicRegex } from "../../src/groups/consumer/regex.ts";
import { ErrorCode, KafkaError } from "../../src/protocol/errors.ts";

function matching(source: string, names: string[]): string[] {
  const re = compileTopicRegex(source);
  return names.filter((n) => re.matches(n));
}

function refused(source: string, reason: RegExp): void {
  const e = assertThrows(() => compileTopicRegex(source), KafkaError) as KafkaError;
  assertEquals(e.code, ErrorCode.INVALID_REGULAR_EXPRESSION, source);
  assert(e.message.includes(`\`${source}\``), e.message);
  assert(reason.test(e.message), `${source}: ${e.message}`);
}

Deno.test("error 128 is INVALID_REGULAR_EXPRESSION", () => {
  assertEquals(ErrorCode.INVALID_REGULAR_EXPRESSION, 128);
});

Deno.test("the whole topic name must match (RE2/J matches())", () => {
  const names = ["topic-1", "topic-22", "my-topic-1", "topic-1x", "topic"];
  assertEquals(matching("topic-.*", names), ["topic-1", "topic-22", "topic-1x"]);
  assertEquals(matching("^topic-\\d+$", names), ["topic-1", "topic-22"]);
  assertEquals(matching("topic-1|topic", names), ["topic-1", "topic"]);
  assertEquals(matching("a|b", ["a", "b", "ab"]), ["a", "b"]);
  const re = compileTopicRegex("t.*");
  assertEquals(re.source, "t.*");
});

Deno.test("Perl classes are ASCII as in RE2 (\\s has no \\v, \\d no other digits)", () => {
  assertEquals(matching("\\d+", ["123", "١٢٣", "12a"]), ["123"]);
  assertEquals(matching("\\w+", ["a_Z9", "é", "a-b"]), ["a_Z9"]);
  assertEquals(matching("a\\sb", ["a b", "a\tb", "a\vb", "a\u00a0b"]), ["a b", "a\tb"]);
  assertEquals(matching("a\\Sb", ["a b", "a\u00a0b", "axb"]), ["a\u00a0b", "axb"]);
  assertEquals(matching("[\\D]+", ["ab", "a1"]), ["ab"]);
  assertEquals(matching("[^\\W_]+", ["ab", "a_b"]), ["ab"]);
});

Deno.test("dot excludes only \\n unless s", () => {
  assertEquals(matching("a.b", ["a\rb", "a\u2028b", "a\nb"]), ["a\rb", "a\u2028b"]);
  assertEquals(matching("(?s)a.b", ["a\nb"]), ["a\nb"]);
  assertEquals(matching("(?s:a.)b|c.", ["a\nb", "c\n"]), ["a\nb"]);
});

Deno.test("flags: i at the start, mid-group, scoped, negated; U swaps greediness", () => {
  assertEquals(matching("(?i)orders-.*", ["ORDERS-x", "Orders-", "bills"]), ["ORDERS-x", "Orders-"]);
  assertEquals(matching("a(?i)b", ["aB", "AB"]), ["aB"]);
  assertEquals(matching("(?i:a)b", ["Ab", "AB"]), ["Ab"]);
  assertEquals(matching("(?i)a(?-i:b)c", ["AbC", "ABC"]), ["AbC"]);
  assertEquals(matching("(a(?i)b|c)d", ["aBd", "Cd", "cd", "aBD"]), ["aBd", "Cd", "cd"]);
  // Ungreedy does not change what a full match accepts, but the translation must stay valid.
  assertEquals(matching("(?U)a+b*?", ["aab", "a"]), ["aab", "a"]);
  assertEquals(matching("(?m)^a$", ["a"]), ["a"]);
});

Deno.test("RE2 forms JS lacks are translated", () => {
  assertEquals(matching("(?P<kind>orders|bills)-\\d", ["orders-1", "bills-2", "x-1"]), [
    "orders-1",
    "bills-2",
  ]);
  assertEquals(matching("\\Aab\\z", ["ab"]), ["ab"]);
  assertEquals(matching("[[:alpha:]]+", ["abc", "ab1"]), ["abc"]);
  assertEquals(matching("[[:^digit:]x]+", ["ab", "a1"]), ["ab"]);
  assertEquals(matching("[^[:upper:]]+", ["ab", "aB"]), ["ab"]);
  assertEquals(matching("\\Qa.b\\E+", ["a.b", "a.bbb", "axb"]), ["a.b", "a.bbb"]);
  assertEquals(matching("\\Qa.b", ["a.b"]), ["a.b"]);
  assertEquals(matching("a\\#b\\~c\\@", ["a#b~c@"]), ["a#b~c@"]);
  assertEquals(
    matching("\\x41\\x{1F600}\\101\\0", ["A\u{1F600}A\0"]),
    [
      "A\u{1F600}A\0",
    ],
  );
  assertEquals(matching("\\pL+\\p{Greek}\\PN", ["abα-", "abα1"]), ["abα-"]);
  assertEquals(matching("\\p{^Greek}", ["a", "α"]), ["a"]);
  assertEquals(matching("a{2,3}", ["a", "aa", "aaa", "aaaa"]), ["aa", "aaa"]);
  assertEquals(matching("a{,2}", ["a{,2}"]), ["a{,2}"]); // not a repeat: literal in RE2
  assertEquals(matching("a{2}", ["aa"]), ["aa"]);
  assertEquals(matching("[]a]+", ["]a"]), ["]a"]);
  assertEquals(matching("[a-]+|}", ["a-", "}"]), ["a-", "}"]);
  assertEquals(matching("x{1000}", ["x".repeat(1000), "x".repeat(999)]), ["x".repeat(1000)]);
  assertEquals(matching("", ["", "a"]), [""]);
  assertEquals(matching("^*a", ["a"]), ["a"]);
});

Deno.test("what RE2 refuses, or JS would evaluate differently, is refused", () => {
  refused("(a)\\1", /backreference/);
  refused("\\8", /backreference/);
  refused("a(?=b)", /lookahead/);
  refused("a(?!b)", /lookahead/);
  refused("(?<=a)b", /lookbehind/);
  refused("(?<!a)b", /lookbehind/);
  refused("(?>a)", /atomic/);
  refused("a++", /possessive/);
  refused("a*+", /possessive/);
  refused("a**", /nested repetition/);
  refused("*a", /missing argument/);
  refused("a\\Z", /\\Z/);
  refused("(?<name>a)", /\(\?P<name>/);
  refused("(?P<n>a)(?P<n>b)", /duplicate/);
  refused("(?P<a-b>x)", /named capture/);
  refused("(?#c)a", /comments/);
  refused("(?x)a", /Perl syntax/);
  refused("(?i-)a", /Perl syntax/);
  refused("(a", /missing closing \)/);
  refused("a)", /unexpected \)/);
  refused("[a", /missing closing \]/);
  refused("[z-a]", /character class range/);
  refused("[[:foo:]]", /character class range/);
  refused("\\p{Klingon}", /character class range/);
  refused("a{1001}", /repeat count/);
  refused("a{3,2}", /repeat count/);
  refused("\\e", /escape/);
  refused("\\u0041", /escape/);
  refused("\\C", /escape/);
  refused("a\\", /trailing backslash/);
  refused("[\\b]", /escape/);
});

Deno.test("what would backtrack for seconds here (RE2 is linear) is refused; what is accepted stays fast", () => {
  refused("(a+)+b", /repeated group/);
  refused("(a|ab)*c", /repeated group/);
  refused("(x(a*))+", /repeated group/);
  refused("(a?){2,}", /repeated group/);
  refused(".*a.*a.*a.*x", /more than 3 repetitions/);
  // Allowed: a group without repetition/alternation inside, an optional one, up to 3 repetitions.
  assertEquals(matching("(ab)*c", ["ababc"]), ["ababc"]);
  assertEquals(matching("(a|b)?c+", ["ac", "cc"]), ["ac", "cc"]);
  const worst = ["[a-z]*[a-z]*[a-z]*x", ".*.*.*x", "(orders|bills)-[a-z]+-v[0-9]+"];
  const name = "a".repeat(249);
  const t0 = performance.now();
  for (const src of worst) assert(!compileTopicRegex(src).matches(name), src);
  assert(performance.now() - t0 < 2000, `took ${performance.now() - t0} ms`);
});

Deno.test("a dotted or dashed Kafka topic name matches itself when escaped", () => {
  for (const name of ["a.b", "orders_v2", "x-y-z", "A.B-c_9"]) {
    const src = name.replace(/[.]/g, "\\.");
    assert(compileTopicRegex(src).matches(name), src);
  }
  assert(!compileTopicRegex("a\\.b").matches("axb"));
  assert(compileTopicRegex("a.b").matches("axb"));
});
