// Live page: text → POST /api/activations → tokens shaded by one latent (exact values) or by each
// token's strongest latent; a token's latents in a panel; the text's latents ranked by max.
// URL state: /live?text=…&feature=ID prefills and runs (so other pages and tests can link here).

import { apiPost, getSae, ApiError } from "./api.js";
import { h, append, clear, $, fmtInt, fmtAct, fmtNum, fmtPercent } from "./dom.js";
import { renderTokens, tokenChip, quoteToken } from "./tokens.js";
import { initChrome, showError } from "./common.js";
import { liveHref, peak, errorMessage } from "./livecore.js";

const BREAKS_KEY = "saescope.lineBreaks";

/** One line for a latent's explanation: its text, or a muted "no explanation". */
function explanationNode(info) {
  const e = info && info.explanation;
  if (!e || !e.text) return h("span", { class: "muted" }, "no explanation");
  return h("span", { class: "exp-text", title: e.source ? `explanation: ${e.source}` : null }, e.text);
}

function latentLink(id) {
  return h("a", { href: `/features/${id}`, class: "lid" }, `#${id}`);
}

/** True for the 503 that means "no model loaded" (as opposed to "busy"). */
function isLiveOff(e) {
  return e instanceof ApiError && e.status === 503 && e.retryAfter == null && /model|sae/i.test(e.message);
}

// ---- page state ---------------------------------------------------------------------

const state = {
  sae: null,        // GET /api/sae
  text: "",         // the text of `data`
  feature: null,    // latent chosen for shading, or null for "each token's strongest"
  data: null,       // the last /api/activations response
  selected: -1,     // selected token index
  seq: 0,           // request counter: only the latest answer is drawn
  ctrl: null,       // AbortController of the request in flight
};

const els = {};

function setStatus(node) {
  clear(els.status);
  els.status.classList.remove("error");
  els.status.removeAttribute("role");
  els.status.setAttribute("role", "status");
  if (node) els.status.append(node);
}

function setLiveOff(detail) {
  $("#live-off").hidden = false;
  if (detail) $("#off-detail").textContent = `The server says: ${detail}`;
  for (const el of [els.text, els.run, els.shadeId, els.shadeApply, els.shadeStrongest]) el.disabled = true;
  els.text.placeholder = "Live activations are off on this server.";
  els.result.hidden = true;
}

function writeUrl() {
  const href = liveHref(state.text, state.feature);
  if (location.pathname + location.search !== href) history.replaceState(null, "", href);
}

// ---- requests ------------------------------------------------------------------------

async function run(text, feature) {
  if (!text.trim()) {
    setStatus(h("p", { class: "muted" }, "Type or paste some text first."));
    return;
  }
  if (state.ctrl) state.ctrl.abort();
  const ctrl = new AbortController();
  state.ctrl = ctrl;
  const seq = ++state.seq;
  const body = { text };
  if (feature != null) body.features = [feature];
  setStatus(h("p", { class: "loading" }, "Running the model…"));
  els.result.setAttribute("aria-busy", "true");
  let data;
  try {
    data = await apiPost("activations", body, { signal: ctrl.signal });
  } catch (e) {
    if (e && e.name === "AbortError") return;
    if (seq !== state.seq) return;
    els.result.removeAttribute("aria-busy");
    if (isLiveOff(e)) {
      setStatus(null);
      setLiveOff(e.message);
      return;
    }
    showError(els.status, new Error(errorMessage(e)), e instanceof ApiError && e.status === 413 ? "Too long" : e instanceof ApiError && e.status === 503 ? "Busy" : "Could not run");
    if (e instanceof ApiError && e.status === 503) {
      const retry = h("button", { type: "button" }, "Try again");
      retry.addEventListener("click", () => run(text, feature));
      els.status.append(h("p", {}, retry));
    }
    return;
  }
  if (seq !== state.seq) return;
  state.ctrl = null;
  state.data = data;
  state.text = text;
  state.feature = feature;
  setStatus(null);
  els.result.removeAttribute("aria-busy");
  draw(true);
  writeUrl();
}

