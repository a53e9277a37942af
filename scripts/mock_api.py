#!/usr/bin/env python3
"""Mock saescope server: serves Public/ like the real server and fake API JSON per docs/API.md.

Usage: python3 scripts/mock_api.py [--port 8080] [--host 127.0.0.1] [--live]

Path mapping (mirrors the Swift server):
  /                 -> Public/index.html
  /features/{id}    -> Public/feature.html
  /live             -> Public/live.html
  /api/...          -> fake JSON (deterministic, seeded by latent id)
  POST /api/activations -> with --live (or MOCK_LIVE=1): fake live activations (words as tokens,
                       a "<|im_start|>" special token first; text containing MOCK_BUSY answers 503
                       with Retry-After); without: 503 "live activations need a language model…"
  anything else     -> the file under Public/ (404 if absent)

Every latent's first top example contains tricky tokens (an HTML injection attempt, "\\n",
leading spaces, an emoji split over two tokens, CJK, "&amp;", a very long token, zeros);
one example per latent is 500+ characters long.  (/favicon.ico is not special: like the real
server, only Public/favicon.ico would answer it; the pages link /favicon.svg.)  Latent 13 has no explanation; a few latents
(every 997th) are dead (density 0, no examples).
"""
import argparse
import json
import math
import os
import random
import re
import sys
import time
import zlib
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from urllib.parse import urlsplit, parse_qs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC = os.path.join(ROOT, "Public")
N_LATENTS = 16384
XSS = "<img src=x onerror=alert(1)>"

WORDS = [" the", " of", " and", " to", " in", " a", " is", " that", " for", " it", " was", " on",
         " Paris", " France", " capital", " river", " city", " code", " function", " return",
         " model", " layer", " token", " sparse", " feature", "ing", "ly", "ed", ",", ".", " (",
         ")", ":", " —", " \"", "\"", " 2024", " 42", " München", " café", " naïve", "s", " 東京",
         "の", "日本", " data", " we", " they", " said", " because", " however", "\t", "  ", "    return"]
TRICKY = ["Hello", " world", XSS, "\n", "  indented", "😀", "😀", " 東京", "は", "&amp;", " &lt;b&gt;",
          " " + "supercalifragilisticexpialidocious" * 3, "\n", "\n", "def", " f", "():", "\t", "x"]
TOPICS = ["French places and landmarks", "Python function definitions", "closing parentheses in code",
          "the word 'the' after prepositions", "emoji and emoticons", "Japanese text", "HTML entities such as &amp;",
          "numbers in dates", "negation: not, never, no", "legal language", "mathematical notation",
          "rivers and lakes", "first-person plural pronouns", "quotation marks opening dialogue",
          "newlines between paragraphs", "German words with umlauts", "sports scores", "<script> tags and HTML"]

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
                 ".png": "image/png", ".ico": "image/x-icon", ".json": "application/json; charset=utf-8",
                 ".txt": "text/plain; charset=utf-8"}


