// glibc malloc tuning at startup (src/allocator.ts): the operator's environment wins; otherwise mallopt applies.
import { assertEquals } from "./assert.ts";
import { MMAP_THRESHOLD_BYTES, tuneAllocator } from "../../src/allocator.ts";

Deno.test("allocator: an operator's MALLOC_MMAP_THRESHOLD_ is left as set", () => {
  const r = tuneAllocator((n) => (n === "MALLOC_MMAP_THRESHOLD_" ? "131072" : undefined));
  assertEquals(r.applied, false);
  if (!r.applied) assertEquals(r.reason, "MALLOC_MMAP_THRESHOLD_=131072 set in the environment");
});

Deno.test({
  name: "allocator: on glibc Linux with --allow-ffi the threshold is fixed through mallopt",
  ignore: Deno.build.os !== "linux",
  fn() {
    const r = tuneAllocator(() => undefined);
    assertEquals(r, { applied: true, thresholdBytes: MMAP_THRESHOLD_BYTES });
  },
});
