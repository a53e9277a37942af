// One latent: explanation, stats, activation histogram, logits, neighbours, examples.
// Every token on the page is shaded on one scale: activation / largest activation on the page.

import { api, ApiError } from "./api.js";
import { h, append, clear, $, fmtInt, fmtNum, fmtAct, fmtDensity, fmtPercent } from "./dom.js";
import { mountHistogram } from "./histogram.js";
import { renderExample, featurePageMax, tokenChip, quoteToken, displayToken } from "./tokens.js";
import { initChrome, showError } from "./common.js";
import { mountTry } from "./tryit.js";

const BREAKS_KEY = "saescope.lineBreaks";
const LOGY_KEY = "saescope.histLogY";

function store(key, value) {
  try { localStorage.setItem(key, value ? "1" : "0"); } catch { /* private mode */ }
}
function stored(key) {
  try { return localStorage.getItem(key) === "1"; } catch { return false; }
}

function parseId() {
  const m = location.pathname.match(/^\/features\/([^/]+)\/?$/);
  return m ? decodeURIComponent(m[1]) : "";
}

// ---- sections ---------------------------------------------------------------

function badge(exp) {
  return h("span", {
    class: `badge ${exp.automatic ? "auto" : "manual"}`,
    title: exp.automatic ? "generated automatically" : "written by a person",
  }, exp.source || (exp.automatic ? "auto" : "manual"));
}

function renderHeader(f) {
  $("#title").textContent = `Latent ${f.id}`;
  document.title = `Latent ${f.id}${f.explanation ? ` · ${f.explanation.text}` : ""} · saescope`;
  const exp = $("#explanation");
  clear(exp);
  if (f.explanation && f.explanation.text) exp.append(h("span", { class: "exp-text" }, f.explanation.text), " ", badge(f.explanation));
  else exp.append(h("span", { class: "muted" }, "No explanation yet."));
  const others = (f.explanations || []).filter((e) => e && e.text);
  const det = $("#other-exps");
  if (others.length > 1) {
    det.hidden = false;
    clear($("#other-exps-list")).append(others.map((e) => h("li", {}, h("span", { class: "exp-text" }, e.text), " ", badge(e))));
  }
  const pn = $("#prevnext");
  pn.hidden = false;
  for (const [sel, target, label] of [["#prev-link", f.prev, (t) => `← #${t}`], ["#next-link", f.next, (t) => `#${t} →`]]) {
    const a = $(sel);
    if (target == null) {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
      a.textContent = sel === "#prev-link" ? "← first" : "last →";
    } else {
      a.href = `/features/${target}`;
      a.textContent = label(target);
      a.removeAttribute("aria-disabled");
    }
  }
}

function renderStats(st) {
  const row = (label, value, title) => h("div", {}, h("dt", {}, label), h("dd", title ? { title } : {}, value));
  clear($("#stats")).append(
    row("Density", st.density === 0 ? "0 (dead)" : fmtDensity(st.density), `fraction of tokens where it fires: ${st.density}`),
    row("Max activation", fmtAct(st.max_activation), String(st.max_activation)),
    row("Mean", fmtNum(st.mean), `mean activation over all tokens, zeros included: ${st.mean}`),
    row("Mean square", fmtNum(st.mean_square), String(st.mean_square)),
    row("Skew", fmtNum(st.skew), String(st.skew)),
    row("Kurtosis", fmtNum(st.kurtosis), String(st.kurtosis)),
  );
}

function renderHistogram(hist, scaleMax) {
  const box = $("#act-hist");
  const counts = (hist && hist.counts) || [];
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) {
    clear(box).append(h("p", { class: "muted" }, "This latent never fires in the indexed corpus."));
    $("#logy").closest("label").hidden = true;
    return;
  }
  const logy = $("#logy");
  logy.checked = stored(LOGY_KEY);
  const redraw = mountHistogram(box, {
    counts, min: hist.min, max: hist.max, logY: logy.checked, height: 210,
    xLabel: "activation", yLabel: logy.checked ? "count (log)" : "count",
    title: `Histogram of ${fmtInt(total)} positive activations from ${fmtAct(hist.min)} to ${fmtAct(hist.max)}`,
    binTitle: (i, a, b, c) => `${fmtAct(a)} – ${fmtAct(b)}: ${fmtInt(c)} (${fmtPercent(c / total)})`,
    binOpacity: (i, a, b) => 0.45 + 0.55 * Math.min(1, ((a + b) / 2) / (scaleMax || hist.max || 1)),
  });
  logy.addEventListener("change", () => {
    store(LOGY_KEY, logy.checked);
    redraw({ logY: logy.checked, yLabel: logy.checked ? "count (log)" : "count" });
  });
}