/** Shade by `id` (null: strongest); re-runs only when the exact values are not at hand. */
function pickLatent(id) {
  els.shadeId.value = id == null ? "" : String(id);
  if (!state.data) return run(els.text.value, id);
  if (id == null || (state.data.features || []).some((f) => f.id === id)) {
    state.feature = id;
    draw(true);
    writeUrl();
    return;
  }
  run(state.text, id);
}

// ---- drawing -------------------------------------------------------------------------

function latentInfo(id) {
  return (state.data && state.data.latents && state.data.latents[String(id)]) || null;
}

/** Values and per-token scales for the current shading mode. */
function shading() {
  const d = state.data;
  const special = d.special || [];
  if (state.feature != null) {
    const f = (d.features || []).find((x) => x.id === state.feature);
    const acts = f ? f.activations : d.tokens.map(() => 0);
    const info = latentInfo(state.feature);
    const corpusMax = info && info.max_activation > 0 ? info.max_activation : 0;
    const pk = peak(acts, special);
    const scale = corpusMax || pk.max;
    return {
      acts, special, maxIndex: pk.index, scale,
      scaleOf: (i) => (special[i] ? 0 : scale),
      titleOf: (i, a) => `${quoteToken(d.tokens[i])}  #${state.feature} ${fmtAct(a)}${special[i] ? "  (special token)" : ""}`,
      legend: [
        h("span", {}, "Shading: ", latentLink(state.feature), corpusMax ? " ÷ its corpus max" : " ÷ its max in this text"),
        h("span", { class: "scale", "aria-hidden": "true" }, h("span", { class: "ramp" })),
        h("span", { class: "scale-ends" }, `0 … ${fmtAct(scale)}`),
        pk.index < 0 ? h("span", { class: "muted" }, "· it does not fire on this text") : null,
      ],
    };
  }
  // Each token's strongest latent, scaled by that latent's corpus max (else its max in this text).
  const textMax = new Map((d.top_latents || []).map((t) => [t.id, t.max]));
  const top = d.token_latents.map((list) => (list && list[0]) || null);
  const acts = top.map((t) => (t ? t.value : 0));
  const scales = top.map((t) => {
    if (!t) return 0;
    const info = latentInfo(t.id);
    return info && info.max_activation > 0 ? info.max_activation : (textMax.get(t.id) || t.value);
  });
  const first = (d.top_latents || [])[0];
  return {
    acts, special, maxIndex: first ? first.token : -1,
    scaleOf: (i) => (special[i] ? 0 : scales[i]),
    titleOf: (i, a) => `${quoteToken(d.tokens[i])}  ${top[i] ? `#${top[i].id} ${fmtAct(a)}` : "no latent"}${special[i] ? "  (special token)" : ""}`,
    legend: [
      h("span", {}, "Shading: each token’s strongest latent ÷ that latent’s corpus max"),
      h("span", { class: "scale", "aria-hidden": "true" }, h("span", { class: "ramp" })),
      h("span", { class: "scale-ends" }, "0 … 100%"),
    ],
  };
}

function draw(reselect) {
  const d = state.data;
  const sh = shading();
  $("#hook").textContent = d.hook ? `at ${d.hook}` : "";
  append(clear($("#legend")), [...sh.legend, h("span", { class: "muted" }, "· click a token for its latents")]);

  const p = renderTokens(d.tokens, sh.acts, { scaleOf: sh.scaleOf, maxIndex: sh.maxIndex, titleOf: sh.titleOf, special: sh.special });
  p.classList.add("live");
  p.tabIndex = 0;
  p.setAttribute("aria-label", "Tokens of the text: arrow keys select a token");
  p.addEventListener("click", (e) => {
    const tok = e.target.closest(".tok");
    if (tok) select(Number(tok.dataset.i));
  });
  p.addEventListener("keydown", onTokenKey);
  clear($("#live-tokens")).append(p);

  if (reselect || state.selected >= d.tokens.length) state.selected = sh.maxIndex >= 0 ? sh.maxIndex : (d.tokens.length ? 0 : -1);
  select(state.selected, false);
  drawRanked();
  drawTiming();
  els.result.hidden = false;
  els.shadeId.value = state.feature == null ? "" : String(state.feature);
}

