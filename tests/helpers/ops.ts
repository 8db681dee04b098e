// Reading the gateway's operations endpoints from tests: Prometheus scrapes, JSON API, polling.

/** Samples of a Prometheus text exposition ("name{labels}" -> value) and the declared families. */
export interface Scrape {
  readonly samples: Map<string, number>;
  readonly types: Map<string, string>;
  /** A sample's value, or 0 when absent. */
  get(series: string): number;
  /** Sum over every sample of `name` whose labels contain all of `match` (e.g. {api: "Produce"}). */
  sum(name: string, match?: Record<string, string>): number;
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      types.set(name, type);
      continue;
    }
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    samples.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return {
    samples,
    types,
    get: (s) => samples.get(s) ?? 0,
    sum: (name, match = {}) => {
      let total = 0;
      for (const [k, v] of samples) {
        const brace = k.indexOf("{");
        const n = brace < 0 ? k : k.slice(0, brace);
        if (n !== name) continue;
        if (Object.entries(match).every(([lk, lv]) => k.includes(`${lk}="${lv}"`))) total += v;
      }
      return total;
    },
  };
}

export async function scrape(httpPort: number): Promise<Scrape> {
  const r = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${await r.text()}`);
  const ct = r.headers.get("content-type") ?? "";
  if (!ct.startsWith("text/plain; version=0.0.4")) throw new Error(`unexpected content type ${ct}`);
  return parseScrape(await r.text());
}

export async function getJson<T = unknown>(
  httpPort: number,
  path: string,
): Promise<{ status: number; body: T }> {
  const r = await fetch(`http://127.0.0.1:${httpPort}${path}`);
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as T };
}

/** Polls `fn` until it returns a non-undefined value; throws with the last `why` after `ms`. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 30000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

export interface ApiGroupPartition {
  topic: string;
  partition: number;
  committedOffset: number;
  highWatermark: number;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
}

export interface ApiGroup {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  generationId: number;
  members: {
    memberId: string;
    clientId: string;
    clientHost: string;
    subscription: { topics: string[] } | null;
    assignment: { topic: string; partitions: number[] }[] | null;
  }[];
  partitions: ApiGroupPartition[];
  totalLag: number;
}

/** Waits until the group's partitions of `topic` show exactly `lags` (index = partition) with every partition owned. */
export function waitForLags(httpPort: number, groupId: string, topic: string, lags: number[], ms = 30000) {
  return waitFor(`group ${groupId} lags ${JSON.stringify(lags)}`, async () => {
    const { status, body } = await getJson<ApiGroup>(
      httpPort,
      `/api/v1/groups/${encodeURIComponent(groupId)}`,
    );
    if (status !== 200 || body.state !== "Stable") return undefined;
    const ps = body.partitions.filter((p) => p.topic === topic);
    if (ps.length !== lags.length) return undefined;
    const ok = ps.every((p, i) => p.partition === i && p.lag === lags[i] && p.memberId !== null);
    return ok ? body : undefined;
  }, ms);
}
