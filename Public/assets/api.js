// Fetch wrapper for the saescope JSON API (docs/API.md).

export class ApiError extends Error {
  constructor(status, message, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    /** Seconds from a Retry-After header (503 when the live queue is full), else null. */
    this.retryAfter = retryAfter;
  }
}

/**
 * GET /api/<path> with query parameters (null/undefined/"" values are left out).
 * Resolves to the parsed JSON; throws ApiError carrying the API's own error message.
 */
export async function api(path, params = {}) {
  const url = new URL(`/api/${path.replace(/^\/+/, "")}`, location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v != null && v !== "") url.searchParams.set(k, String(v));
  }
  let res;
  try {
    res = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (e) {
    throw new ApiError(0, `cannot reach the server (${e.message})`);
  }
  return readJSON(res);
}

/**
 * POST /api/<path> with a JSON body. Resolves to the parsed JSON; throws ApiError carrying the
 * API's own message, the status, and Retry-After (seconds) when the server sent one.
 */
export async function apiPost(path, payload, { signal } = {}) {
  let res;
  try {
    res = await fetch(`/api/${path.replace(/^\/+/, "")}`, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      signal,
    });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new ApiError(0, `cannot reach the server (${e.message})`);
  }
  return readJSON(res);
}

/** A response's JSON body; an ApiError with the API's own message (and Retry-After) if not ok. */
async function readJSON(res) {
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const msg = body && body.error && body.error.message;
    const ra = parseInt(res.headers.get("Retry-After") || "", 10);
    throw new ApiError(res.status, msg || `HTTP ${res.status} ${res.statusText || ""}`.trim(), Number.isFinite(ra) ? ra : null);
  }
  if (body == null) throw new ApiError(res.status, "the server sent a response that is not JSON");
  return body;
}

/**
 * Turn what a user typed into a safe FTS5 query: every word quoted ("" doubles a quote),
 * the last word made a prefix match. `french pla` -> `"french" "pla"*`.
 */
export function ftsQuery(input) {
  const words = String(input).trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "";
  return words.map((w) => `"${w.replaceAll('"', '""')}"`).join(" ") + "*";
}

let saeCache = null;
/** GET /api/sae, once per page. */
export function getSae() {
  if (!saeCache) saeCache = api("sae").catch((e) => { saeCache = null; throw e; });
  return saeCache;
}
