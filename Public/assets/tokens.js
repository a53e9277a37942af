// Rendering of tokens and activation shading. The pure functions at the top are exported
// for reuse/testing; renderExample() builds DOM with text nodes only.

import { h, fmtAct } from "./dom.js";

/** How a token is drawn: control characters become visible symbols, spaces stay (CSS white-space: pre-wrap). */
export function displayToken(tok) {
  return String(tok)
    .replace(/\r\n/g, "␍↵")
    .replace(/\n/g, "↵")
    .replace(/\r/g, "␍")
    .replace(/\t/g, "⇥");
}

/** A token written for a tooltip or info line: quoted, with escapes, so leading spaces show. */
export function quoteToken(tok) {
  return JSON.stringify(String(tok));
}

/** Number of newline characters in a token (each gets a real line break when breaks are on). */
export function newlineCount(tok) {
  return (String(tok).match(/\n/g) || []).length;
}

/** Opacity of a token's shade: activation relative to the page's largest activation, clamped to 0…1. */
export function shade(act, max) {
  if (!(act > 0) || !(max > 0)) return 0;
  return Math.min(1, act / max);
}

/** Largest activation over a list of examples (uses both the activations and max_activation). */
export function examplesMax(examples) {
  let m = 0;
  for (const ex of examples || []) {
    if (ex.max_activation > m) m = ex.max_activation;
    for (const a of ex.activations || []) if (a > m) m = a;
  }
  return m;
}

/** Largest activation on a feature page: top examples and every interval group. */
export function featurePageMax(feature) {
  const ex = feature.examples || {};
  let m = examplesMax(ex.top);
  for (const g of ex.intervals || []) m = Math.max(m, examplesMax(g.examples));
  return m;
}

/** Index of an example's largest activation (max_index when valid, else computed). */
export function maxIndex(ex) {
  const acts = ex.activations || [];
  if (Number.isInteger(ex.max_index) && ex.max_index >= 0 && ex.max_index < acts.length) return ex.max_index;
  let best = -1, bv = 0;
  acts.forEach((a, i) => { if (a > bv) { bv = a; best = i; } });
  return best;
}

/**
 * Tokens as a <p class="snippet"> of <span class="tok"> elements.
 * Each token carries data-act (its activation) and data-i; shaded tokens also data-shade
 * (opacity, 3 decimals) and the CSS variable --a used for their background.
 * Newline tokens are followed by <br class="nl"> (hidden unless line breaks are switched on).
 * opts: scaleOf(i) — the activation that shades token i fully; maxIndex — the token to outline;
 * titleOf(i, a) — its hover title; special — booleans, special tokens get class "special".
 */
export function renderTokens(tokens, activations, opts = {}) {
  const p = h("p", { class: "snippet" });
  const { scaleOf = () => 0, maxIndex: mi = -1, titleOf, special = [] } = opts;
  const acts = activations || [];
  (tokens || []).forEach((tok, i) => {
    const a = Number(acts[i]) || 0;
    const alpha = shade(a, scaleOf(i));
    const span = h("span", {
      class: "tok" + (alpha > 0 ? " on" : "") + (alpha >= 0.5 ? " hot" : "") + (i === mi ? " max" : "")
        + (special[i] ? " special" : ""),
      title: titleOf ? titleOf(i, a) : `${quoteToken(tok)}  activation ${fmtAct(a)}`,
      dataset: { act: String(a), i: String(i) },
    }, displayToken(tok));
    if (alpha > 0) {
      span.dataset.shade = alpha.toFixed(3);
      span.style.setProperty("--a", alpha.toFixed(3));
    }
    if (tok === "") span.classList.add("empty");
    p.appendChild(span);
    for (let k = newlineCount(tok); k > 0; k--) p.appendChild(h("br", { class: "nl" }));
  });
  return p;
}

/** One example (tokens + activations) on one scale, its max token outlined. */
export function renderExample(ex, scaleMax) {
  return renderTokens(ex.tokens, ex.activations, { scaleOf: () => scaleMax, maxIndex: maxIndex(ex) });
}

/** A token shown on its own (logit lists, token search results); whitespace-only tokens show ␣. */
export function tokenChip(tok) {
  const t = String(tok);
  const shown = /^ +$/.test(t) ? "␣".repeat(t.length) : displayToken(t);
  return h("code", { class: "tokchip" + (shown !== t ? " marked" : ""), title: quoteToken(t) }, shown);
}