class ApiError(Exception):
    def __init__(self, status, message, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def is_dead(i):
    return i % 997 == 500


def explanation(i):
    if i == 13:
        return None
    r = random.Random(i * 7 + 1)
    topic = r.choice(TOPICS)
    if i % 5 == 0:
        return {"text": topic, "source": "manual", "automatic": False}
    return {"text": "fires on: %s (%s)" % (json.dumps(r.choice(WORDS), ensure_ascii=False), topic.lower()),
            "source": "auto", "automatic": True}


def summary_row(i):
    r = random.Random(i)
    if is_dead(i):
        return {"id": i, "density": 0.0, "max_activation": 0.0, "mean": 0.0, "explanation": explanation(i)}
    density = 10 ** r.uniform(-6.5, -0.5)
    mx = round(r.uniform(0.5, 40.0), 4)
    return {"id": i, "density": density, "max_activation": mx, "mean": round(mx * r.uniform(0.05, 0.4), 4),
            "explanation": explanation(i)}


ALL = [summary_row(i) for i in range(N_LATENTS)]


def density_histogram():
    lo, hi, nb = -7.0, 0.0, 56
    counts = [0] * nb
    for row in ALL:
        if row["density"] > 0:
            b = int((math.log10(row["density"]) - lo) / (hi - lo) * nb)
            counts[min(max(b, 0), nb - 1)] += 1
    return {"log10_min": lo, "log10_max": hi, "counts": counts}


SAE = {
    "sae": {"name": "demo", "architecture": "topk", "n_latents": N_LATENTS, "d_model": 576, "k": 32,
            "hook": "blocks.15.hook_resid_post", "layer": 15, "file": "sae.safetensors", "sha256": "ab" * 32},
    "model": {"name": "SmolLM2-135M-Instruct", "architecture": "llama", "file": "model.safetensors",
              "sha256": "cd" * 32},
    "corpus": {"name": "demo", "documents": 1200, "tokens": 1000000},
    "build": {"created_at": "2026-11-21T19:40:00Z", "saescope_version": "0.1.0", "context_length": 64},
    "summary": {"dead_latents": sum(1 for i in range(N_LATENTS) if is_dead(i)), "tokens_indexed": 1000000,
                "density_histogram": density_histogram()},
    "schema_version": 1,
    "live": False,
}


def example(r, peak, n, tricky=False, long=False):
    if tricky:
        toks = list(TRICKY)
    else:
        toks = [r.choice(WORDS) for _ in range(n)]
    if long:
        toks = [r.choice(WORDS) + (" lorem" if k % 3 == 0 else "") for k in range(140)]
    acts = []
    for _ in toks:
        acts.append(0.0 if r.random() < 0.55 else round(r.uniform(0, peak * 0.6), 3))
    mi = r.randrange(len(toks))
    if tricky:
        mi = 2  # the injection token carries the max
        acts[3] = 0.0
    acts[mi] = round(peak, 3)
    return {"tokens": toks, "activations": acts, "max_index": mi, "max_activation": acts[mi],
            "document": r.randrange(1200), "offset": r.randrange(0, 900)}


def feature(i):
    if not 0 <= i < N_LATENTS:
        raise ApiError(404, "no latent %d (ids are 0 to %d)" % (i, N_LATENTS - 1))
    row = ALL[i]
    r = random.Random(i + 12345)
    ex = row["explanation"]
    exps = [ex] if ex else []
    if ex and ex["source"] == "manual":
        exps.append({"text": "fires on: %s" % json.dumps(r.choice(WORDS), ensure_ascii=False), "source": "auto", "automatic": True})
    mx = row["max_activation"]
    stats = {"density": row["density"], "max_activation": mx, "mean": row["mean"],
             "mean_square": round(row["mean"] ** 2 * 1.6, 4), "skew": round(r.uniform(0.5, 3), 3),
             "kurtosis": round(r.uniform(2, 12), 3)}
    dead = is_dead(i)
    nb = 24
    counts = [0] * nb if dead else [max(0, int(4000 * math.exp(-b / 3.5) * r.uniform(0.7, 1.3))) for b in range(nb)]
    if not dead:
        counts[nb - 1] = max(counts[nb - 1], 1)
    top_logits = [{"token": t, "value": round(2.5 - k * 0.17 + r.uniform(0, 0.1), 3)}
                  for k, t in enumerate(r.sample(WORDS, 9) + [XSS])]
    bottom_logits = [{"token": t, "value": round(-2.4 + k * 0.17 - r.uniform(0, 0.1), 3)}
                     for k, t in enumerate(r.sample(WORDS, 9) + ["\n"])]
    neigh = []
    for k in range(8):
        j = (i * 31 + k * 977 + 5) % N_LATENTS
        e = ALL[j]["explanation"]
        neigh.append({"id": j, "cosine": round(0.7 - k * 0.06, 3), "explanation": e})
    if dead:
        top, intervals = [], []
    else:
        top = [example(r, mx, 0, tricky=True)]
        top.append(example(r, mx * 0.97, 0, long=True))
        top += [example(r, mx * (0.95 - k * 0.04), r.randrange(12, 48)) for k in range(8)]
        intervals = []
        total = sum(counts)
        ni = 5
        for b in range(ni):
            lo, hi = mx * b / ni, mx * (b + 1) / ni
            share = sum(counts[b * nb // ni:(b + 1) * nb // ni]) / total if total else 0
            exs = [example(r, r.uniform(lo, hi) or 0.001, r.randrange(10, 40)) for _ in range(3)]
            intervals.append({"min": round(lo, 4), "max": round(hi, 4), "contains": share, "examples": exs})
    return {"id": i, "explanation": ex, "explanations": exps, "stats": stats,
            "histogram": {"min": 0.0, "max": mx, "counts": counts},
            "logits": {"top": top_logits, "bottom": bottom_logits}, "neighbors": neigh,
            "examples": {"top": top, "intervals": intervals},
            "prev": i - 1 if i > 0 else None, "next": i + 1 if i < N_LATENTS - 1 else None}


def int_param(qs, name, default, lo, hi):
    v = qs.get(name, [None])[0]
    if v is None:
        return default
    if not re.fullmatch(r"-?\d+", v) or not lo <= int(v) <= hi:
        raise ApiError(400, "parameter '%s' must be an integer from %d to %d, got '%s'" % (name, lo, hi, v))
    return int(v)


def fts_match(q):
    """Very small FTS5 imitation: quoted words/phrases and bare words; trailing * = prefix. AND only."""
    if q.count('"') % 2:
        raise ApiError(400, "malformed search query: unterminated string")
    terms = re.findall(r'"((?:[^"]|"")*)"(\*?)|(\S+)', q)
    preds = []
    for quoted, star, bare in terms:
        if bare:
            if bare.upper() in ("AND", "OR", "NOT"):
                continue
            star = "*" if bare.endswith("*") else ""
            quoted = bare.rstrip("*")
            if re.search(r"[^\w]", quoted):
                raise ApiError(400, "malformed search query: fts5: syntax error near \"%s\"" % quoted[:20])
        word = quoted.replace('""', '"').lower()
        if star:
            preds.append(lambda t, w=word: any(x.startswith(w) for x in re.findall(r"\w+", t)))
        else:
            preds.append(lambda t, w=word: w in t)
    return lambda text: bool(preds) and all(p(text.lower()) for p in preds)


def features_page(qs):
    offset = int_param(qs, "offset", 0, 0, 2 ** 31)
    limit = int_param(qs, "limit", 50, 1, 500)
    sort = qs.get("sort", ["id"])[0]
    if sort not in ("id", "density", "max_activation"):
        raise ApiError(400, "parameter 'sort' must be one of id, density, max_activation, got '%s'" % sort)
    order = qs.get("order", ["asc" if sort == "id" else "desc"])[0]
    if order not in ("asc", "desc"):
        raise ApiError(400, "parameter 'order' must be asc or desc, got '%s'" % order)
    q = qs.get("q", [None])[0]
    rows = ALL
    if q:
        m = fts_match(q)
        rows = [x for x in ALL if x["explanation"] and m(x["explanation"]["text"])]
    rows = sorted(rows, key=lambda x: (x[sort], x["id"]), reverse=(order == "desc"))
    return {"total": len(rows), "offset": offset, "limit": limit, "sort": sort, "order": order, "q": q,
            "features": rows[offset:offset + limit]}


def search(qs):
    q = qs.get("q", [""])[0]
    if not q.strip():
        raise ApiError(400, "parameter 'q' is required")
    limit = int_param(qs, "limit", 50, 1, 200)
    m = fts_match(q)
    res = [{"id": x["id"], "explanation": x["explanation"], "density": x["density"],
            "max_activation": x["max_activation"]}
           for x in ALL if x["explanation"] and m(x["explanation"]["text"])]
    return {"q": q, "results": res[:limit]}


VOCAB = sorted(set(WORDS + TRICKY + [" Paris", "Paris", "paris"]))


def search_tokens(qs):
    token = qs.get("token", [None])[0]
    if token is None or token == "":
        raise ApiError(400, "parameter 'token' is required")
    limit = int_param(qs, "limit", 20, 1, 200)
    matches = []
    for tid, t in enumerate(VOCAB):
        if t == token or t.strip().lower() == token.strip().lower():
            r = random.Random(tid)
            lat = []
            for _ in range(limit):
                j = r.randrange(N_LATENTS)
                row = ALL[j]
                lat.append({"id": j, "count": r.randrange(1, 500), "mean_activation": round(r.uniform(0.5, 8), 3),
                            "max_activation": row["max_activation"], "explanation": row["explanation"]})
            lat.sort(key=lambda x: -x["mean_activation"])
            matches.append({"token_id": 1000 + tid * 37, "token": t, "latents": lat})
    return {"token": token, "matches": matches}


# ---- live activations (POST /api/activations) ----------------------------------------------

LIVE = os.environ.get("MOCK_LIVE") == "1"
LIVE_LIMITS = {"max_text_bytes": 16384, "max_tokens": 1024, "max_top_k": 64, "max_features": 64}
BOS = "<|im_start|>"


def crc(s):
    return zlib.crc32(s.encode("utf-8"))


def mock_tokenize(text):
    """Words with their leading space; newlines and other whitespace as tokens of their own."""
    return re.findall(r" ?" + re.escape(XSS) + r"| ?[^\s]+|\n|[^\S\n]+", text)  # the injection stays one token


def token_latents_of(tok, pos, requested):
    """{latent: value} for one token: 12 deterministic latents, plus requested ones on ~45% of tokens."""
    r = random.Random(crc(tok) * 31 + pos % 3)
    acts = {}
    for k in range(12):
        j = r.randrange(N_LATENTS)
        acts[j] = round(ALL[j]["max_activation"] * r.uniform(0.05, 0.9) if ALL[j]["max_activation"] else r.uniform(0.1, 2), 4)
    for j in requested:
        if crc("%s|%d" % (tok, j)) % 100 < 45:
            mx = ALL[j]["max_activation"] or 2.0
            acts[j] = round(mx * (0.15 + (crc("%d|%s" % (j, tok)) % 100) / 110), 4)
    return acts


def activations(body):
    if not LIVE:
        raise ApiError(503, "live activations need a language model and an SAE: start the server with "
                            "'saescope serve --index I --model M --sae S'")
    if not isinstance(body, dict):
        raise ApiError(400, "the request body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "field 'text' is required and must be a string")
    nbytes = len(text.encode("utf-8"))
    if nbytes > LIVE_LIMITS["max_text_bytes"]:
        raise ApiError(413, "field 'text' is %d bytes; this server takes at most %d" % (nbytes, LIVE_LIMITS["max_text_bytes"]))
    if "MOCK_BUSY" in text:
        raise ApiError(503, "the live model is busy (4 requests queued); retry shortly", {"Retry-After": "2"})
    feats = body.get("features") or []
    if not isinstance(feats, list) or not all(isinstance(x, int) and not isinstance(x, bool) for x in feats):
        raise ApiError(400, "field 'features' must be an array of latent ids")
    if len(feats) > LIVE_LIMITS["max_features"]:
        raise ApiError(400, "field 'features' has %d ids; at most %d" % (len(feats), LIVE_LIMITS["max_features"]))
    for j in feats:
        if not 0 <= j < N_LATENTS:
            raise ApiError(400, "field 'features' has latent %d; this SAE has latents 0 to %d" % (j, N_LATENTS - 1))
    def int_field(name, default, hi):
        v = body.get(name, default)
        if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= hi:
            raise ApiError(400, "field '%s' must be an integer from 1 to %d" % (name, hi))
        return v
    top_k = int_field("top_k", 8, LIVE_LIMITS["max_top_k"])
    n_top = int_field("top_latents", 50, 200)
    t0 = time.perf_counter()
    toks = [BOS] + mock_tokenize(text)
    if len(toks) > LIVE_LIMITS["max_tokens"]:
        raise ApiError(413, "the text is %d tokens; this server takes at most %d" % (len(toks), LIVE_LIMITS["max_tokens"]))
    special = [i == 0 for i in range(len(toks))]
    per_tok = []
    for i, t in enumerate(toks):
        a = token_latents_of(t, i, feats)
        if i == 0:  # the attention sink: huge values, excluded from rankings
            a = {j: round(v * 40, 3) for j, v in a.items()}
        per_tok.append(a)
    token_latents = [[{"id": j, "value": v} for j, v in sorted(a.items(), key=lambda kv: -kv[1])[:top_k]] for a in per_tok]
    features = [{"id": j, "activations": [a.get(j, 0) for a in per_tok]} for j in feats]
    best = {}
    for i, a in enumerate(per_tok):
        if special[i]:
            continue
        for j, v in a.items():
            b = best.setdefault(j, {"id": j, "max": 0, "token": i, "count": 0})
            b["count"] += 1
            if v > b["max"]:
                b["max"], b["token"] = v, i
    top = sorted(best.values(), key=lambda b: (-b["max"], b["id"]))[:n_top]
    ids = {x["id"] for l in token_latents for x in l} | set(feats) | {b["id"] for b in top}
    latents = {str(j): {"explanation": ALL[j]["explanation"], "density": ALL[j]["density"],
                        "max_activation": ALL[j]["max_activation"]} for j in sorted(ids)}
    ms = (time.perf_counter() - t0) * 1000
    return {"hook": SAE["sae"]["hook"], "tokens": toks, "token_ids": [crc(t) % 49152 for t in toks],
            "special": special, "token_latents": token_latents, "features": features, "top_latents": top,
            "latents": latents,
            "timing_ms": {"tokenize": 0.05, "queue": 0, "model": round(ms * 0.7, 3), "encode": round(ms * 0.3, 3), "index": 0.1}}


class Handler(BaseHTTPRequestHandler):
    server_version = "saescope-mock/0.1"

    def log_message(self, fmt, *args):
        if os.environ.get("MOCK_QUIET") != "1":
            sys.stderr.write("mock: " + (fmt % args) + "\n")

    def send_body(self, status, ctype, body, extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        # The same strict policy the pages must live with on the real server.
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                         "object-src 'none'; base-uri 'none'; frame-ancestors 'self'")
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status, obj, extra=None):
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        self.send_body(status, "application/json; charset=utf-8", body, {"Access-Control-Allow-Origin": "*", **(extra or {})})

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        path = urlsplit(self.path).path
        if path == "/api/activations":
            try:
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    body = json.loads(raw.decode("utf-8")) if raw else None
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    raise ApiError(400, "the request body is not valid JSON (%s)" % e)
                out = activations(body)
                t = out["timing_ms"]
                self.send_json(200, out, {"Server-Timing": ", ".join("%s;dur=%.2f" % kv for kv in t.items()),
                                          "Cache-Control": "no-store"})
            except ApiError as e:
                self.send_json(e.status, {"error": {"status": e.status, "message": e.message}}, e.headers)
        elif path.startswith("/api/"):
            self.send_json(405, {"error": {"status": 405, "message": "method POST not allowed"}})
        else:
            self.send_body(405, "text/plain; charset=utf-8", b"method not allowed\n")

    def do_GET(self):
        u = urlsplit(self.path)
        path, qs = u.path, parse_qs(u.query, keep_blank_values=True)
        if path.startswith("/api/") or path == "/api":
            try:
                self.send_json(200, self.api(path, qs))
            except ApiError as e:
                self.send_json(e.status, {"error": {"status": e.status, "message": e.message}})
            return
        if path == "/":
            return self.file("index.html")
        if re.fullmatch(r"/features/[^/]+", path):
            return self.file("feature.html")
        if path == "/live":
            return self.file("live.html")
        return self.file(path.lstrip("/"))

    def api(self, path, qs):
        if os.environ.get("MOCK_FAIL") == "1":
            raise ApiError(503, "too many connections")
        if path == "/api/health":
            return {"status": "ok", "version": "0.1.0", "latents": N_LATENTS, "live": LIVE}
        if path == "/api/sae":
            return dict(SAE, live=LIVE, **({"live_limits": LIVE_LIMITS} if LIVE else {}))
        if path == "/api/features":
            return features_page(qs)
        m = re.fullmatch(r"/api/features/([^/]+)", path)
        if m:
            if not re.fullmatch(r"\d{1,10}", m.group(1)):
                raise ApiError(400, "latent id must be an integer from 0 to %d, got '%s'" % (N_LATENTS - 1, m.group(1)))
            return feature(int(m.group(1)))
        if path == "/api/search":
            return search(qs)
        if path == "/api/search/tokens":
            return search_tokens(qs)
        raise ApiError(404, "no route %s" % path)

    def file(self, rel):
        full = os.path.realpath(os.path.join(PUBLIC, rel))
        if not full.startswith(os.path.realpath(PUBLIC) + os.sep) or not os.path.isfile(full):
            return self.send_body(404, "text/plain; charset=utf-8", b"not found\n")
        with open(full, "rb") as f:
            body = f.read()
        ctype = CONTENT_TYPES.get(os.path.splitext(full)[1], "application/octet-stream")
        self.send_body(200, ctype, body, {"Cache-Control": "no-cache"})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--live", action="store_true", help="answer POST /api/activations (as if a model were loaded)")
    a = ap.parse_args()
    global LIVE
    LIVE = LIVE or a.live
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    print("mock saescope on http://%s:%d/%s" % (a.host, a.port, " (live)" if LIVE else ""), flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
