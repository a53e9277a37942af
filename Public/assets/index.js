// Overview page: SAE card, density histogram, search, sortable paged latent table.
// State (q, sort, order, page) lives in the URL query so back/forward and links work.

import { api, getSae, ftsQuery } from "./api.js";
import { h, clear, $, fmtInt, fmtAct, fmtDensity, fmtPercent, pow10Label } from "./dom.js";
import { mountHistogram } from "./histogram.js";
import { tokenChip } from "./tokens.js";
import { initChrome, showError } from "./common.js";

const PAGE_SIZE = 50;
const SORTS = ["id", "density", "max_activation"];
const defaultOrder = (sort) => (sort === "id" ? "asc" : "desc");

// ---- URL state ----------------------------------------------------------------

export function readState(search = location.search) {
  const p = new URLSearchParams(search);
  const sort = SORTS.includes(p.get("sort")) ? p.get("sort") : "id";
  const order = ["asc", "desc"].includes(p.get("order")) ? p.get("order") : defaultOrder(sort);
  const page = Math.max(1, parseInt(p.get("page"), 10) || 1);
  const q = (p.get("q") || "").trim();
  return { sort, order, page, q };
}

export function stateQuery(st) {
  const p = new URLSearchParams();
  if (st.q) p.set("q", st.q);
  if (st.sort !== "id") p.set("sort", st.sort);
  if (st.order !== defaultOrder(st.sort)) p.set("order", st.order);
  if (st.page > 1) p.set("page", String(st.page));
  const s = p.toString();
  return s ? `?${s}` : location.pathname;
}

let state = readState();

function navigate(patch) {
  state = { ...state, ...patch };
  history.pushState(null, "", stateQuery(state));
  render();
}

// ---- explanation cell -------------------------------------------------------

function explanationNode(exp) {
  if (!exp || !exp.text) return h("span", { class: "muted" }, "no explanation");
  return h("span", { class: "exp-text" }, exp.text);
}

function sourceBadge(exp) {
  if (!exp) return null;
  return h("span", { class: `badge ${exp.automatic ? "auto" : "manual"}`, title: exp.automatic ? "generated automatically" : "written by a person" }, exp.source || (exp.automatic ? "auto" : "manual"));
}

// ---- SAE card + density histogram ------------------------------------------

function fact(label, value, title) {
  return h("div", {}, h("dt", {}, label), h("dd", title ? { title } : {}, value));
}

async function loadSae() {
  const card = $("#sae-card");
  try {
    const d = await getSae();
    const sae = d.sae || {}, model = d.model || {}, sum = d.summary || {}, corpus = d.corpus || {};
    $("#sae-title").textContent = sae.name ? `· ${sae.name}` : "";
    document.title = `saescope · ${sae.name || "latents"}`;
    const dead = sum.dead_latents;
    $("#sae-loading").hidden = true;
    clear(card).append(
      fact("Model", model.name || "—", model.architecture ? `architecture: ${model.architecture}` : null),
      fact("Hook", h("code", {}, sae.hook || "—"), sae.layer != null ? `layer ${sae.layer}` : null),
      fact("d_model", fmtInt(sae.d_model)),
      fact("Latents", fmtInt(sae.n_latents), sae.architecture ? `architecture: ${sae.architecture}` : null),
      fact("k", sae.k != null ? fmtInt(sae.k) : "—"),
      fact("Tokens indexed", fmtInt(sum.tokens_indexed), corpus.documents != null ? `${fmtInt(corpus.documents)} documents of corpus “${corpus.name || "?"}”` : null),
      fact("Dead latents", dead != null ? `${fmtInt(dead)}${sae.n_latents ? ` (${fmtPercent(dead / sae.n_latents)})` : ""}` : "—"),
    );
    const hist = sum.density_histogram;
    const box = $("#density-hist");
    if (hist && Array.isArray(hist.counts) && hist.counts.length) {
      const lo = hist.log10_min, hi = hist.log10_max;
      const ticks = [];
      for (let k = Math.ceil(lo); k <= Math.floor(hi); k++) ticks.push({ value: k, label: pow10Label(k) });
      const live = hist.counts.reduce((a, b) => a + b, 0);
      mountHistogram(box, {
        counts: hist.counts, min: lo, max: hi, xTicks: ticks, height: 200,
        xLabel: "density (fraction of tokens, log scale)", yLabel: "latents",
        title: `Histogram of log10 density over ${fmtInt(live)} live latents`,
        binTitle: (i, a, b, c) => `density ${fmtDensity(10 ** a)} – ${fmtDensity(10 ** b)}: ${fmtInt(c)} latent${c === 1 ? "" : "s"}`,
      });
      $("#dens-note").textContent = `${fmtInt(live)} live latents; ${fmtInt(dead ?? 0)} dead latents (never fire) are not shown.`;
    } else {
      clear(box).append(h("p", { class: "muted" }, "No density histogram in this index."));
    }
  } catch (e) {
    $("#sae-loading").hidden = true;
    showError($("#sae-error"), e, "Could not load the SAE");
    clear($("#density-hist")).append(h("p", { class: "muted" }, "Unavailable."));
  }
}