function onTokenKey(e) {
  const n = state.data ? state.data.tokens.length : 0;
  if (!n) return;
  let i = state.selected;
  if (e.key === "ArrowRight" || e.key === "ArrowDown") i = Math.min(n - 1, i + 1);
  else if (e.key === "ArrowLeft" || e.key === "ArrowUp") i = Math.max(0, i - 1);
  else if (e.key === "Home") i = 0;
  else if (e.key === "End") i = n - 1;
  else return;
  e.preventDefault();
  select(i);
}

function select(i, scroll = true) {
  state.selected = i;
  for (const el of document.querySelectorAll("#live-tokens .tok.selected")) el.classList.remove("selected");
  const span = document.querySelector(`#live-tokens .tok[data-i="${i}"]`);
  if (span) {
    span.classList.add("selected");
    if (scroll && span.scrollIntoView) span.scrollIntoView({ block: "nearest" });
  }
  drawTokenPanel(i);
}

function shadeButton(id, label) {
  const on = state.feature === id;
  const b = h("button", {
    type: "button", class: "shadebtn", "aria-pressed": on ? "true" : "false",
    "aria-label": `Shade the text by latent ${id}`, title: `Shade the text by latent ${id}`,
  }, label || (on ? "Shading" : "Shade"));
  b.addEventListener("click", () => pickLatent(on ? null : id));
  return b;
}

