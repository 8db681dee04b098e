// The dashboard page served by the gateway at /dashboard: plain HTML, CSS and browser JavaScript kept here as
// strings (no build step, nothing fetched from elsewhere; works in the compiled single binary). It polls
// /api/v1/overview (default every second, ?refresh=MS) and shows the cluster's gateways (roles, partitions led),
// topics with throughput and partition leaders, consumer groups with their partition -> member assignment,
// committed offsets and lag per partition.
//
// The browser code avoids template literals so it can live inside this TypeScript template string. Everything
// from the API is written with textContent (never innerHTML).

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kafka Gateway · dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<header>
  <div class="brand"><span class="logo">◆</span> SeaweedMQ Kafka Gateway</div>
  <div id="cluster" class="meta"></div>
  <div class="right">
    <span id="updated" class="meta"></span>
    <span id="status" class="badge badge-wait">connecting…</span>
  </div>
</header>
<main>
  <section id="summary" class="cards"></section>
  <section class="panel">
    <h2>Cluster</h2>
    <p id="cluster-meta" class="meta-line"></p>
    <table id="brokers" class="grid">
      <thead><tr>
        <th class="num">Node</th><th>Address</th><th>Rack</th><th>Role</th>
        <th class="num">Partitions led</th><th class="num">Group coordinator partitions</th>
      </tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section class="panel">
    <h2>Topics</h2>
    <table id="topics" class="grid">
      <thead><tr>
        <th>Topic</th><th class="num">Partitions</th><th class="num">Records</th><th class="num">Size</th>
        <th class="num">In msg/s</th><th class="num">Out msg/s</th><th class="num">In B/s</th>
        <th class="num">Out B/s</th><th>Throughput (last 60 s)</th><th>High watermarks</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <p id="topics-empty" class="empty" hidden>No topics yet.</p>
  </section>
  <section class="panel">
    <h2 id="groups-title">Consumer groups</h2>
    <div id="groups"></div>
    <p id="groups-empty" class="empty" hidden>No consumer groups yet.</p>
  </section>
  <section class="panel">
    <h2>Client quotas</h2>
    <p id="quotas-meta" class="meta-line"></p>
    <table id="quotas" class="grid">
      <thead><tr>
        <th>Quota</th><th>Entity</th><th>User</th><th>Client id</th><th class="num">Limit</th>
        <th class="num">Rate now</th><th class="num">Throttled responses</th><th class="num">Throttle time</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <p id="quotas-empty" class="empty" hidden>No client is under a quota on this gateway.</p>
  </section>
  <section class="panel">
    <h2>Open transactions</h2>
    <p id="txns-meta" class="meta-line"></p>
    <table id="txns" class="grid">
      <thead><tr>
        <th>Transactional id</th><th class="num">Producer id</th><th class="num">Epoch</th><th>State</th>
        <th class="num">Age</th><th class="num">Timeout</th><th>Partitions</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <p id="txns-empty" class="empty" hidden>No transaction is open on this gateway.</p>
  </section>
</main>
<footer>Metrics for Prometheus at <a href="/metrics">/metrics</a> · JSON at <a href="/api/v1">/api/v1</a> ·
health <a href="/healthz">/healthz</a>, <a href="/readyz">/readyz</a></footer>
<script src="/dashboard.js"></script>
</body>
</html>
`;

export const DASHBOARD_CSS = `
:root {
  --bg: #f4f6f9; --panel: #fff; --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2f6fde;
  --ok: #12805c; --warn: #b54708; --bad: #c01048; --head: #101828;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 13px/1.45 system-ui, -apple-system, "Segoe UI",
  Roboto, "Helvetica Neue", Arial, sans-serif; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: var(--head); color: #fff;
  position: sticky; top: 0; z-index: 2; }
