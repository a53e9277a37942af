#!/usr/bin/env python3
"""Render saescope's pages in headless Chromium and check the DOM they produce.

    python3 scripts/browser_test.py [BASE_URL] [--feature ID] [--xss-check] [--live | --no-live]

BASE_URL defaults to http://127.0.0.1:8080 and may be the mock (scripts/mock_api.py, with or
without --live) or the real server. --feature picks a latent that fires (default 1). --xss-check
additionally requires the token `<img src=x onerror=alert(1)>` to be on that latent's page, drawn
as text (the mock puts it on every latent).

Live activations: --live says the server has a model and an SAE, --no-live that it has not; by
default GET /api/health decides. With live, the test posts --live-text (which holds an HTML
injection) to /api/activations itself, takes the text's strongest latent, and checks
/live?text=…&feature=ID (tokens as text spans, shading where that latent fires, values equal to the
API's, the ranked list, links to /features/, explanations drawn literally), /live?text=… (shading
by each token's strongest latent) and the feature page's try-it card (/features/ID?text=…).
Without live, it checks that /live and the try-it card say live is off and do not break.

Explanations on the latent page and in the index's latent table must be drawn literally, exactly
as the API gives them, with no element made from their text (CI imports explanations holding
HTML and script for latents 0 and 12 before it runs this).

Standard library only, plus a Chromium binary (--chromium, $CHROMIUM, or chromium /
chromium-browser / google-chrome on PATH).

Exits 1 naming every failed check; prints "browser test: N checks passed" when all pass.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

XSS = "<img src=x onerror=alert(1)>"
LIVE_TEXT = "The cat sat on the mat. " + XSS + "\nParis is the capital of France, and 東京 of Japan."
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# ---- a tiny DOM built from Chromium's --dump-dom output ---------------------------------------

class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.children, self.parent = tag, dict(attrs), [], parent

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    def text(self):
        out = []
        for c in self.children:
            out.append(c if isinstance(c, str) else c.text())
        return "".join(out)

    def iter(self):
        for c in self.children:
            if isinstance(c, Node):
                yield c
                yield from c.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        res = []
        for n in self.iter():
            if tag and n.tag != tag:
                continue
            if cls and cls not in n.classes:
                continue
            if any(n.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            res.append(n)
        return res

    def by_id(self, ident):
        for n in self.iter():
            if n.attrs.get("id") == ident:
                return n
        return None

    def hidden(self):
        n = self
        while n is not None:
            if isinstance(n, Node) and "hidden" in n.attrs:
                return True
            n = n.parent
        return False


class Builder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse(html):
    b = Builder()
    b.feed(html)
    b.close()
    return b.root


# ---- running Chromium -------------------------------------------------------------------------

def find_chromium(explicit):
    for c in [explicit, os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]:
        if c and shutil.which(c):
            return shutil.which(c)
    sys.exit("browser test: no Chromium found (pass --chromium PATH or set $CHROMIUM)")


def dump_dom(chromium, url, budget_ms, width=1280):
    with tempfile.TemporaryDirectory(prefix="saescope-bt-") as prof:
        cmd = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-extensions", f"--user-data-dir={prof}", f"--window-size={width},1600",
               f"--virtual-time-budget={budget_ms}", "--dump-dom", url]
        try:
            p = subprocess.run(cmd, capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            sys.exit(f"browser test: Chromium timed out loading {url}")
    html = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0 or "<html" not in html:
        sys.exit(f"browser test: Chromium could not load {url} (exit {p.returncode}):\n"
                 + p.stderr.decode("utf-8", "replace")[-2000:])
    return html


# ---- checks ------------------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, page, what, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed.append(f"[{page}] {what}" + (f" — {detail}" if detail else ""))
        return ok


def visible_errors(root):
    return [n.text().strip() for n in root.find_all(cls="error") if not n.hidden()]


def common_safety(c, page, root):
    bad = [f"<{n.tag} {k}=…>" for n in root.iter() for k in n.attrs if k.lower().startswith("on")]
    c.check(page, "no element carries an inline event-handler attribute (on…=)", not bad, ", ".join(bad[:5]))
    scripts = [n for n in root.find_all("script") if not n.attrs.get("src")]
    c.check(page, "no inline <script>", not scripts)


def check_feature(c, root, fid, xss):
    page = f"/features/{fid}"
    errs = visible_errors(root)
    c.check(page, "no error message shown", not errs, " | ".join(errs)[:300])
    h1 = root.find_all("h1")
    c.check(page, "exactly one <h1>", len(h1) == 1, f"found {len(h1)}")
    c.check(page, f"<h1> reads 'Latent {fid}'", bool(h1) and h1[0].text().strip() == f"Latent {fid}",
            repr(h1[0].text().strip()) if h1 else "no h1")
    feat = root.by_id("feature")
    c.check(page, "#feature content is shown", feat is not None and not feat.hidden())
    exp = root.by_id("explanation")
    c.check(page, "#explanation has text", exp is not None and exp.text().strip() != "")
    stats = root.by_id("stats")
    c.check(page, "#stats lists >= 6 values (dd)", stats is not None and len(stats.find_all("dd")) >= 6)

    # activation histogram
    box = root.by_id("act-hist")
    svgs = box.find_all("svg", cls="hist") if box else []
    c.check(page, "#act-hist holds an <svg class=hist>", bool(svgs))
    if svgs:
        svg = svgs[0]
        bars = svg.find_all("rect", cls="bar")
        tall = [b for b in bars if float(b.attrs.get("height", "0") or 0) > 0]
        c.check(page, "histogram has <rect class=bar> bars with height > 0", bool(tall), f"{len(bars)} bars, {len(tall)} non-empty")
        bins = svg.find_all("g", cls="bin")
        c.check(page, "every histogram bin has a <title> tooltip",
                bool(bins) and all(b.find_all("title") for b in bins), f"{len(bins)} bins")
        labels = [t.text() for t in svg.find_all("text")]
        c.check(page, "histogram has axis labels (<text>)", len(labels) >= 3, f"{labels[:6]}")

    # logits
    for tid, name in (("logits-top", "top"), ("logits-bottom", "bottom")):
        t = root.by_id(tid)
        rows = t.find_all("tr", cls="logit") if t else []
        ok = bool(rows) and all(r.find_all("code", cls="tokchip") and r.find_all("td", cls="num") for r in rows)
        c.check(page, f"{name} logits: rows (tr.logit) with a token chip and a value", ok, f"{len(rows)} rows")

    # neighbours and prev/next
    nb = root.by_id("neighbors")
    links = [a for a in nb.find_all("a") if a.attrs.get("href", "").startswith("/features/")] if nb else []
    c.check(page, "neighbours: links to /features/{id}", bool(links))
    pn = [root.by_id("prev-link"), root.by_id("next-link")]
    c.check(page, "previous/next links present", any(a is not None and a.attrs.get("href", "").startswith("/features/") for a in pn))

    # examples and shading
    top = root.by_id("top-examples")
    exs = top.find_all("li", cls="ex") if top else []
    c.check(page, "top examples rendered (#top-examples li.ex)", bool(exs), "is the latent dead? pick one that fires with --feature")
    toks = root.find_all("span", cls="tok")
    c.check(page, "tokens rendered as <span class=tok>", bool(toks))
    c.check(page, "every token has a data-act value", bool(toks) and all("data-act" in t.attrs for t in toks))
    shaded = [t for t in toks if float(t.attrs.get("data-shade", "0") or 0) > 0]
    c.check(page, "some tokens are shaded (data-shade > 0)", bool(shaded), f"{len(shaded)} of {len(toks)}")
    zero_shaded = [t for t in toks if float(t.attrs.get("data-act", "0") or 0) <= 0 and "data-shade" in t.attrs]
    c.check(page, "zero activations are not shaded", not zero_shaded, f"{len(zero_shaded)} zero tokens carry data-shade")
    top_shade = max((float(t.attrs["data-shade"]) for t in shaded), default=0)
    c.check(page, "one page-wide scale: the largest activation has shade 1", abs(top_shade - 1) < 1e-6, f"max data-shade {top_shade}")
    all_ex = root.find_all("li", cls="ex")
    maxed = [li for li in all_ex if li.find_all("span", cls="max")]
    c.check(page, "each example emphasises its max token (.tok.max)", len(maxed) == len(all_ex), f"{len(maxed)} of {len(all_ex)}")
    titled = [t for t in toks if t.attrs.get("title")]
    c.check(page, "tokens carry a hover title with the value", len(titled) == len(toks))
    ivs = root.find_all("section", cls="interval")
    c.check(page, "interval groups headed by range and 'contains x%'",
            bool(ivs) and all("contains" in (s.find_all("h3")[0].text() if s.find_all("h3") else "") for s in ivs),
            f"{len(ivs)} groups")
    c.check(page, "line-break toggle (#breaks checkbox) present", root.by_id("breaks") is not None)

    common_safety(c, page, root)
    if xss:
        lit = [t for t in toks if t.text() == XSS]
        c.check(page, f"token {XSS!r} shown literally as text in a span.tok", bool(lit))
        imgs = [n for n in root.find_all("img") if n.attrs.get("src") != "/favicon.svg"]
        c.check(page, "no <img> element injected by a token", not imgs, f"{len(imgs)} stray <img>")


def check_index(c, root, sorted_root):
    page = "/"
    errs = visible_errors(root)
    c.check(page, "no error message shown", not errs, " | ".join(errs)[:300])
    c.check(page, "exactly one <h1>", len(root.find_all("h1")) == 1)
    card = root.by_id("sae-card")
    c.check(page, "SAE card lists >= 7 facts (#sae-card dd)", card is not None and len(card.find_all("dd")) >= 7)
    body = root.by_id("latents-body")
    rows = [r for r in body.find_all("tr") if any(a.attrs.get("href", "").startswith("/features/") for a in r.find_all("a"))] if body else []
    c.check(page, "latent table rows link to /features/{id}", bool(rows), "no rows in #latents-body")
    if rows:
        c.check(page, "table rows have id, explanation, density and max cells", all(len(r.find_all("td")) == 4 for r in rows))
    ths = root.find_all("th", scope="col")
    c.check(page, "table headers use <th scope=col>", len(ths) >= 4)
    box = root.by_id("density-hist")
    svg = box.find_all("svg", cls="hist") if box else []
    bars = svg[0].find_all("rect", cls="bar") if svg else []
    c.check(page, "density histogram <svg> with bars in #density-hist", bool(bars))
    c.check(page, "search box with a <label>", root.by_id("q") is not None and any(l.attrs.get("for") == "q" for l in root.find_all("label")))
    common_safety(c, page, root)

    page = "/?sort=density&order=desc"
    th = [t for t in sorted_root.find_all("th") if t.attrs.get("data-sort") == "density"]
    c.check(page, "URL state applied: density column marked aria-sort=descending",
            bool(th) and th[0].attrs.get("aria-sort") == "descending")


def check_missing(c, root, url):
    page = url
    h1 = root.find_all("h1")
    c.check(page, "unknown latent: <h1> says 'No such latent'", bool(h1) and "No such latent" in h1[0].text(), repr(h1[0].text()) if h1 else "")
    c.check(page, "unknown latent: an error message is shown", bool(visible_errors(root)))


# ---- live activations ---------------------------------------------------------------------------

def http_json(url, payload=None):
    data = json.dumps(payload).encode("utf-8") if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        try:
            return e.code, json.loads(body)
        except json.JSONDecodeError:
            return e.code, {"raw": body}
    except urllib.error.URLError as e:
        sys.exit(f"browser test: cannot reach {url}: {e.reason}")


def display(tok):
    """What tokens.js displayToken() draws for a token."""
    return tok.replace("\r\n", "␍↵").replace("\n", "↵").replace("\r", "␍").replace("\t", "⇥")


def close(a, b):
    return abs(a - b) <= 1e-4 * max(1.0, abs(a), abs(b))


def live_tokens(root, box_id):
    box = root.by_id(box_id)
    return box.find_all("span", cls="tok") if box else []


def check_shading(c, page, toks, special=()):
    c.check(page, "every token has data-act and data-i", bool(toks) and all("data-act" in t.attrs and "data-i" in t.attrs for t in toks))
    fired = [t for t in toks if float(t.attrs.get("data-act", "0") or 0) > 0 and "special" not in t.classes]
    shaded = [t for t in toks if float(t.attrs.get("data-shade", "0") or 0) > 0]
    c.check(page, "tokens where the latent fires are shaded (data-shade > 0)", bool(fired) and all(t in shaded for t in fired),
            f"{len(fired)} fire, {len(shaded)} shaded")
    zero = [t for t in toks if float(t.attrs.get("data-act", "0") or 0) <= 0 and "data-shade" in t.attrs]
    c.check(page, "zero activations are not shaded", not zero, f"{len(zero)}")
    sp = [t for t in toks if "special" in t.classes and "data-shade" in t.attrs]
    c.check(page, "special tokens are drawn muted and unshaded", not sp, f"{len(sp)} shaded special tokens")


def check_live(c, root, page, api, fid, text):
    errs = visible_errors(root)
    c.check(page, "no error message shown", not errs, " | ".join(errs)[:300])
    c.check(page, "exactly one <h1>", len(root.find_all("h1")) == 1)
    off = root.by_id("live-off")
    c.check(page, "'live is off' notice hidden", off is not None and off.hidden())
    res = root.by_id("live-result")
    c.check(page, "#live-result is shown", res is not None and not res.hidden())
    toks = live_tokens(root, "live-tokens")
    c.check(page, "one span.tok per token of the API's answer", len(toks) == len(api["tokens"]), f"{len(toks)} spans, {len(api['tokens'])} tokens")
    drawn = "".join(t.text() for t in toks)
    c.check(page, "tokens drawn as text, in order (display strings)", drawn == "".join(display(t) for t in api["tokens"]), repr(drawn[:120]))
    c.check(page, f"the injection {XSS!r} is drawn literally as text", XSS in drawn)
    imgs = [n for n in root.find_all("img") if n.attrs.get("src") != "/favicon.svg"]
    c.check(page, "no <img> element injected by a token or explanation", not imgs, f"{len(imgs)} stray <img>")
    sp_api = [i for i, x in enumerate(api.get("special") or []) if x]
    sp_dom = [int(t.attrs.get("data-i", -1)) for t in toks if "special" in t.classes]
    c.check(page, "special tokens carry class 'special'", sp_api == sp_dom, f"api {sp_api}, dom {sp_dom}")
    check_shading(c, page, toks)
    if fid is not None:
        want = next((f["activations"] for f in api.get("features", []) if f["id"] == fid), None)
        got = [float(t.attrs.get("data-act", "nan")) for t in toks]
        c.check(page, f"data-act equals the API's exact values of latent {fid}",
                want is not None and len(want) == len(got) and all(close(a, b) for a, b in zip(want, got)))
        leg = root.by_id("legend")
        c.check(page, f"legend names the shading latent #{fid}", leg is not None and f"#{fid}" in leg.text())
    c.check(page, "the peak token is outlined (.tok.max)", any("max" in t.classes for t in toks))
    rt = root.by_id("ranked-table")
    rows = rt.find_all("tr")[1:] if rt else []
    c.check(page, "ranked list: one row per top latent", len(rows) == len(api.get("top_latents") or []), f"{len(rows)} rows")
    linked = sum(1 for r, t in zip(rows, api.get("top_latents") or [])
                 if any(a.attrs.get("href") == f"/features/{t['id']}" for a in r.find_all("a")))
    c.check(page, "ranked rows link to /features/{id} in the API's order", bool(rows) and linked == len(rows), f"{linked} of {len(rows)}")
    c.check(page, "ranked rows have a shade control (button[aria-pressed])",
            bool(rows) and all(any("aria-pressed" in b.attrs for b in r.find_all("button")) for r in rows))
    if fid is not None:
        pressed = [b for b in root.find_all("button", cls="shadebtn") if b.attrs.get("aria-pressed") == "true"]
        c.check(page, f"the shade control of latent {fid} is pressed", bool(pressed) and all(f"latent {fid}" in b.attrs.get("aria-label", "") for b in pressed))
    lat = api.get("latents") or {}
    want_exps = [(lat.get(str(t["id"])) or {}).get("explanation") for t in api.get("top_latents") or []]
    got_exps = [(r.find_all(cls="exp-text") or [None])[0] for r in rows]
    ok = rows and all((w is None and g is None) or (w and g is not None and g.text() == w["text"]) for w, g in zip(want_exps, got_exps))
    c.check(page, "explanations drawn literally (text equals the API's)", bool(ok))
    panel = root.by_id("tok-panel")
    plinks = [a for a in panel.find_all("a") if a.attrs.get("href", "").startswith("/features/")] if panel else []
    c.check(page, "token panel lists the selected token's latents with /features/ links", bool(plinks))
    c.check(page, "a token is selected (.tok.selected)", any("selected" in t.classes for t in toks))
    tm = root.by_id("timing")
    c.check(page, "timings shown", tm is not None and "model" in tm.text())
    c.check(page, "results are announced (aria-live region)", bool(root.find_all(aria_live="polite")))
    common_safety(c, page, root)


def check_try(c, root, page, api, fid):
    form = root.by_id("try-form")
    c.check(page, "try-it form shown, 'live is off' hidden", form is not None and not form.hidden() and root.by_id("try-off").hidden())
    lab = [l for l in root.find_all("label") if l.attrs.get("for") == "try-text"]
    c.check(page, "try-it textarea has a <label>", bool(lab) and root.by_id("try-text") is not None)
    errs = visible_errors(root)
    c.check(page, "no error message shown", not errs, " | ".join(errs)[:300])
    toks = live_tokens(root, "try-result")
    c.check(page, "try-it result: one span.tok per token", len(toks) == len(api["tokens"]), f"{len(toks)} spans")
    want = next((f["activations"] for f in api.get("features", []) if f["id"] == fid), [])
    got = [float(t.attrs.get("data-act", "nan")) for t in toks]
    c.check(page, f"try-it data-act equals the API's values of latent {fid}", len(want) == len(got) and all(close(a, b) for a, b in zip(want, got)))
    check_shading(c, page, toks)
    c.check(page, "try-it: the injection drawn literally", XSS in "".join(t.text() for t in toks))
    a = root.by_id("try-open")
    href = a.attrs.get("href", "") if a else ""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
    c.check(page, "'Open in Live' links /live?text=…&feature=ID", href.startswith("/live?") and q.get("feature") == [str(fid)] and bool(q.get("text")), href[:80])
    common_safety(c, page, root)


def check_live_off(c, root, page):
    off = root.by_id("live-off")
    c.check(page, "'live is off' notice shown", off is not None and not off.hidden())
    c.check(page, "the notice gives the command to enable it", off is not None and "--model" in off.text() and "--sae" in off.text())
    ta = root.by_id("live-text")
    c.check(page, "textarea is disabled", ta is not None and "disabled" in ta.attrs)
    res = root.by_id("live-result")
    c.check(page, "no result drawn", res is not None and res.hidden())
    errs = visible_errors(root)
    c.check(page, "no error message shown (no crash)", not errs, " | ".join(errs)[:300])
    c.check(page, "exactly one <h1>", len(root.find_all("h1")) == 1)
    common_safety(c, page, root)


def check_try_off(c, root, page):
    off = root.by_id("try-off")
    c.check(page, "try-it card explains live is off, with the command", off is not None and not off.hidden() and "--model" in off.text())
    form = root.by_id("try-form")
    c.check(page, "try-it form hidden when live is off", form is not None and form.hidden())


INJECTED = {"img", "script", "iframe", "object", "embed", "svg", "b", "style"}


def check_explanations_literal(c, page, nodes, expected):
    """nodes: (id, element holding that latent's explanation); expected: id -> the API's text.
    Each explanation must be drawn as text exactly as the API gives it, however much HTML it holds."""
    drawn = 0
    for fid, node in nodes:
        text = expected.get(fid)
        if not text or node is None:
            continue
        spans = node.find_all("span", cls="exp-text")
        got = spans[0].text() if spans else None
        c.check(page, f"latent {fid}: explanation drawn literally as text", got == text, f"{got!r} != {text!r}"[:200])
        stray = sorted({n.tag for n in node.iter() if n.tag in INJECTED})
        c.check(page, f"latent {fid}: no element made from explanation text", not stray, ", ".join(stray))
        drawn += 1
    return drawn


def check_nav(c, root, page):
    c.check(page, "site nav links to /live", any(a.attrs.get("href") == "/live" for n in root.find_all("nav") for a in n.find_all("a")))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", nargs="?", default="http://127.0.0.1:8080")
    ap.add_argument("--feature", type=int, default=1, help="latent id to check (must fire); default 1")
    ap.add_argument("--xss-check", action="store_true", help="require the <img src=x onerror=alert(1)> token on that page (mock)")
    ap.add_argument("--missing-id", type=int, default=2_000_000_000, help="an id that does not exist (default 2000000000)")
    ap.add_argument("--chromium", help="Chromium binary")
    ap.add_argument("--budget", type=int, default=8000, help="virtual time budget per page in ms (default 8000)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--live", dest="live", action="store_true", default=None, help="the server has a model and an SAE")
    g.add_argument("--no-live", dest="live", action="store_false", help="the server has no model (live is off)")
    ap.add_argument("--live-text", default=LIVE_TEXT, help="text for the live checks (should contain the injection)")
    a = ap.parse_args()
    base = a.base.rstrip("/")
    chromium = find_chromium(a.chromium)
    c = Checks()
    live = a.live
    if live is None:
        live = bool(http_json(f"{base}/api/health")[1].get("live"))
    print(f"browser test: live activations {'on' if live else 'off'} at {base}")

    fpage = parse(dump_dom(chromium, f"{base}/features/{a.feature}", a.budget))
    check_feature(c, fpage, a.feature, a.xss_check)
    fapi = http_json(f"{base}/api/features/{a.feature}")[1]
    check_explanations_literal(c, f"/features/{a.feature}", [(a.feature, fpage.by_id("explanation"))],
                               {a.feature: (fapi.get("explanation") or {}).get("text")})
    check_nav(c, fpage, f"/features/{a.feature}")
    if not live:
        check_try_off(c, fpage, f"/features/{a.feature}")
    else:
        form = fpage.by_id("try-form")
        c.check(f"/features/{a.feature}", "try-it form shown when live is on", form is not None and not form.hidden())
    index = parse(dump_dom(chromium, f"{base}/", a.budget))
    check_index(c, index, parse(dump_dom(chromium, f"{base}/?sort=density&order=desc", a.budget)))
    listed = http_json(f"{base}/api/features?offset=0&limit=50")[1].get("features") or []
    body = index.by_id("latents-body")
    rows = []
    for r in (body.find_all("tr") if body else []):
        ids = [x.attrs["href"].rsplit("/", 1)[-1] for x in r.find_all("a") if x.attrs.get("href", "").startswith("/features/")]
        if ids and ids[0].isdigit():
            rows.append((int(ids[0]), r))
    check_explanations_literal(c, "/", rows, {f["id"]: (f.get("explanation") or {}).get("text") for f in listed})
    check_nav(c, index, "/")
    check_missing(c, parse(dump_dom(chromium, f"{base}/features/{a.missing_id}", a.budget)), f"/features/{a.missing_id}")

    text_q = urllib.parse.quote(a.live_text)
    if live:
        status, first = http_json(f"{base}/api/activations", {"text": a.live_text})
        if status != 200 or not first.get("top_latents"):
            c.check("/api/activations", "answers 200 with top_latents", False, f"status {status}: {str(first)[:200]}")
        else:
            fid = first["top_latents"][0]["id"]
            _, api = http_json(f"{base}/api/activations", {"text": a.live_text, "features": [fid]})
            page = f"/live?text=…&feature={fid}"
            root = parse(dump_dom(chromium, f"{base}/live?text={text_q}&feature={fid}", a.budget))
            check_live(c, root, page, api, fid, a.live_text)
            check_nav(c, root, "/live")
            check_live(c, parse(dump_dom(chromium, f"{base}/live?text={text_q}", a.budget)), "/live?text=…", first, None, a.live_text)
            check_try(c, parse(dump_dom(chromium, f"{base}/features/{fid}?text={text_q}", a.budget)), f"/features/{fid}?text=…", api, fid)
    else:
        status, body = http_json(f"{base}/api/activations", {"text": "hello"})
        c.check("/api/activations", "answers 503 with a message when live is off",
                status == 503 and "model" in str(body.get("error", {}).get("message", "")), f"status {status}")
        check_live_off(c, parse(dump_dom(chromium, f"{base}/live", a.budget)), "/live")
        check_live_off(c, parse(dump_dom(chromium, f"{base}/live?text={text_q}&feature={a.feature}", a.budget)), "/live?text=…&feature=…")

    if c.failed:
        print(f"browser test: {len(c.failed)} check(s) FAILED, {c.passed} passed:", file=sys.stderr)
        for f in c.failed:
            print("  FAIL " + f, file=sys.stderr)
        sys.exit(1)
    print(f"browser test: {c.passed} checks passed")


if __name__ == "__main__":
    main()
