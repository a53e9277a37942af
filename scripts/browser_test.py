#!/usr/bin/env python3
"""Render saescope's pages in headless Chromium and check the DOM they produce.

    python3 scripts/browser_test.py [BASE_URL] [--feature ID] [--xss-check]

BASE_URL defaults to http://127.0.0.1:8080 and may be the mock (scripts/mock_api.py) or the
real server. --feature picks a latent that fires (default 1). --xss-check additionally requires
the token `<img src=x onerror=alert(1)>` to be on that latent's page, drawn as text (the mock puts
it on every latent). Standard library only, plus a Chromium binary (--chromium, $CHROMIUM, or
chromium / chromium-browser / google-chrome on PATH).

Exits 1 naming every failed check; prints "browser test: N checks passed" when all pass.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

XSS = "<img src=x onerror=alert(1)>"
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", nargs="?", default="http://127.0.0.1:8080")
    ap.add_argument("--feature", type=int, default=1, help="latent id to check (must fire); default 1")
    ap.add_argument("--xss-check", action="store_true", help="require the <img src=x onerror=alert(1)> token on that page (mock)")
    ap.add_argument("--missing-id", type=int, default=2_000_000_000, help="an id that does not exist (default 2000000000)")
    ap.add_argument("--chromium", help="Chromium binary")
    ap.add_argument("--budget", type=int, default=8000, help="virtual time budget per page in ms (default 8000)")
    a = ap.parse_args()
    base = a.base.rstrip("/")
    chromium = find_chromium(a.chromium)
    c = Checks()

    check_feature(c, parse(dump_dom(chromium, f"{base}/features/{a.feature}", a.budget)), a.feature, a.xss_check)
    check_index(c, parse(dump_dom(chromium, f"{base}/", a.budget)),
                parse(dump_dom(chromium, f"{base}/?sort=density&order=desc", a.budget)))
    check_missing(c, parse(dump_dom(chromium, f"{base}/features/{a.missing_id}", a.budget)), f"/features/{a.missing_id}")

    if c.failed:
        print(f"browser test: {len(c.failed)} check(s) FAILED, {c.passed} passed:", file=sys.stderr)
        for f in c.failed:
            print("  FAIL " + f, file=sys.stderr)
        sys.exit(1)
    print(f"browser test: {c.passed} checks passed")


if __name__ == "__main__":
    main()
