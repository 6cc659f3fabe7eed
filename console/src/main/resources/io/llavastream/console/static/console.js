// The llava-stream console page: follows the server-sent events of /events (post, token, captioned, stats),
// uploads images to /api/upload and searches /api/search. No framework; uPlot draws the charts.
(function () {
  "use strict";
  const STAGES = ["topology", "vision", "merge", "decode"];
  const COLORS = { topology: "#4fc3f7", vision: "#ba68c8", merge: "#ffb74d", decode: "#66bb6a" };
  const POINTS = 90;
  const MAX_CARDS = 120;
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  };
  const mine = new Set();

  // ---- charts ----
  const series = { t: [], rate: {}, lag: {}, latency: {} };
  STAGES.forEach((s) => { series.rate[s] = []; series.lag[s] = []; series.latency[s] = []; });
  function makeChart(target, field) {
    const node = $(target);
    const opts = {
      width: Math.max(200, node.clientWidth || 300), height: 140,
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: "#8a99a8", grid: { stroke: "#26313d" }, ticks: { stroke: "#26313d" } },
        { stroke: "#8a99a8", grid: { stroke: "#26313d" }, ticks: { stroke: "#26313d" }, size: 56 },
      ],
      series: [{}].concat(STAGES.map((s) => ({ label: s, stroke: COLORS[s], width: 1.5, spanGaps: false }))),
    };
    const chart = new uPlot(opts, [[]].concat(STAGES.map(() => [])), node);
    return { chart, field, node };
  }
  let charts = [];
  try {
    charts = [makeChart("chart-rate", "rate"), makeChart("chart-lag", "lag"), makeChart("chart-latency", "latency")];
    window.addEventListener("resize", () => charts.forEach((c) =>
      c.chart.setSize({ width: Math.max(200, c.node.clientWidth), height: 140 })));
  } catch (e) {
    console.warn("charts unavailable", e);
  }
  function num(v) { return v === null || v === undefined ? null : v; }
  function fmt(v, digits) { return v === null || v === undefined ? "–" : Number(v).toFixed(digits); }

  function onStats(s) {
    const rows = Array.isArray(s.stages) ? s.stages : [];
    const tbody = $("stage-table").tBodies[0];
    tbody.textContent = "";
    rows.forEach((r) => {
      const tr = el("tr");
      tr.dataset.stage = r.stage;
      [r.stage, r.group, fmt(r.lag, 0), fmt(r.offsets_per_second, 1), fmt(r.latency_ms, 0)]
        .forEach((v) => tr.appendChild(el("td", null, v)));
      const swatch = el("span", "swatch");
      swatch.style.background = COLORS[r.stage] || "#888";
      tr.firstChild.prepend(swatch);
      tbody.appendChild(tr);
    });
    if (rows.length) {
      series.t.push((s.at || Date.now()) / 1000);
      STAGES.forEach((stage) => {
        const r = rows.find((x) => x.stage === stage) || {};
        series.rate[stage].push(num(r.offsets_per_second));
        series.lag[stage].push(num(r.lag));
        series.latency[stage].push(num(r.latency_ms));
      });
      if (series.t.length > POINTS) {
        series.t.shift();
        STAGES.forEach((stage) => ["rate", "lag", "latency"].forEach((f) => series[f][stage].shift()));
      }
      charts.forEach((c) => c.chart.setData([series.t].concat(STAGES.map((stage) => series[c.field][stage]))));
    }
    const skipped = Object.entries(s.skipped || {}).filter(([, n]) => n > 0).map(([t, n]) => t + " " + n).join(", ");
    $("totals").textContent = (s.error ? s.error + " · " : "") + (s.records_read || 0) + " records read · "
      + (s.images_cached || 0) + " images cached (" + Math.round((s.image_cache_bytes || 0) / 1024) + " KiB) · "
      + (s.search ? (s.images_indexed || 0) + " images indexed" : "search off")
      + (skipped ? " · skipped: " + skipped : "");
  }

  // ---- feed ----
  function imageNode(sha, wrapperClass) {
    const wrap = el("div", wrapperClass);
    if (!sha) {
      wrap.appendChild(el("div", "noimg", "no image"));
      return wrap;
    }
    const img = el("img");
    img.alt = "image " + sha.slice(0, 12);
    img.loading = "lazy";
    img.src = "/api/image/" + sha;
    img.onerror = () => img.replaceWith(el("div", "noimg", "image not cached"));
    wrap.appendChild(img);
    return wrap;
  }
  function card(postId) {
    let c = document.querySelector('.post[data-post-id="' + CSS.escape(postId) + '"]');
    if (c) return c;
    c = el("article", "post" + (mine.has(postId) ? " mine" : ""));
    c.dataset.postId = postId;
    const meta = el("div", "meta");
    meta.appendChild(el("span", "id", postId));
    meta.appendChild(el("span", "latency", ""));
    c.appendChild(meta);
    c.appendChild(el("div", "question"));
    c.appendChild(el("div", "images"));
    c.appendChild(el("div", "body"));
    const feed = $("feed");
    feed.insertBefore(c, feed.firstChild);
    while (feed.children.length > MAX_CARDS) feed.removeChild(feed.lastChild);
    $("feed-count").textContent = "(" + feed.children.length + " shown)";
    return c;
  }
  function slot(c, index) {
    const images = c.querySelector(".images");
    let s = images.querySelector('.image[data-index="' + index + '"]');
    if (!s) {
      s = imageNode(null, "image");
      s.dataset.index = index;
      s.appendChild(el("div", "answer pending", "waiting…"));
      images.appendChild(s);
    }
    return s;
  }
  function onPost(p) {
    const c = card(p.post_id);
    c.querySelector(".meta .id").textContent = (p.title ? p.title + " · " : "") + p.post_id;
    c.querySelector(".question").textContent = p.question ? "Q: " + p.question : "";
    if (p.body && p.body.trim() !== "") c.dataset.hasBody = "1";
    const images = c.querySelector(".images");
    (p.images || []).forEach((img, i) => {
      const old = images.querySelector('.image[data-index="' + i + '"]');
      const s = imageNode(img.sha256, "image");
      s.dataset.index = i;
      s.dataset.sha256 = img.sha256;
      s.appendChild(old ? old.querySelector(".answer") : el("div", "answer pending", "waiting…"));
      if (old) old.replaceWith(s); else images.appendChild(s);
    });
  }
  let tokenEvents = 0;
  function onToken(t) {
    tokenEvents++;
    $("feed").dataset.tokenEvents = String(tokenEvents);
    const c = card(t.post_id);
    if (c.dataset.done) return;
    const a = slot(c, t.image_index).querySelector(".answer");
    a.textContent = t.text;
    a.className = "answer " + (t.final ? "" : "streaming");
  }
  function onCaptioned(p) {
    const c = card(p.post_id);
    c.dataset.done = "1";
    c.querySelector(".meta .latency").textContent = p.latency_ms + " ms";
    (p.answers || []).forEach((a) => {
      let s = slot(c, a.image_index);
      if (!s.dataset.sha256 && a.sha256) {
        const fresh = imageNode(a.sha256, "image");
        fresh.dataset.index = a.image_index;
        fresh.dataset.sha256 = a.sha256;
        fresh.appendChild(s.querySelector(".answer"));
        s.replaceWith(fresh);
        s = fresh;
      }
      const ans = s.querySelector(".answer");
      ans.textContent = a.failed ? "failed: " + (a.error || "unknown") : a.text;
      ans.className = "answer caption" + (a.failed ? " failed" : "");
    });
    // a post with a body shows it with its image references replaced by their captions
    c.querySelector(".body").textContent = c.dataset.hasBody ? p.rendered_body : "";
  }

  // ---- events ----
  function connect() {
    const es = new EventSource("/events");
    es.onopen = () => { $("connection").className = "up"; $("connection").textContent = "live"; };
    es.onerror = () => { $("connection").className = "down"; $("connection").textContent = "reconnecting…"; };
    const on = (name, f) => es.addEventListener(name, (e) => {
      try { f(JSON.parse(e.data)); } catch (err) { console.error(name, err); }
    });
    on("stats", onStats);
    on("post", onPost);
    on("token", onToken);
    on("captioned", onCaptioned);
  }

  // ---- upload ----
  async function upload(file) {
    const status = $("upload-status");
    status.className = "";
    status.textContent = "posting " + file.name + "…";
    const q = $("upload-question").value.trim();
    const url = "/api/upload?name=" + encodeURIComponent(file.name) + (q ? "&question=" + encodeURIComponent(q) : "");
    try {
      const r = await fetch(url, { method: "POST", body: file,
        headers: { "X-Requested-With": "llava-console", "Content-Type": file.type || "application/octet-stream" } });
      const j = await r.json();
      if (!r.ok) {
        status.className = "error";
        status.textContent = "refused: " + (j.error || r.status);
        return;
      }
      mine.add(j.post_id);
      status.dataset.postId = j.post_id;
      status.textContent = "posted as " + j.post_id + "; its caption appears in the feed";
      const c = document.querySelector('.post[data-post-id="' + CSS.escape(j.post_id) + '"]');
      if (c) c.classList.add("mine");
    } catch (e) {
      status.className = "error";
      status.textContent = "upload failed: " + e;
    }
  }
  const input = $("upload-file");
  input.addEventListener("change", () => { if (input.files.length) upload(input.files[0]); });
  const zone = $("drop-zone");
  ["dragenter", "dragover"].forEach((n) => zone.addEventListener(n, (e) => {
    e.preventDefault(); zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((n) => zone.addEventListener(n, (e) => {
    e.preventDefault(); zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (e) => { if (e.dataTransfer.files.length) upload(e.dataTransfer.files[0]); });

  // ---- search ----
  $("search-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const q = $("search-input").value.trim();
    const status = $("search-status");
    const results = $("search-results");
    if (!q) return;
    status.className = "";
    status.textContent = "searching…";
    try {
      const r = await fetch("/api/search?k=8&q=" + encodeURIComponent(q));
      const j = await r.json();
      results.textContent = "";
      if (!r.ok) {
        status.className = "error";
        status.textContent = j.error || String(r.status);
        return;
      }
      status.textContent = j.hits.length + " images for \u201c" + j.query + "\u201d ("
        + (j.encode_ms + j.search_ms).toFixed(1) + " ms)";
      j.hits.forEach((h) => {
        const hit = imageNode(h.sha256, "hit");
        hit.dataset.postId = h.post_id;
        hit.dataset.sha256 = h.sha256;
        const line = el("div", "caption");
        line.appendChild(el("span", "score", h.score.toFixed(3) + " "));
        line.appendChild(document.createTextNode(h.caption || "(no caption yet)"));
        hit.appendChild(line);
        hit.appendChild(el("div", "post-id", h.post_id));
        results.appendChild(hit);
      });
    } catch (err) {
      status.className = "error";
      status.textContent = "search failed: " + err;
    }
  });

  connect();
})();
