// Helpers shared by the live page and the feature page's try-it card (no side effects).

import { ApiError } from "./api.js";

const URL_TEXT_MAX = 2000; // longer texts are not written into links or the address bar

/** `/live?text=…&feature=ID`, or a bare path when the text is too long for a link. */
export function liveHref(text, feature) {
  const p = new URLSearchParams();
  if (text && text.length <= URL_TEXT_MAX) p.set("text", text);
  if (feature != null) p.set("feature", String(feature));
  const q = p.toString();
  return q ? `/live?${q}` : "/live";
}

/** The text's largest value among ordinary (non-special) tokens, and where it is. */
export function peak(acts, special = []) {
  let best = -1, max = 0;
  (acts || []).forEach((a, i) => { if (!special[i] && a > max) { max = a; best = i; } });
  return { index: best, max };
}

/** A human sentence for a failed request, by status. */
export function errorMessage(e) {
  if (!(e instanceof ApiError)) return String(e && e.message ? e.message : e);
  const msg = String(e.message).replace(/[.\s]+$/, "");
  if (e.status === 413) return `${msg}. Shorten the text and run again.`;
  if (e.status === 503 && e.retryAfter != null && !/try again|retry/i.test(msg)) return `${msg}. Try again in ${e.retryAfter} s.`;
  return e.message;
}

