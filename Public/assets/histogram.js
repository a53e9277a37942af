// Histograms as inline SVG, drawn at the container's real pixel width (re-drawn on resize),
// so text stays legible on a phone. Every bin is a <g class="bin"> with a <title> tooltip.

import { s, clear, fmtInt } from "./dom.js";

/** About `n` "nice" tick values covering [lo, hi]. */
export function niceTicks(lo, hi, n = 4) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Smallest "nice" round number >= v (used as the top of the y axis). */
export function niceCeil(v, n = 4) {
  if (!(v > 0)) return 1;
  const raw = v / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((x) => x >= raw) || raw;
  return Math.ceil(v / step - 1e-9) * step;
}

function compact(n) {
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e4) return `${Number((n / 1e3).toPrecision(3))}k`;
  return fmtInt(n);
}

/**
 * Build an <svg class="hist">.
 * opts: counts, min, max, width, height, xTicks [{value,label}], xLabel, yLabel, logY,
 *       binTitle(i, lo, hi, count) -> string, binOpacity(i, lo, hi) -> 0..1, title (accessible name)
 */
export function buildHistogram(opts) {
  const counts = opts.counts || [];
  const W = Math.max(240, Math.floor(opts.width || 600));
  const H = opts.height || 190;
  const m = { l: 52, r: 14, t: 10, b: 42 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const lo = opts.min, hi = opts.max > opts.min ? opts.max : opts.min + 1;
  const n = Math.max(1, counts.length);
  const bw = pw / n;
  const cmax = Math.max(0, ...counts);
  const yv = (c) => (opts.logY ? Math.log10(1 + c) : c);
  const ytop = opts.logY ? Math.max(1, Math.ceil(yv(cmax))) : niceCeil(cmax, 4);
  const y = (c) => m.t + ph - (yv(c) / ytop) * ph;
  const x = (v) => m.l + ((v - lo) / (hi - lo)) * pw;

  const svg = s("svg", {
    class: "hist", width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
    "aria-label": opts.title || "histogram",
  }, s("title", {}, opts.title || "histogram"));

  // y grid + labels
  const yticks = opts.logY
    ? Array.from({ length: ytop + 1 }, (_, k) => ({ c: 10 ** k - 1, label: k === 0 ? "0" : compact(10 ** k) }))
    : niceTicks(0, ytop, 4).map((c) => ({ c, label: compact(c) }));
  const grid = s("g", { class: "grid" });
  for (const t of yticks) {
    const yy = Math.round(y(t.c)) + 0.5;
    grid.appendChild(s("line", { x1: m.l, x2: W - m.r, y1: yy, y2: yy }));
    grid.appendChild(s("text", { x: m.l - 6, y: yy, "text-anchor": "end", "dominant-baseline": "middle" }, t.label));
  }
  svg.appendChild(grid);

  // bars
  const bars = s("g", { class: "bars" });
  counts.forEach((c, i) => {
    const blo = lo + ((hi - lo) * i) / n, bhi = lo + ((hi - lo) * (i + 1)) / n;
    const gap = bw > 4 ? 1 : 0;
    const bx = m.l + i * bw + gap / 2;
    let top = y(c);
    if (c > 0 && m.t + ph - top < 1.5) top = m.t + ph - 1.5; // never invisible when non-empty
    const g = s("g", { class: "bin", "data-count": c },
      s("title", {}, opts.binTitle ? opts.binTitle(i, blo, bhi, c) : `${blo}–${bhi}: ${c}`),
      s("rect", { class: "hit", x: m.l + i * bw, y: m.t, width: bw, height: ph }),
      s("rect", { class: "bar", x: bx, y: top, width: Math.max(0.5, bw - gap), height: Math.max(0, m.t + ph - top) }));
    if (opts.binOpacity) g.lastChild.setAttribute("fill-opacity", opts.binOpacity(i, blo, bhi).toFixed(3));
    bars.appendChild(g);
  });
  svg.appendChild(bars);

  // x axis
  const axis = s("g", { class: "axis" });
  axis.appendChild(s("line", { x1: m.l, x2: W - m.r, y1: m.t + ph + 0.5, y2: m.t + ph + 0.5 }));
  const xt = opts.xTicks || niceTicks(lo, hi, Math.max(2, Math.floor(pw / 70))).map((v) => ({ value: v, label: String(v) }));
  for (const t of xt) {
    if (t.value < lo - 1e-9 || t.value > hi + 1e-9) continue;
    const xx = Math.round(x(t.value)) + 0.5;
    axis.appendChild(s("line", { x1: xx, x2: xx, y1: m.t + ph, y2: m.t + ph + 5 }));
    axis.appendChild(s("text", { x: xx, y: m.t + ph + 17, "text-anchor": "middle" }, t.label));
  }
  if (opts.xLabel) axis.appendChild(s("text", { class: "label", x: m.l + pw / 2, y: H - 4, "text-anchor": "middle" }, opts.xLabel));
  if (opts.yLabel) {
    axis.appendChild(s("text", {
      class: "label", x: 0, y: 0, "text-anchor": "middle",
      transform: `translate(12 ${m.t + ph / 2}) rotate(-90)`,
    }, opts.yLabel));
  }
  svg.appendChild(axis);
  return svg;
}

/** Draw into `container` at its width and keep redrawing when the width changes. Returns a redraw function. */
export function mountHistogram(container, opts) {
  let lastW = -1;
  let current = opts;
  const draw = () => {
    const w = container.clientWidth || 600;
    lastW = w;
    clear(container).appendChild(buildHistogram({ ...current, width: w }));
  };
  draw();
  if (typeof ResizeObserver === "function") {
    // Redraw inside the observer callback (not a later frame) so the first paint is already right;
    // the width check keeps a redraw from re-triggering itself.
    new ResizeObserver(() => {
      if (container.clientWidth !== lastW) draw();
    }).observe(container);
  }
  return (patch) => { current = { ...current, ...patch }; draw(); };
}
