// Small DOM helpers. Data only ever reaches the page as text nodes or attribute values:
// nothing here touches innerHTML, and there is no way to pass a `style` attribute string.

const SVG_NS = "http://www.w3.org/2000/svg";

function setProps(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === "class") el.setAttribute("class", v);
    else if (k === "text") el.textContent = String(v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" || k === "innerHTML" || k.startsWith("on")) {
      throw new Error(`h(): refusing property ${k}`);
    } else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
}

export function append(el, children) {
  for (const c of children) {
    if (c == null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

/** h("a", {href: "/x", class: "y"}, "text", child, [more]) */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  return append(el, children);
}

/** Same as h() in the SVG namespace. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setProps(el, props);
  return append(el, children);
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function $(sel, root = document) {
  return root.querySelector(sel);
}

// ---- number formatting ------------------------------------------------------

const intFmt = new Intl.NumberFormat("en-US");

export function fmtInt(n) {
  return n == null || !Number.isFinite(Number(n)) ? "—" : intFmt.format(Number(n));
}

/** A compact decimal: 3 significant digits, plain notation for typical magnitudes. */
export function fmtNum(x, digits = 3) {
  if (x == null || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(digits - 1);
  if (a >= 100) return x.toFixed(1);
  return String(Number(x.toPrecision(digits)));
}

/** Activation values: fixed 2 decimals (3 for small ones) so columns line up. */
export function fmtAct(x) {
  if (x == null || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  return a < 0.1 ? x.toFixed(3) : x.toFixed(2);
}

/** Density (a fraction of tokens) as a percentage with 3 significant digits. */
export function fmtDensity(d) {
  if (d == null || !Number.isFinite(d)) return "—";
  if (d === 0) return "0%";
  const p = d * 100;
  if (p < 1e-4) return `${(p).toExponential(2)}%`;
  return `${Number(p.toPrecision(3))}%`;
}

export function fmtPercent(f, digits = 1) {
  if (f == null || !Number.isFinite(f)) return "—";
  const p = f * 100;
  if (p > 0 && p < 0.1) return "<0.1%";
  return `${p.toFixed(digits).replace(/\.0+$/, "")}%`;
}

const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
/** 10 to an integer power, e.g. pow10Label(-3) === "10⁻³". */
export function pow10Label(k) {
  return "10" + String(k).split("").map((c) => SUP[c] ?? c).join("");
}
