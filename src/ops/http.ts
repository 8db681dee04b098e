// The operations HTTP listener (--http-listen, Deno.serve): Prometheus /metrics, /healthz, /readyz, the read-only
// JSON admin API under /api/v1 and the dashboard page. It is bound before storage recovery starts, so /healthz
// answers and /readyz says "not ready" while the gateway recovers; the gateway's parts are attached afterwards.
import { type HostPort, listenersText } from "../configs/options.ts";
import { quotasInfo } from "../quotas/view.ts";
import type { Logger } from "../log.ts";
import { Exposition, type GatewayMetrics } from "../metrics/metrics.ts";
import {
  brokersInfo,
  clusterInfo,
  configInfo,
  connectionsInfo,
  groupsInfo,
  memoryInfo,
  type OpsSources,
  readiness,
  topicInfo,
  topicsInfo,
} from "./state.ts";
import { renderState } from "./scrape.ts";
import { DASHBOARD_CSS, DASHBOARD_HTML, DASHBOARD_JS, FAVICON_SVG } from "./dashboard.ts";
import type { HttpAuth, HttpAuthMode } from "./http_auth.ts";
import { transactionsInfo } from "../transactions/view.ts";

const PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
const COMMON_HEADERS = { "x-content-type-options": "nosniff", "cache-control": "no-store" };
const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const API_ENDPOINTS = [
  "/api/v1/overview",
  "/api/v1/cluster",
  "/api/v1/brokers",
  "/api/v1/topics",
  "/api/v1/topics/{name}",
  "/api/v1/groups",
  "/api/v1/groups/{groupId}",
  "/api/v1/connections",
  "/api/v1/config",
  "/api/v1/quotas",
  "/api/v1/transactions",
  "/api/v1/memory",
] as const;

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: { ...COMMON_HEADERS, "content-type": "application/json; charset=utf-8" },
  });
}

function text(body: string, contentType: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { ...COMMON_HEADERS, "content-type": contentType, ...extra },
  });
}

export class OpsHttpServer {
  private http: Deno.HttpServer<Deno.NetAddr> | null = null;
  private src: OpsSources | null = null;
  private stopping = false;
  private readonly startedAt = Date.now();

  /** --http-auth: set before listen() when the port must be protected; its checks arrive with setAuth(). */
  private authMode: HttpAuthMode = "none";
  private auth: HttpAuth | null = null;

  constructor(private readonly metrics: GatewayMetrics | null, private readonly log: Logger) {}

  /**
   * The port is protected in `mode` from the start: until setAuth() gives the checks (the credential store and ACLs
   * load after the port is bound), protected paths answer 503 rather than serve unauthenticated.
   */
  protect(mode: HttpAuthMode): void {
    this.authMode = mode;
  }

  setAuth(auth: HttpAuth): void {
    this.auth = auth;
  }

  /** null when the request may be served; else the refusal (401/403, or 503 while the checks are not loaded). */
  private async guard(req: Request, path: string, remote: string): Promise<Response | null> {
    if (this.authMode === "none") return null;
    if (this.auth !== null) return await this.auth.check(req, path, remote);
    const open = this.authMode === "api" &&
      (path === "/metrics" || path === "/healthz" || path === "/readyz");
    return open ? null : json({ error: "starting: authentication is not ready yet" }, 503);
  }

  /**
   * Binds the listener (throws when the address is taken); returns the bound address. With `tls` (--http-tls) it
   * serves HTTPS with that certificate and key; reloadTls() swaps them.
   */
  listen(at: HostPort, tls?: { readonly cert: string; readonly key: string }): Deno.NetAddr {
    this.http = this.serve(at.host, at.port, tls);
    return this.http.addr;
  }

