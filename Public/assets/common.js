// Shared page chrome: the "Random latent" button and error display.

import { getSae } from "./api.js";
import { h, clear } from "./dom.js";

/** A uniformly random latent id in 0 … n−1. */
export function randomId(n) {
  return Math.floor(Math.random() * n);
}

export function initChrome() {
  for (const btn of document.querySelectorAll("[data-random]")) {
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        const sae = await getSae();
        location.assign(`/features/${randomId(sae.sae.n_latents)}`);
      } catch (e) {
        btn.disabled = false;
        btn.title = `could not pick a random latent: ${e.message}`;
        showError(document.getElementById("page-error") || document.getElementById("status"), e);
      }
    });
  }
}

/** Put an error message (text only) into `el` and reveal it. */
export function showError(el, err, prefix = "") {
  if (!el) return;
  clear(el);
  el.hidden = false;
  el.classList.add("error");
  el.setAttribute("role", "alert");
  el.appendChild(h("p", {}, h("strong", {}, prefix || "Error"), ": ", err && err.message ? err.message : String(err)));
}
