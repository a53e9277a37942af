// The feature page's "Try it on your text" card: POST /api/activations with this latent's id
// and shade the text by its exact values (scale: the latent's corpus max activation).
// /features/ID?text=… prefills the box and runs it.

import { apiPost, getSae, ApiError } from "./api.js";
import { h, clear, $, fmtInt, fmtAct } from "./dom.js";
import { renderTokens, tokenChip, quoteToken } from "./tokens.js";
import { liveHref, peak, errorMessage } from "./livecore.js";

/**
 * id: this latent; scaleMax: the activation that shades fully (its stats max, else 0 to use the
 * text's max); onSnippet(p, tokens, activations): lets the page register the snippet for its token info.
 */
export async function mountTry({ id, scaleMax, onSnippet }) {
  const form = $("#try-form"), text = $("#try-text"), out = $("#try-result"), open = $("#try-open");
  const loading = $("#try-loading");
  const setOpen = () => { open.href = liveHref(text.value, id); };
  let sae;
  try {
    sae = await getSae();
  } catch (e) {
    loading.hidden = true;
    clear(out).append(h("p", { class: "muted" }, `Could not ask the server whether live activations are on: ${e.message}`));
    return;
  }
  loading.hidden = true;
  if (!sae.live) {
    $("#try-off").hidden = false;
    return;
  }
  form.hidden = false;
  const initial = new URLSearchParams(location.search).get("text") || "";
  text.value = initial;
  setOpen();
  text.addEventListener("input", setOpen);

  let seq = 0;
  const run = async () => {
    const t = text.value;
    if (!t.trim()) {
      clear(out).append(h("p", { class: "muted" }, "Type or paste some text first."));
      return;
    }
    const mine = ++seq;
    clear(out).append(h("p", { class: "loading" }, "Running the model…"));
    let d;
    try {
      d = await apiPost("activations", { text: t, features: [id], top_k: 1, top_latents: 1 });
    } catch (e) {
      if (mine !== seq) return;
      clear(out).append(h("div", { class: "error", role: "alert" },
        h("p", {}, h("strong", {}, e instanceof ApiError && e.status === 413 ? "Too long" : e instanceof ApiError && e.status === 503 ? "Busy" : "Could not run"), ": ", errorMessage(e))));
      return;
    }
    if (mine !== seq) return;
    const f = (d.features || []).find((x) => x.id === id);
    const acts = f ? f.activations : d.tokens.map(() => 0);
    const special = d.special || [];
    const pk = peak(acts, special);
    const scale = scaleMax > 0 ? scaleMax : pk.max;
    const p = renderTokens(d.tokens, acts, {
      scaleOf: (i) => (special[i] ? 0 : scale), maxIndex: pk.index, special,
      titleOf: (i, a) => `${quoteToken(d.tokens[i])}  activation ${fmtAct(a)}${special[i] ? "  (special token)" : ""}`,
    });
    if (onSnippet) onSnippet(p, d.tokens, acts);
    const fires = acts.filter((a, i) => a > 0 && !special[i]).length;
    const ordinary = d.tokens.length - special.filter(Boolean).length;
    clear(out).append(p, h("p", { class: "try-summary" },
      pk.index >= 0
        ? h("span", {}, "max ", h("strong", {}, fmtAct(pk.max)), " on ", tokenChip(d.tokens[pk.index]),
          scaleMax > 0 ? ` (${Math.round((pk.max / scaleMax) * 100)}% of its corpus max ${fmtAct(scaleMax)})` : "")
        : h("span", {}, "This latent does not fire on this text."),
      h("span", {}, `fires on ${fmtInt(fires)} of ${fmtInt(ordinary)} tokens`)));
    setOpen();
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); run(); });
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  });
  if (initial.trim()) run();
}