  /**
   * Serves new connections with a new certificate: the server is replaced by one bound to the same port (Deno.serve
   * cannot swap a certificate, and SO_REUSEPORT is unstable), so connections made in the ~3 ms in between (the old
   * listener releasing the port, measured) are refused; open connections finish their requests on the old one.
   */
  async reloadTls(tls: { readonly cert: string; readonly key: string }): Promise<void> {
    const old = this.http;
    if (old === null || this.stopping) return;
    const done = old.shutdown();
    const { hostname, port } = old.addr;
    for (let attempt = 0;; attempt++) {
      try {
        this.http = this.serve(hostname, port, tls);
        break;
      } catch (e) {
        // the old listener may take a moment to release the port
        if (!(e instanceof Deno.errors.AddrInUse) || attempt >= 1000) {
          this.http = null;
          this.log.error("HTTPS listener could not be reopened with the new certificate: {reason}", {
            reason: (e as Error).message,
          });
          break;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    }
    await done;
  }

  private serve(
    hostname: string,
    port: number,
    tls?: { readonly cert: string; readonly key: string },
  ): Deno.HttpServer<Deno.NetAddr> {
    return Deno.serve({
      hostname,
      port,
      ...(tls !== undefined ? { cert: tls.cert, key: tls.key } : {}),
      onListen: () => {},
      onError: (e) => {
        this.log.error("HTTP request failed: {reason}", { reason: String((e as Error)?.stack ?? e) });
        return json({ error: "internal error" }, 500);
      },
    }, (req, info) => this.handle(req, info.remoteAddr.hostname));
  }

  /** The bound address (null before listen() and after close()). */
  get address(): Deno.NetAddr | null {
    return this.http?.addr ?? null;
  }

  /** The gateway has started: storage recovered, coordinator loaded, Kafka listener up. */
  attach(src: OpsSources): void {
    this.src = src;
  }

  /** Shutdown began: /readyz fails from now on. */
  markStopping(): void {
    this.stopping = true;
  }

  async close(): Promise<void> {
    this.stopping = true;
    const h = this.http;
    this.http = null;
    if (h !== null) await h.shutdown();
  }

  private async handle(req: Request, remote: string): Promise<Response> {
    const url = new URL(req.url);
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
    let res: Response;
    const refused = await this.guard(req, path, remote);
    if (refused !== null) {
      res = refused;
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      res = new Response(JSON.stringify({ error: "read-only endpoint: use GET" }) + "\n", {
        status: 405,
        headers: { ...COMMON_HEADERS, "content-type": "application/json; charset=utf-8", allow: "GET, HEAD" },
      });
    } else {
      try {
        res = await this.route(path);
      } catch (e) {
        this.log.error("HTTP {path} failed: {reason}", { path, reason: String((e as Error)?.stack ?? e) });
        res = json({ error: String((e as Error)?.message ?? e) }, 500);
      }
    }
    this.log.debug("HTTP {method} {path} -> {status}", { method: req.method, path, status: res.status });
    return res;
  }

  private async route(path: string): Promise<Response> {
    switch (path) {
      case "/":
        return new Response(null, { status: 302, headers: { ...COMMON_HEADERS, location: "/dashboard" } });
      case "/dashboard":
        return text(DASHBOARD_HTML, "text/html; charset=utf-8", 200, {
          "content-security-policy": DASHBOARD_CSP,
        });
      case "/dashboard.js":
        return text(DASHBOARD_JS, "text/javascript; charset=utf-8");
      case "/dashboard.css":
        return text(DASHBOARD_CSS, "text/css; charset=utf-8");
      case "/favicon.svg":
      case "/favicon.ico":
        return text(FAVICON_SVG, "image/svg+xml");
      case "/healthz":
        return json({ status: "ok", uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000) });
      case "/readyz": {
        const r = await readiness(this.src, this.stopping);
        return json({ status: r.ready ? "ready" : "not ready", ...r }, r.ready ? 200 : 503);
      }
      case "/metrics":
        return await this.scrape();
      case "/api":
      case "/api/v1":
        return json({ endpoints: API_ENDPOINTS });
    }
    if (!path.startsWith("/api/v1/")) return json({ error: `no such endpoint: ${path}` }, 404);
    const src = this.src;
    if (src === null) return json({ error: "the gateway is starting" }, 503);
    const [, , , what, ...rest] = path.split("/");
    const arg = rest.length > 0 ? decodeURIComponent(rest.join("/")) : undefined;
    switch (what) {
      case "overview":
        if (arg === undefined) return json(await this.overview(src));
        break;
      case "cluster":
        if (arg === undefined) return json(clusterInfo(src));
        break;
      case "brokers":
        if (arg === undefined) return json(brokersInfo(src));
        break;
      case "topics": {
        if (arg === undefined) return json(await topicsInfo(src, this.metrics));
        const t = src.storage.getTopic(arg);
        return t ? json(await topicInfo(src, this.metrics, t)) : json({ error: `unknown topic ${arg}` }, 404);
      }
      case "groups": {
        if (arg === undefined) return json(await groupsInfo(src));
        if (!src.coordinator.list().some((g) => g.groupId === arg)) {
          return json({ error: `unknown group ${arg}` }, 404);
        }
        return json((await groupsInfo(src, arg))[0]);
      }
      case "connections":
        if (arg === undefined) return json(connectionsInfo(src));
        break;
      case "config":
        if (arg === undefined) return json(configInfo(src.config));
        break;
      case "quotas":
        if (arg === undefined && src.quotas) return json(quotasInfo(src.quotas));
        break;
      case "transactions":
        if (arg === undefined && src.transactions) return json(transactionsInfo(src.transactions));
        break;
      case "memory":
        if (arg === undefined) return json(memoryInfo(src));
        break;
    }
    return json({ error: `no such endpoint: ${path}`, endpoints: API_ENDPOINTS }, 404);
  }

  private async overview(src: OpsSources) {
    const [topics, groups, ready] = [
      await topicsInfo(src, this.metrics),
      await groupsInfo(src),
      await readiness(src, this.stopping),
    ];
    const m = this.metrics;
    const cluster = clusterInfo(src);
    return {
      cluster: {
        clusterId: src.clusterId,
        nodeId: src.config.nodeId,
        backend: src.storage.kind,
        advertisedListener: listenersText(src.config.advertisedListener),
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
        metrics: m !== null,
        distributed: cluster.distributed,
        controllerId: cluster.controllerId,
        assignmentVersion: cluster.assignmentVersion,
        leaseTimeoutMs: cluster.leaseTimeoutMs,
        servingPartitions: cluster.servingPartitions,
        leaderlessPartitions: cluster.leaderlessPartitions,
        coordinatedGroups: cluster.groups.length,
      },
      ready,
      brokers: cluster.brokers,
      connections: { active: src.server.connectionCount, accepted: m?.connectionsAccepted ?? null },
      totals: m === null ? null : {
        bytesReceived: m.bytesReceived,
        bytesSent: m.bytesSent,
        recordsIn: topics.reduce((s, t) => s + (t.throughput?.recordsIn ?? 0), 0),
        recordsOut: topics.reduce((s, t) => s + (t.throughput?.recordsOut ?? 0), 0),
        rebalances: m.rebalances,
      },
      topics,
      groups,
      quotas: src.quotas ? quotasInfo(src.quotas) : null,
      transactions: src.transactions ? transactionsInfo(src.transactions) : null,
      time: Date.now(),
    };
  }

  private async scrape(): Promise<Response> {
    const m = this.metrics;
    if (m === null) {
      return text("metrics are off (--metrics false)\n", "text/plain; charset=utf-8", 404);
    }
    const out = new Exposition(m.maxSeries);
    m.render(out);
    await renderState(this.src, await readiness(this.src, this.stopping), out);
    out.family(
      "kgw_metrics_series_dropped",
      "gauge",
      "Series left out of this scrape by --metrics-max-series, by family.",
    );
    for (const [family, n] of out.dropped) {
      out.sample("kgw_metrics_series_dropped", `{family="${family}"}`, n);
    }
    return text(out.text(), PROMETHEUS_TEXT);
  }
}