function logitTable(table, rows, sign, maxAbs) {
  clear(table).append(
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Token"), h("th", { scope: "col", class: "num" }, "Logit"))),
    h("tbody", {}, rows.length ? rows.map((r) => {
      const bar = h("span", { class: `lbar ${sign}` });
      bar.style.width = `${(Math.abs(r.value) / maxAbs) * 100}%`;
      return h("tr", { class: "logit" },
        h("td", {}, tokenChip(r.token)),
        h("td", { class: "num", title: String(r.value) },
          h("span", { class: "lval" }, h("span", { class: "ltrack" }, bar), h("span", { class: "lnum" }, fmtNum(r.value)))));
    }) : h("tr", {}, h("td", { colspan: 2, class: "muted" }, "none"))),
  );
}

function renderNeighbors(list) {
  const ol = clear($("#neighbors"));
  if (!list || !list.length) {
    ol.append(h("li", { class: "muted" }, "No neighbours listed."));
    return;
  }
  for (const n of list) {
    const text = n.explanation ? n.explanation.text : null;
    ol.append(h("li", {},
      h("a", { href: `/features/${n.id}`, class: "lid" }, `#${n.id}`),
      h("span", { class: "cos", title: `cosine similarity ${n.cosine}` }, fmtNum(n.cosine, 2)),
      text ? h("span", { class: "exp-text" }, text) : h("span", { class: "muted" }, "no explanation")));
  }
}

const snippetData = new WeakMap(); // <p class="snippet"> -> its EXAMPLE object

function exampleItem(ex, scaleMax) {
  const meta = h("div", { class: "ex-meta" },
    h("span", { class: "ex-max", title: "largest activation in this snippet" }, `max ${fmtAct(ex.max_activation)}`),
    ex.document != null ? h("span", {}, `doc ${ex.document}${ex.offset != null ? ` @ ${ex.offset}` : ""}`) : null);
  const p = renderExample(ex, scaleMax);
  snippetData.set(p, ex);
  return h("li", { class: "ex" }, meta, p);
}

function renderExamples(examples, scaleMax) {
  const top = clear($("#top-examples"));
  const list = (examples && examples.top) || [];
  if (!list.length) top.append(h("li", { class: "muted" }, "No examples: this latent never fired on the indexed corpus."));
  for (const ex of list) top.append(exampleItem(ex, scaleMax));

  const iv = clear($("#intervals"));
  const groups = (examples && examples.intervals) || [];
  if (!groups.length) iv.append(h("p", { class: "muted" }, "No interval samples."));
  groups.slice().reverse().forEach((g, k) => {
    const hid = `iv-${k}`;
    iv.append(h("section", { class: "interval", "aria-labelledby": hid },
      h("h3", { id: hid },
        h("span", { class: "range" }, `${fmtAct(g.min)} – ${fmtAct(g.max)}`),
        h("span", { class: "contains" }, `contains ${fmtPercent(g.contains)}`)),
      g.examples && g.examples.length
        ? h("ol", { class: "examples" }, g.examples.map((ex) => exampleItem(ex, scaleMax)))
        : h("p", { class: "muted" }, "No examples in this range.")));
  });

  const legend = clear($("#legend"));
  if (scaleMax > 0) {
    legend.append(
      h("span", {}, "Shading: activation ÷ the page maximum"),
      h("span", { class: "scale", "aria-hidden": "true" }, h("span", { class: "ramp" })),
      h("span", { class: "scale-ends" }, `0 … ${fmtAct(scaleMax)}`),
      h("span", { class: "muted" }, "· click a token for its value"));
  }
}