// ---- search -----------------------------------------------------------------

let searchSeq = 0;

async function runSearch(q) {
  const box = $("#search-results");
  $("#q").value = q;
  $("#search-clear").hidden = !q;
  if (!q) {
    box.hidden = true;
    return;
  }
  box.hidden = false;
  const seq = ++searchSeq;
  const exp = $("#rs-exp"), tok = $("#rs-tok");
  $("#rs-exp-q").textContent = q;
  $("#rs-tok-q").textContent = q;
  clear(exp).append(h("p", { class: "loading" }, "Searching…"));
  clear(tok).append(h("p", { class: "loading" }, "Searching…"));

  const [er, tr] = await Promise.allSettled([
    api("search", { q: ftsQuery(q), limit: 50 }),
    api("search/tokens", { token: q, limit: 20 }),
  ]);
  if (seq !== searchSeq) return;

  clear(exp);
  if (er.status === "rejected") showError(exp, er.reason, "Search failed");
  else if (!er.value.results.length) exp.append(h("p", { class: "muted" }, "No explanation matches."));
  else {
    exp.append(h("ol", { class: "hits" }, er.value.results.map((r) =>
      h("li", {},
        h("a", { href: `/features/${r.id}`, class: "lid" }, `#${r.id}`),
        h("span", { class: "hit-text" }, explanationNode(r.explanation), " ", sourceBadge(r.explanation)),
        h("span", { class: "hit-meta" }, `${fmtDensity(r.density)} · max ${fmtAct(r.max_activation)}`)))));
    if (er.value.results.length >= 50) exp.append(h("p", { class: "note" }, "Showing the 50 best matches."));
  }

  clear(tok);
  if (tr.status === "rejected") showError(tok, tr.reason, "Token search failed");
  else if (!tr.value.matches.length) tok.append(h("p", { class: "muted" }, "No vocabulary token matches."));
  else {
    for (const m of tr.value.matches) {
      tok.append(h("div", { class: "tokmatch" },
        h("h4", {}, tokenChip(m.token), " ", h("span", { class: "muted" }, `token ${m.token_id}`)),
        m.latents.length
          ? h("ol", { class: "hits" }, m.latents.map((l) =>
            h("li", {},
              h("a", { href: `/features/${l.id}`, class: "lid" }, `#${l.id}`),
              h("span", { class: "hit-text" }, explanationNode(l.explanation)),
              h("span", { class: "hit-meta", title: `fired on ${l.count} occurrences; mean ${l.mean_activation}, max ${l.max_activation}` },
                `mean ${fmtAct(l.mean_activation)} · max ${fmtAct(l.max_activation)} · ${fmtInt(l.count)}×`))))
          : h("p", { class: "muted" }, "No latent fires on this token.")));
    }
  }
}