header .brand { font-weight: 650; font-size: 15px; white-space: nowrap; }
header .logo { color: #7cb0ff; }
header .meta { color: #b8c0cc; }
header .right { margin-left: auto; display: flex; gap: 12px; align-items: center; }
main { max-width: 1400px; margin: 0 auto; padding: 14px 20px 8px; }
footer { max-width: 1400px; margin: 0 auto; padding: 4px 20px 18px; color: var(--muted); }
a { color: var(--accent); }
h2 { font-size: 14px; margin: 0 0 10px; letter-spacing: .02em; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px;
  margin-bottom: 14px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin-bottom: 14px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 9px 12px; }
.card .label { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .05em; }
.card .value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
table.grid { width: 100%; border-collapse: collapse; }
table.grid th { text-align: left; color: var(--muted); font-weight: 600; font-size: 11px; text-transform: uppercase;
  letter-spacing: .04em; border-bottom: 1px solid var(--line); padding: 5px 8px; white-space: nowrap; }
table.grid td { border-bottom: 1px solid var(--line); padding: 5px 8px; vertical-align: middle; }
table.grid tr:last-child td { border-bottom: none; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.empty { color: var(--muted); margin: 4px 0; }
.meta-line { color: var(--muted); margin: 0 0 8px; }
.meta-line .bad { color: var(--bad); font-weight: 650; }
.chip-remote { background: #f2f4f7; color: var(--muted); }
.chip-bad { background: #fee4e2; color: #b42318; }
.badge { display: inline-block; padding: 2px 9px; border-radius: 999px; font-size: 11px; font-weight: 650;
  letter-spacing: .03em; white-space: nowrap; }
.badge-ok { background: #d1fadf; color: #05603a; }
.badge-wait { background: #fef0c7; color: #93370d; }
.badge-bad { background: #fee4e2; color: #b42318; }
.badge-idle { background: #eaecf0; color: #344054; }
.chip { display: inline-block; padding: 1px 7px; margin: 1px 3px 1px 0; border-radius: 4px; background: #eef2f6;
  font-size: 12px; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 6px;
  vertical-align: -1px; }
.group { border: 1px solid var(--line); border-radius: 8px; margin-bottom: 12px; overflow: hidden; }
.group-head { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; padding: 8px 12px;
  background: #f9fafb; border-bottom: 1px solid var(--line); }
.group-head .name { font-weight: 650; font-size: 14px; }
.group-head .meta { color: var(--muted); }
.group-body { display: grid; grid-template-columns: minmax(260px, 2fr) 3fr; gap: 0; }
.group-body > div { padding: 8px 12px; min-width: 0; }
.group-body > div + div { border-left: 1px solid var(--line); }
.members { list-style: none; margin: 0; padding: 0; }
.members li { padding: 5px 0; border-bottom: 1px dashed var(--line); }
.members li:last-child { border-bottom: none; }
.members .who { font-weight: 600; }
.members .sub { color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.lagbar { display: inline-block; height: 8px; border-radius: 4px; background: var(--warn); vertical-align: middle;
  margin-left: 6px; min-width: 2px; }
.lag0 { color: var(--ok); }
.lagpos { color: var(--warn); font-weight: 650; }
.owner-none { color: var(--muted); font-style: italic; }
svg.spark { display: block; }
@media (max-width: 1000px) { .group-body { grid-template-columns: 1fr; }
  .group-body > div + div { border-left: none; border-top: 1px solid var(--line); } }
`;

export const DASHBOARD_JS = `"use strict";
(function () {
  var params = new URLSearchParams(location.search);
  var REFRESH = Math.max(250, Number(params.get("refresh")) || 1000);
  var HISTORY = 60;
  var COLORS = ["#2f6fde", "#e8590c", "#12b886", "#be4bdb", "#f59f00", "#0c8599", "#e03131", "#5c940d",
    "#862e9c", "#1864ab"];
  var prev = null;          // { time, topics: {name: counters} }
  var history = {};         // topic -> [msg/s in+out]

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "cls") e.className = attrs[k];
      else if (k === "style") e.style.cssText = attrs[k]; // CSSOM: allowed by the page's CSP
      else e.setAttribute(k, attrs[k]);
    }
    if (children) for (var i = 0; i < children.length; i++) if (children[i] != null) e.appendChild(children[i]);
    return e;
  }
  function fmtNum(n) {
    if (n == null || !isFinite(n)) return "–";
    var a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(2) + "G";
    if (a >= 1e6) return (n / 1e6).toFixed(2) + "M";
    if (a >= 1e4) return (n / 1e3).toFixed(1) + "k";
    return a >= 100 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1);
  }
  function fmtBytes(n) {
    if (n == null || !isFinite(n) || n < 0) return "–";
    var u = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i === 0 ? String(Math.round(n)) : n.toFixed(1)) + " " + u[i];
  }
  function rate(cur, old, dt) {
    if (old == null || dt <= 0) return null;
    return Math.max(0, (cur - old) / dt);
  }
  function stateBadge(state) {
    var cls = state === "Stable" ? "badge-ok" : state === "Empty" || state === "Dead" ? "badge-idle" : "badge-wait";
    return el("span", { cls: "badge " + cls, "data-field": "state", text: state });
  }
  function spark(values) {
    var w = 160, h = 26, ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark"); svg.setAttribute("width", w); svg.setAttribute("height", h);
    var max = 0;
    for (var i = 0; i < values.length; i++) max = Math.max(max, values[i]);
    var pts = [];
    for (var j = 0; j < values.length; j++) {
      var x = values.length === 1 ? w : (j * w) / (HISTORY - 1) + (HISTORY - values.length) * w / (HISTORY - 1);
      var y = max > 0 ? h - 2 - (values[j] / max) * (h - 4) : h - 2;
      pts.push(x.toFixed(1) + "," + y.toFixed(1));
    }
    var base = document.createElementNS(ns, "line");
    base.setAttribute("x1", 0); base.setAttribute("x2", w); base.setAttribute("y1", h - 1); base.setAttribute("y2", h - 1);
    base.setAttribute("stroke", "#e4e7ec");
    svg.appendChild(base);
    if (pts.length > 1) {
      var pl = document.createElementNS(ns, "polyline");
      pl.setAttribute("points", pts.join(" ")); pl.setAttribute("fill", "none");
      pl.setAttribute("stroke", "#2f6fde"); pl.setAttribute("stroke-width", "1.5");
      svg.appendChild(pl);
    }
    return svg;
  }
  function card(label, value, field) {
    return el("div", { cls: "card" }, [el("div", { cls: "label", text: label }),
      el("div", { cls: "value", "data-field": field, text: value })]);
  }
  function setStatus(text, cls) {
    var s = document.getElementById("status");
    s.textContent = text; s.className = "badge " + cls;
  }

  function render(o) {
    var now = o.time / 1000;
    var dt = prev ? now - prev.time : 0;
    var c = o.cluster;
    document.getElementById("cluster").textContent = "cluster " + c.clusterId + " · broker " + c.nodeId + " at " +
      c.advertisedListener + " · " + c.backend + " backend · up " + fmtNum(c.uptimeSeconds) + " s";
    if (o.ready.ready) setStatus("ready", "badge-ok");
    else setStatus("not ready: " + o.ready.checks.filter(function (x) { return !x.ok; })
      .map(function (x) { return x.name; }).join(", "), "badge-bad");
    document.getElementById("updated").textContent = "updated " + new Date(o.time).toLocaleTimeString();

    // ---- cluster: gateways, roles, partitions led
    var meta = document.getElementById("cluster-meta");
    var parts = [o.brokers.length + " gateway" + (o.brokers.length === 1 ? "" : "s"),
      "controller node " + c.controllerId];
    if (c.distributed) {
      parts.push("assignment version " + c.assignmentVersion, "lease timeout " + c.leaseTimeoutMs / 1000 + " s",
        "this gateway serves " + c.servingPartitions + " partitions and coordinates " + c.coordinatedGroups +
        " group" + (c.coordinatedGroups === 1 ? "" : "s"));
    } else {
      parts.push("one gateway leads every partition (" + c.backend + " backend)");
    }
    var metaChildren = [document.createTextNode(parts.join(" · "))];
    if (c.leaderlessPartitions > 0) {
      metaChildren.push(document.createTextNode(" · "), el("span", { cls: "bad", "data-field": "leaderless",
        text: c.leaderlessPartitions + " partition" + (c.leaderlessPartitions === 1 ? "" : "s") +
          " without a leader" }));
    }
    meta.replaceChildren.apply(meta, metaChildren);
    var btbody = document.querySelector("#brokers tbody");
    btbody.replaceChildren.apply(btbody, o.brokers.map(function (b) {
      var roles = [];
      if (b.controller) roles.push(el("span", { cls: "badge badge-ok", text: "controller" }));
      if (b.self) roles.push(el("span", { cls: "badge badge-idle", text: "this gateway" }));
      return el("tr", { "data-node": String(b.nodeId) }, [
        el("td", { cls: "num", text: String(b.nodeId) }),
        el("td", { cls: "mono", text: b.host + ":" + b.port }),
        el("td", { text: b.rack == null ? "–" : b.rack }),
        el("td", { "data-field": "role" }, roles.length ? roles : [document.createTextNode("–")]),
        el("td", { cls: "num", "data-field": "leader-partitions", text: String(b.leaderPartitions) }),
        el("td", { cls: "num", "data-field": "coordinator-partitions",
          text: c.distributed ? String(b.coordinatorPartitions) : "all groups" }),
      ]);
    }));
    document.getElementById("groups-title").textContent = c.distributed
      ? "Consumer groups coordinated by this gateway" : "Consumer groups";

    // ---- topics
    var tbody = document.querySelector("#topics tbody");
    var rows = [];
    var sumIn = 0, sumOut = 0, sumBIn = 0, sumBOut = 0, haveRates = false;
    var cur = {};
    o.topics.forEach(function (t) {
      var tp = t.throughput;
      cur[t.name] = tp;
      var old = prev && prev.topics[t.name];
      var rIn = tp ? rate(tp.recordsIn, old ? old.recordsIn : prev ? 0 : null, dt) : null;
      var rOut = tp ? rate(tp.recordsOut, old ? old.recordsOut : prev ? 0 : null, dt) : null;
      var bIn = tp ? rate(tp.bytesIn, old ? old.bytesIn : prev ? 0 : null, dt) : null;
      var bOut = tp ? rate(tp.bytesOut, old ? old.bytesOut : prev ? 0 : null, dt) : null;
      if (rIn != null) { haveRates = true; sumIn += rIn; sumOut += rOut; sumBIn += bIn; sumBOut += bOut; }
      var h = history[t.name] || (history[t.name] = []);
      if (rIn != null) { h.push(rIn + rOut); if (h.length > HISTORY) h.shift(); }
      var hws = el("div", null, t.partitions.map(function (p) {
        var leader = p.leaderId < 0 ? "no leader" : "leader node " + p.leaderId +
          (p.leaderEpoch >= 0 ? ", epoch " + p.leaderEpoch : "");
        var where = !c.distributed ? "" : p.leaderId < 0 ? " chip-bad" : p.leaderId !== c.nodeId ? " chip-remote" : "";
        return el("span", { cls: "chip mono" + where, "data-leader": String(p.leaderId),
          title: "partition " + p.partition + ": offsets " + p.logStartOffset + "–" + p.highWatermark + ", " +
            fmtBytes(p.sizeBytes) + "; " + leader,
          text: p.partition + ": " + fmtNum(p.highWatermark) +
            (c.distributed ? " @" + (p.leaderId < 0 ? "–" : p.leaderId) : "") });
      }));
      rows.push(el("tr", { "data-topic": t.name }, [
        el("td", { cls: "mono", text: t.name }),
        el("td", { cls: "num", text: String(t.partitionCount) }),
        el("td", { cls: "num", "data-field": "records", text: fmtNum(t.records) }),
        el("td", { cls: "num", text: fmtBytes(t.sizeBytes) }),
        el("td", { cls: "num", "data-field": "in-rate", text: fmtNum(rIn) }),
        el("td", { cls: "num", "data-field": "out-rate", text: fmtNum(rOut) }),
        el("td", { cls: "num", text: bIn == null ? "–" : fmtBytes(bIn) }),
        el("td", { cls: "num", text: bOut == null ? "–" : fmtBytes(bOut) }),
        el("td", null, [spark(h)]),
        el("td", null, [hws]),
      ]));
    });
    tbody.replaceChildren.apply(tbody, rows);
    document.getElementById("topics-empty").hidden = o.topics.length > 0;

    // ---- groups
    var totalLag = 0, members = 0;
    var groups = o.groups.map(function (g) {
      totalLag += g.totalLag; members += g.members.length;
      var ids = g.members.map(function (m) { return m.memberId; }).sort();
      var color = {};
      ids.forEach(function (id, i) { color[id] = COLORS[i % COLORS.length]; });
      var memberList = el("ul", { cls: "members" }, g.members.map(function (m) {
        var chips = (m.assignment || []).reduce(function (acc, tp) {
          return acc.concat(tp.partitions.map(function (p) {
            return el("span", { cls: "chip mono", text: tp.topic + "-" + p });
          }));
        }, []);
        // KIP-848 members: epoch, protocol and reconciliation state; target partitions not owned yet.
        var c = m.consumer;
        var owned = {};
        (m.assignment || []).forEach(function (tp) { tp.partitions.forEach(function (p) { owned[tp.topic + "-" + p] = 1; }); });
        var pending = c ? c.targetAssignment.reduce(function (acc, tp) {
          return acc.concat(tp.partitions.filter(function (p) { return !owned[tp.topic + "-" + p]; }).map(function (p) {
            return el("span", { cls: "chip mono chip-remote", title: "target, not owned yet", text: tp.topic + "-" + p });
          }));
        }, []) : [];
        return el("li", { "data-member": m.memberId }, [
          el("div", null, [el("span", { cls: "swatch", style: "background:" + color[m.memberId] }),
            el("span", { cls: "who", text: m.clientId }),
            el("span", { cls: "meta", text: "  " + m.clientHost + (m.groupInstanceId ? " · static " +
              m.groupInstanceId : "") })]),
          el("div", { cls: "sub mono", title: m.memberId, text: m.memberId }),
          c ? el("div", { cls: "meta", "data-field": "reconciliation", text: "epoch " + c.memberEpoch + " · " +
            c.reconciliation + " · " + c.protocol + " protocol" +
            (c.subscribedTopicRegex ? " · regex " + c.subscribedTopicRegex : "") }) : null,
          el("div", null, chips.length ? chips : [el("span", { cls: "owner-none", text: "no partitions" })]),
          pending.length ? el("div", { "data-field": "pending" }, pending) : null,
        ]);
      }));
      var maxLag = 0;
      g.partitions.forEach(function (p) { if (p.lag != null) maxLag = Math.max(maxLag, p.lag); });
      var prow = g.partitions.map(function (p) {
        var owner = p.memberId
          ? el("td", { "data-field": "owner" }, [el("span", { cls: "swatch", style: "background:" + color[p.memberId] }),
            el("span", { text: p.clientId })])
          : el("td", { "data-field": "owner", cls: "owner-none", text: "unassigned" });
        var lagCell = el("td", { cls: "num", "data-field": "lag" }, [
          el("span", { cls: p.lag ? "lagpos" : "lag0", text: p.lag == null ? "–" : String(p.lag) }),
          p.lag ? el("span", { cls: "lagbar", style: "width:" + Math.round(60 * p.lag / Math.max(1, maxLag)) + "px" }) : null,
        ]);
        return el("tr", { "data-topic": p.topic, "data-partition": String(p.partition) }, [
          el("td", { cls: "mono", text: p.topic }),
          el("td", { cls: "num", text: String(p.partition) }),
          owner,
          el("td", { cls: "num", "data-field": "committed", text: p.committedOffset < 0 ? "–" : String(p.committedOffset) }),
          el("td", { cls: "num", "data-field": "hw", text: p.highWatermark < 0 ? "–" : String(p.highWatermark) }),
          lagCell,
        ]);
      });
      var table = el("table", { cls: "grid assignment" }, [
        el("thead", null, [el("tr", null, ["Topic", "Partition", "Member", "Committed", "End offset", "Lag"]
          .map(function (x, i) { return el("th", { cls: i === 0 || i === 2 ? "" : "num", text: x }); }))]),
        el("tbody", null, prow),
      ]);
      return el("div", { cls: "group", "data-group": g.groupId }, [
        el("div", { cls: "group-head" }, [
          el("span", { cls: "name mono", text: g.groupId }), stateBadge(g.state),
          el("span", { cls: "meta", "data-field": "type", text: g.type === "consumer"
            ? "consumer group (KIP-848) / " + g.consumer.assignor
            : g.type === "share"
            ? "share group (KIP-932) / " + g.consumer.assignor
            : (g.protocolType || "–") + (g.protocol ? " / " + g.protocol : "") }),
          el("span", { cls: "meta", text: g.consumer
            ? "epoch " + g.consumer.groupEpoch + " (assignment " + g.consumer.assignmentEpoch + ")"
            : "generation " + g.generationId }),
          el("span", { cls: "meta", "data-field": "members", text: g.members.length + " member" +
            (g.members.length === 1 ? "" : "s") }),
          el("span", { cls: "meta" }, [document.createTextNode("total lag "),
            el("b", { "data-field": "total-lag", text: String(g.totalLag) })]),
        ]),
        el("div", { cls: "group-body" }, [
          el("div", null, [el("h2", { text: "Members" }), g.members.length ? memberList :
            el("p", { cls: "empty", text: "no members" })]),
          el("div", null, [el("h2", { text: "Partitions: assignment and lag" }), g.partitions.length ? table :
            el("p", { cls: "empty", text: "nothing assigned or committed" })]),
        ]),
      ]);
    });
    var gdiv = document.getElementById("groups");
    gdiv.replaceChildren.apply(gdiv, groups);
    document.getElementById("groups-empty").hidden = o.groups.length > 0;

    var summary = document.getElementById("summary");
    summary.replaceChildren(
      card("Produce msg/s", haveRates ? fmtNum(sumIn) : "–", "produce-rate"),
      card("Fetch msg/s", haveRates ? fmtNum(sumOut) : "–", "fetch-rate"),
      card("Produce B/s", haveRates ? fmtBytes(sumBIn) : "–", "produce-bytes"),
      card("Fetch B/s", haveRates ? fmtBytes(sumBOut) : "–", "fetch-bytes"),
      card("Connections", String(o.connections.active), "connections"),
      card("Topics", String(o.topics.length), "topics"),
      card("Groups / members", o.groups.length + " / " + members, "groups"),
      card("Total lag", fmtNum(totalLag), "total-lag"));
    renderQuotas(o.quotas);
    renderTxns(o.transactions);
    prev = { time: now, topics: cur };
    document.body.setAttribute("data-updated", String(o.time));
  }

  // ---- client quotas enforced by this gateway (rates in the quota's unit: B/s, % of the event loop, partitions/s)
  function renderQuotas(q) {
    var tbody = document.querySelector("#quotas tbody");
    var meta = document.getElementById("quotas-meta");
    if (!q) { tbody.replaceChildren(); meta.textContent = ""; return; }
    var refused = Object.keys(q.connectionsRefused).map(function (k) { return k + " " + q.connectionsRefused[k]; });
    meta.textContent = q.configured.length + " quota entit" + (q.configured.length === 1 ? "y" : "ies") +
      " configured · window " + q.window.samples + " × " + q.window.sizeSeconds + " s · connections refused: " +
      refused.join(", ");
    var unit = function (type, v) {
      return /byte_rate$/.test(type) ? fmtBytes(v) + "/s" : type === "request_percentage" ? v.toFixed(1) + " %"
        : fmtNum(v) + "/s";
    };
    tbody.replaceChildren.apply(tbody, q.enforced.map(function (e) {
      return el("tr", { "data-entity": e.entity, "data-quota": e.quota }, [
        el("td", { text: e.quota }),
        el("td", { cls: "mono", text: e.entity }),
        el("td", { text: e.user || "–" }),
        el("td", { text: e.clientId || "–" }),
        el("td", { cls: "num", text: unit(e.quota, e.limit) }),
        el("td", { cls: "num", "data-field": "rate", text: e.rate == null ? "–" : unit(e.quota, e.rate) }),
        el("td", { cls: "num", "data-field": "throttled", text: fmtNum(e.throttledResponses) }),
        el("td", { cls: "num", "data-field": "throttle-ms", text: fmtNum(e.throttleTimeMs) + " ms" }),
      ]);
    }));
    document.getElementById("quotas-empty").hidden = q.enforced.length > 0;
  }

  // ---- transactions this gateway coordinates: counters, and the open ones (oldest first)
  function renderTxns(t) {
    var tbody = document.querySelector("#txns tbody");
    var meta = document.getElementById("txns-meta");
    if (!t) { tbody.replaceChildren(); meta.textContent = ""; return; }
    meta.textContent = t.coordinatedIds + " transactional id" + (t.coordinatedIds === 1 ? "" : "s") +
      " coordinated here · " + fmtNum(t.committed) + " committed, " + fmtNum(t.aborted) + " aborted (" +
      fmtNum(t.timedOut) + " timed out)";
    tbody.replaceChildren.apply(tbody, t.current.map(function (x) {
      return el("tr", { "data-txn": x.transactionalId }, [
        el("td", { cls: "mono", text: x.transactionalId }),
        el("td", { cls: "num", text: String(x.producerId) }),
        el("td", { cls: "num", text: String(x.producerEpoch) }),
        el("td", { "data-field": "state", text: x.state }),
        el("td", { cls: "num", text: x.ageMs == null ? "–" : (x.ageMs / 1000).toFixed(1) + " s" }),
        el("td", { cls: "num", text: (x.timeoutMs / 1000).toFixed(0) + " s" }),
        el("td", { cls: "mono", text: x.partitions.join(", ") }),
      ]);
    }));
    document.getElementById("txns-empty").hidden = t.current.length > 0;
  }

  function tick() {
    fetch("/api/v1/overview", { cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(render)
      .catch(function (e) { setStatus("disconnected: " + e.message, "badge-bad"); })
      .finally(function () { setTimeout(tick, REFRESH); });
  }
  tick();
})();
`;

export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">
<rect width="32" height="32" rx="6" fill="#101828"/><path d="M16 5l11 11-11 11L5 16z" fill="#7cb0ff"/></svg>
`;
