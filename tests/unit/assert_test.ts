// The assertion helpers themselves: assertEquals must fail on Maps, Sets, Dates, typed arrays and buffers that
// differ (it once compared them by their own enumerable keys, so any two Maps, or a Map and {}, were equal).
import { assertEquals, AssertionError, assertNotEquals, assertThrows, diff } from "./assert.ts";

function fails(actual: unknown, expected: unknown, includes: string): void {
  assertThrows(() => assertEquals(actual, expected), AssertionError, includes);
}

Deno.test("assertEquals: Maps compare by entries, keys in any order", () => {
  assertEquals(new Map([["a", 1], ["b", 2]]), new Map([["b", 2], ["a", 1]]));
  assertEquals(
    new Map([[{ t: "x", p: 0 }, [1]]]),
    new Map([[{ t: "x", p: 0 }, [1]]]),
    "object keys by value",
  );
  fails(new Map([["a", 1]]), new Map([["a", 2]]), '$.get("a"): 1 !== 2');
  fails(new Map([["a", 1]]), new Map([["b", 1]]), 'Map key "a" unexpected on actual');
  fails(new Map([["a", 1]]), new Map([["a", 1], ["b", 2]]), 'Map key "b" missing on actual (expected 2)');
  fails(new Map(), {}, "Map !== Object");
  fails({}, new Map([["a", 1]]), "Object !== Map");
  fails(
    { m: new Map([[1, new Map([[2, "x"]])]]) },
    { m: new Map([[1, new Map([[2, "y"]])]]) },
    "$.m.get(1).get(2)",
  );
});

Deno.test("assertEquals: Sets compare by members, in any order", () => {
  assertEquals(new Set([1, 2, 3]), new Set([3, 2, 1]));
  assertEquals(new Set([[1, 2]]), new Set([[1, 2]]), "members by value");
  fails(new Set([1, 2]), new Set([1, 3]), "Set member 2 unexpected on actual");
  fails(new Set([1]), new Set([1, 2]), "Set member 2 missing on actual");
  fails(new Set(), {}, "Set !== Object");
  fails(new Set([1]), [1], "Set !== Array");
});

Deno.test("assertEquals: Dates compare by time value", () => {
  assertEquals(new Date(1000), new Date(1000));
  fails(new Date(1000), new Date(2000), "Date(1970-01-01T00:00:01.000Z) !== Date(1970-01-01T00:00:02.000Z)");
  fails(new Date(1000), {}, "Date !== Object");
  fails(new Date(1000), 1000, "!==");
  assertEquals(new Date(NaN), new Date(NaN), "two invalid dates");
});

Deno.test("assertEquals: typed arrays, DataViews and ArrayBuffers compare by kind and bytes", () => {
  assertEquals(new Uint8Array([1, 2]), new Uint8Array([1, 2]));
  assertEquals(new Int32Array([-1, 7]), new Int32Array([-1, 7]));
  assertEquals(
    new Uint8Array([9, 1, 2]).subarray(1),
    new Uint8Array([1, 2]),
    "views compare their own bytes",
  );
  assertEquals(new Uint8Array([1, 2]).buffer, new Uint8Array([1, 2]).buffer);
  fails(new Uint8Array([1, 2]), new Uint8Array([1, 3]), "Uint8Array differs at byte 1 (2 !== 3)");
  fails(new Uint8Array([1]), new Uint8Array([1, 2]), "byte length 1 !== 2");
  fails(new Int32Array([1]), new Int32Array([2]), "Int32Array differs at byte 0");
  fails(new Float64Array([1.5]), new Float64Array([2.5]), "Float64Array differs");
  fails(new BigInt64Array([1n]), new BigInt64Array([2n]), "BigInt64Array differs");
  fails(new Uint8Array([1]), new Int8Array([1]), "Uint8Array !== Int8Array");
  fails(new Uint8Array([1]), [1], "Uint8Array !== Array");
  fails(new Uint8Array([1, 2]).buffer, new Uint8Array([1, 3]).buffer, "ArrayBuffer differs at byte 1");
  fails(
    new DataView(new Uint8Array([1]).buffer),
    new DataView(new Uint8Array([2]).buffer),
    "DataView differs",
  );
  fails(new Uint16Array(0), {}, "Uint16Array !== Object");
});

Deno.test("assertEquals: plain values, arrays and objects as before", () => {
  assertEquals({ a: [1, { b: "x" }], c: null }, { a: [1, { b: "x" }], c: null });
  assertEquals(NaN, NaN);
  fails({ a: 1 }, { a: 1, b: 2 }, "$.b: missing on actual (expected 2)");
  fails([1, 2], [1], "length 2 !== 1");
  fails(1, "1", '1 !== "1"');
  fails(null, {}, "null !== {}");
  assertNotEquals(new Map([["a", 1]]), new Map());
  assertEquals(diff(new Set(["x"]), new Set(["x"])), null);
});
