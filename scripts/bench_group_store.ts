// EmbeddedGroupStore micro-benchmark: offset commits of 10 partitions (one group per commit, 100 groups) with
// fsync "interval" one at a time and with fsync "always" and N commits in flight; reports commits/s and CPU time.
// Usage: deno run -A scripts/bench_group_store.ts [--commits=200000] [--inflight=64] [--dir=/path]
import process from "node:process";
import { parseArgs } from "node:util";
import { EmbeddedGroupStore } from "../src/storage/embedded/group_log.ts";
import type { CommittedOffset } from "../src/storage/group_store.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    commits: { type: "string", default: "200000" },
    inflight: { type: "string", default: "64" },
    dir: { type: "string" },
  },
});
const commits = Number(values.commits);
const inflight = Number(values.inflight);

function offsets(i: number): CommittedOffset[] {
  const out: CommittedOffset[] = [];
  const now = Date.now();
  for (let p = 0; p < 10; p++) {
    out.push({
      topic: "bench-topic-orders",
      partition: p,
      offset: i * 10 + p,
      leaderEpoch: 3,
      metadata: "",
      commitTimestamp: now,
      expireTimestamp: -1,
    });
  }
  return out;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

async function run(fsync: "always" | "interval", n: number, parallel: number): Promise<void> {
  const root = values.dir ?? await Deno.makeTempDir({ prefix: "bench_group_store_" });
  const dir = `${root}/__consumer_offsets_${fsync}`;
  const store = new EmbeddedGroupStore({ dir, fsync, fsyncIntervalMs: 1000, log: () => {} });
  await store.load();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await store.commitOffsets(`group-${i % 100}`, offsets(i));
      // Let timers and I/O completions run now and then, as a network-driven broker would.
      if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 0));
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const ms = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  const st = store.stats();
  await store.close();
  console.log(
    `fsync=${fsync} inflight=${parallel}: ${n} commits x 10 partitions in ${ms.toFixed(0)} ms = ${
      Math.round(n / (ms / 1000))
    } commits/s, CPU ${
      (cpu * 1000 / n).toFixed(1)
    } us/commit, ${st.syncRounds} fsync rounds, ${st.compactions} compactions, log ${st.bytes} bytes`,
  );
  if (!values.dir) await Deno.remove(root, { recursive: true });
}

await run("interval", commits, 1);
await run("always", Math.min(commits, 20000), inflight);