// ---- token info (hover shows a title; click/tap shows this line) ------------------

function initTokenInfo(feature, scaleMax) {
  const box = $("#tok-info"), text = $("#tok-info-text");
  let selected = null;
  const hide = () => {
    box.hidden = true;
    if (selected) selected.classList.remove("selected");
    selected = null;
  };
  $("#feature").addEventListener("click", (e) => {
    const tok = e.target.closest(".tok");
    if (!tok) return;
    const ex = snippetData.get(tok.closest(".snippet"));
    const i = Number(tok.dataset.i);
    const a = Number(tok.dataset.act);
    // Recover the raw token from the example data so the info line shows escapes exactly.
    const raw = ex ? ex.tokens[i] : tok.textContent;
    if (selected) selected.classList.remove("selected");
    selected = tok;
    tok.classList.add("selected");
    append(clear(text), [
      h("code", { class: "tokchip" }, displayToken(raw)), " ",
      h("span", { class: "muted" }, quoteToken(raw)), " ",
      h("strong", {}, `activation ${fmtAct(a)}`),
      scaleMax > 0 ? h("span", { class: "muted" }, ` (${fmtPercent(a / scaleMax, 0)} of page max)`) : null,
      ex && ex.document != null
        ? h("span", { class: "muted" }, ` · doc ${ex.document}, position ${(ex.offset || 0) + i}`) : null]);
    box.hidden = false;
  });
  $("#tok-info-close").addEventListener("click", hide);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") hide(); });
}

function initBreaks() {
  const cb = $("#breaks");
  const apply = () => document.body.classList.toggle("show-breaks", cb.checked);
  cb.checked = stored(BREAKS_KEY);
  apply();
  cb.addEventListener("change", () => { store(BREAKS_KEY, cb.checked); apply(); });
}

function initKeys(f) {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const t = e.target;
    if (t && t.closest && t.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']")) return;
    if (e.key === "ArrowLeft" && f.prev != null) location.assign(`/features/${f.prev}`);
    else if (e.key === "ArrowRight" && f.next != null) location.assign(`/features/${f.next}`);
  });
}

// ---- main -------------------------------------------------------------------

async function main() {
  initChrome();
  initBreaks();
  const status = $("#status");
  const raw = parseId();
  if (!/^\d+$/.test(raw)) {
    $("#title").textContent = "No such latent";
    showError(status, new Error(`“${raw}” is not a latent id; ids are whole numbers.`), "No such latent");
    status.append(h("p", {}, h("a", { href: "/" }, "Back to all latents")));
    return;
  }
  const id = Number(raw);
  $("#title").textContent = `Latent ${id}`;
  let f;
  try {
    f = await api(`features/${id}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      $("#title").textContent = "No such latent";
      document.title = "No such latent · saescope";
      showError(status, e, "Not found");
    } else {
      showError(status, e, "Could not load this latent");
    }
    status.append(h("p", {}, h("a", { href: "/" }, "Back to all latents")));
    return;
  }
  try {
    const scaleMax = featurePageMax(f);
    renderHeader(f);
    renderStats(f.stats || {});
    const lt = (f.logits && f.logits.top) || [], lb = (f.logits && f.logits.bottom) || [];
    const maxAbs = Math.max(1e-9, ...[...lt, ...lb].map((r) => Math.abs(r.value))); // one scale for both lists
    logitTable($("#logits-top"), lt, "pos", maxAbs);
    logitTable($("#logits-bottom"), lb, "neg", maxAbs);
    renderNeighbors(f.neighbors);
    renderExamples(f.examples, scaleMax);
    status.hidden = true;
    $("#feature").hidden = false;
    renderHistogram(f.histogram, scaleMax); // after un-hiding, so it is drawn at the real width
    initTokenInfo(f, scaleMax);
    initKeys(f);
    mountTry({
      id, scaleMax: (f.stats && f.stats.max_activation) || scaleMax,
      onSnippet: (p, tokens, activations) => snippetData.set(p, { tokens, activations }),
    });
  } catch (e) {
    status.hidden = false;
    showError(status, e, "Could not show this latent");
  }
}

main();