// ---- table ------------------------------------------------------------------

let tableSeq = 0;

function updateSortHeaders() {
  for (const th of document.querySelectorAll("#latents th[data-sort]")) {
    const active = th.dataset.sort === state.sort;
    th.setAttribute("aria-sort", active ? (state.order === "asc" ? "ascending" : "descending") : "none");
    th.querySelector(".arrow").textContent = active ? (state.order === "asc" ? " ▲" : " ▼") : "";
    th.classList.toggle("active", active);
  }
}

async function loadTable() {
  updateSortHeaders();
  const body = $("#latents-body");
  const seq = ++tableSeq;
  body.classList.add("stale");
  try {
    const d = await api("features", {
      offset: (state.page - 1) * PAGE_SIZE, limit: PAGE_SIZE, sort: state.sort, order: state.order,
    });
    if (seq !== tableSeq) return;
    const pages = Math.max(1, Math.ceil(d.total / PAGE_SIZE));
    clear(body);
    if (!d.features.length) {
      body.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, state.page > pages ? `There are only ${pages} pages.` : "No latents.")));
    }
    for (const f of d.features) {
      body.append(h("tr", { class: f.density === 0 ? "dead" : null },
        h("td", { class: "c-id" }, h("a", { href: `/features/${f.id}` }, `#${f.id}`)),
        h("td", { class: "c-exp" }, h("a", { href: `/features/${f.id}`, class: "rowlink", tabindex: -1 }, explanationNode(f.explanation))),
        h("td", { class: "num", title: `density ${f.density}` }, f.density === 0 ? "dead" : fmtDensity(f.density)),
        h("td", { class: "num", title: `max activation ${f.max_activation}; mean ${f.mean}` }, fmtAct(f.max_activation))));
    }
    $("#page-info").textContent = `Page ${fmtInt(state.page)} of ${fmtInt(pages)} · ${fmtInt(d.total)} latents`;
    $("#page-prev").disabled = state.page <= 1;
    $("#page-next").disabled = state.page >= pages;
  } catch (e) {
    if (seq !== tableSeq) return;
    clear(body).append(h("tr", {}, h("td", { colspan: 4, class: "error", role: "alert" }, `Could not load latents: ${e.message}`)));
    $("#page-info").textContent = "";
  } finally {
    if (seq === tableSeq) body.classList.remove("stale");
  }
}

function render() {
  runSearch(state.q);
  loadTable();
}

// ---- wiring -----------------------------------------------------------------

function init() {
  initChrome();
  loadSae();

  $("#search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const q = $("#q").value.trim();
    if (q === state.q) runSearch(q);
    else navigate({ q });
  });
  $("#search-clear").addEventListener("click", () => { navigate({ q: "" }); $("#q").focus(); });

  for (const th of document.querySelectorAll("#latents th[data-sort]")) {
    th.querySelector("button").addEventListener("click", () => {
      const sort = th.dataset.sort;
      const order = sort === state.sort ? (state.order === "asc" ? "desc" : "asc") : defaultOrder(sort);
      navigate({ sort, order, page: 1 });
    });
  }
  const toTable = () => {
    const top = $("#list-h").getBoundingClientRect().top;
    if (top < 0) $("#list-h").scrollIntoView({ block: "start" });
  };
  $("#page-prev").addEventListener("click", () => { navigate({ page: Math.max(1, state.page - 1) }); toTable(); });
  $("#page-next").addEventListener("click", () => { navigate({ page: state.page + 1 }); toTable(); });

  $("#goto").addEventListener("submit", (e) => {
    e.preventDefault();
    const v = $("#goto-id").value.trim();
    if (/^\d+$/.test(v)) location.assign(`/features/${Number(v)}`);
  });

  window.addEventListener("popstate", () => {
    state = readState();
    render();
  });
  render();
}

init();