function drawTokenPanel(i) {
  const box = clear($("#tok-panel"));
  const d = state.data;
  if (!d || i < 0 || i >= d.tokens.length) {
    box.append(h("p", { class: "muted" }, "Click a token to list its strongest latents."));
    return;
  }
  const tok = d.tokens[i];
  const special = (d.special || [])[i];
  box.append(h("p", { class: "tokhead" },
    h("span", { class: "muted" }, `Token ${i}`), " ", tokenChip(tok), " ",
    d.token_ids ? h("span", { class: "muted" }, `id ${d.token_ids[i]}`) : null,
    special ? h("span", { class: "badge special" }, "special") : null));
  if (special) box.append(h("p", { class: "note" }, "A special token (the sequence start): its latents are shown but left out of the ranking and the shading."));
  if (state.feature != null) {
    const f = (d.features || []).find((x) => x.id === state.feature);
    if (f) box.append(h("p", { class: "note" }, "Shaded latent ", latentLink(state.feature), ` here: ${fmtAct(f.activations[i] || 0)}`));
  }
  const list = d.token_latents[i] || [];
  if (!list.length) {
    box.append(h("p", { class: "muted" }, "No latent fires on this token."));
    return;
  }
  const rows = list.map((t) => {
    const info = latentInfo(t.id);
    const rel = info && info.max_activation > 0 ? t.value / info.max_activation : null;
    return h("tr", { class: state.feature === t.id ? "current" : null },
      h("td", {}, latentLink(t.id)),
      h("td", { class: "num", title: rel != null ? `${fmtPercent(rel, 0)} of its corpus max ${fmtAct(info.max_activation)}` : String(t.value) }, fmtAct(t.value)),
      h("td", { class: "c-exp" }, explanationNode(info)),
      h("td", { class: "c-act" }, shadeButton(t.id)));
  });
  box.append(h("div", { class: "table-wrap" }, h("table", { class: "latents compact" },
    h("caption", { class: "sr-only" }, `Strongest latents on token ${i}`),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Latent"), h("th", { scope: "col", class: "num" }, "Value"),
      h("th", { scope: "col" }, "Explanation"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Shade")))),
    h("tbody", {}, rows))));
}

function drawRanked() {
  const box = clear($("#ranked"));
  const d = state.data;
  const list = d.top_latents || [];
  if (!list.length) {
    box.append(h("p", { class: "muted" }, "No latent fires on the ordinary tokens of this text."));
    return;
  }
  const rows = list.map((t) => {
    const info = latentInfo(t.id);
    const at = h("button", { type: "button", class: "tokjump", title: `Select token ${t.token}` }, tokenChip(d.tokens[t.token] ?? ""));
    at.addEventListener("click", () => select(t.token));
    return h("tr", { class: state.feature === t.id ? "current" : null },
      h("td", { class: "c-id" }, latentLink(t.id)),
      h("td", { class: "num", title: info && info.max_activation > 0 ? `corpus max ${fmtAct(info.max_activation)}` : null }, fmtAct(t.max)),
      h("td", { class: "c-tok" }, at),
      h("td", { class: "num c-count", title: "tokens where it fires" }, fmtInt(t.count)),
      h("td", { class: "c-exp" }, explanationNode(info)),
      h("td", { class: "c-act" }, shadeButton(t.id)));
  });
  box.append(h("div", { class: "table-wrap" }, h("table", { class: "latents compact", id: "ranked-table" },
    h("caption", { class: "sr-only" }, "Latents of this text ranked by their largest activation"),
    h("thead", {}, h("tr", {},
      h("th", { scope: "col", class: "c-id" }, "Latent"), h("th", { scope: "col", class: "num c-max" }, "Max"),
      h("th", { scope: "col", class: "c-tok" }, "At"), h("th", { scope: "col", class: "num c-count" }, "Count"),
      h("th", { scope: "col", class: "c-exp" }, "Explanation"), h("th", { scope: "col", class: "c-act" }, h("span", { class: "sr-only" }, "Shade")))),
    h("tbody", {}, rows))));
}

function drawTiming() {
  const d = state.data;
  const t = d.timing_ms || {};
  const parts = ["tokenize", "queue", "model", "encode", "index"].filter((k) => t[k] != null).map((k) => `${k} ${fmtNum(t[k], 2)} ms`);
  $("#timing").textContent = `${fmtInt(d.tokens.length)} tokens · ${parts.join(" · ")}`;
}

// ---- setup ---------------------------------------------------------------------------

function initBreaks() {
  const cb = $("#breaks");
  const apply = () => document.body.classList.toggle("show-breaks", cb.checked);
  try { cb.checked = localStorage.getItem(BREAKS_KEY) === "1"; } catch { /* private mode */ }
  apply();
  cb.addEventListener("change", () => {
    try { localStorage.setItem(BREAKS_KEY, cb.checked ? "1" : "0"); } catch { /* private mode */ }
    apply();
  });
}

function parseFeature(v) {
  const s = String(v ?? "").trim();
  return /^\d{1,10}$/.test(s) ? Number(s) : null;
}

async function main() {
  initChrome();
  initBreaks();
  Object.assign(els, {
    form: $("#live-form"), text: $("#live-text"), run: $("#run"), status: $("#live-status"),
    result: $("#live-result"), shadeId: $("#shade-id"), shadeApply: $("#shade-apply"),
    shadeStrongest: $("#shade-strongest"),
  });
  const params = new URLSearchParams(location.search);
  const text = params.get("text") || "";
  const feature = parseFeature(params.get("feature"));
  els.text.value = text;
  if (feature != null) els.shadeId.value = String(feature);

  els.form.addEventListener("submit", (e) => {
    e.preventDefault();
    run(els.text.value, parseFeature(els.shadeId.value));
  });
  els.text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      els.form.requestSubmit ? els.form.requestSubmit() : run(els.text.value, parseFeature(els.shadeId.value));
    }
  });
  els.shadeId.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { e.preventDefault(); els.shadeApply.click(); }
  });
  els.shadeApply.addEventListener("click", () => {
    const id = parseFeature(els.shadeId.value);
    if (id == null) {
      setStatus(h("p", { class: "muted" }, "Enter a latent id (a whole number) to shade by it."));
      return;
    }
    if (state.data && state.text === els.text.value) pickLatent(id);
    else run(els.text.value, id);
  });
  els.shadeStrongest.addEventListener("click", () => {
    els.shadeId.value = "";
    if (state.data && state.text === els.text.value) pickLatent(null);
    else if (els.text.value.trim()) run(els.text.value, null);
  });

  let sae;
  try {
    sae = await getSae();
  } catch (e) {
    showError($("#page-error"), e, "Could not reach the server");
    return;
  }
  state.sae = sae;
  if (!sae.live) {
    setLiveOff(null);
    return;
  }
  const lim = sae.live_limits;
  if (lim) {
    $("#limits").textContent = ` · up to ${fmtInt(lim.max_text_bytes)} bytes and ${fmtInt(lim.max_tokens)} tokens`;
    if (sae.sae && sae.sae.n_latents) els.shadeId.max = String(sae.sae.n_latents - 1);
  }
  if (sae.sae && sae.sae.hook) $("#hook").textContent = `at ${sae.sae.hook}`;
  if (text.trim()) run(text, feature);
  else els.text.focus();
}

main();
