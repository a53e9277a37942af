#!/usr/bin/env python3
"""Small valid inputs for scripts/reliability/malformed.sh, and the damage it does to them.
Standard library only (CI has no numpy at that point).

    python3 malformed_inputs.py make DIR      # DIR/model (tiny GPT-2 + tokenizer), sae.safetensors,
                                              # acts.npy, corpus/good.jsonl, and the bad corpora
    python3 malformed_inputs.py cut SRC DST N        # DST = the first N bytes of SRC (N < 0: all but -N)
    python3 malformed_inputs.py flip SRC DST OFFSET [MASK]  # DST = SRC with byte OFFSET xor MASK (0xFF)
    python3 malformed_inputs.py garble SRC DST PAGE  # DST = SRC with 4096-byte page PAGE (0-based)
                                                     # overwritten by random bytes
    python3 malformed_inputs.py offset SRC TEXT      # prints where TEXT first occurs in SRC

The model is Tests/IndexerTests/Fixtures/tiny-gpt2 (3 layers, d_model 32, 320 tokens) with a
GPT-2 style vocab.json + merges.txt written here (256 byte tokens, unused fillers, <|endoftext|>
= 319); the SAE is a random 16-latent TopK SAE at blocks.1.hook_resid_post in saescope's own
format (docs/SAE_FORMATS.md).
"""
import gzip
import json
import os
import random
import shutil
import struct
import sys

D, N, K = 32, 16, 4
HERE = os.path.dirname(os.path.abspath(__file__))
TINY_GPT2 = os.path.join(HERE, "..", "..", "Tests", "IndexerTests", "Fixtures", "tiny-gpt2")


def byte_alphabet():
    """GPT-2's bytes_to_unicode: byte value -> the character that spells it."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    chars = {b: chr(b) for b in printable}
    n = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + n)
            n += 1
    return chars


def write_safetensors(path, tensors, metadata):
    """tensors: name -> (shape, list of floats), stored as little-endian F32."""
    header, data = {"__metadata__": metadata}, b""
    for name, (shape, values) in tensors.items():
        raw = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def write_npy(path, rows, cols, values):
    header = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}".encode()
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + struct.pack(f"<{len(values)}f", *values))


def make(folder):
    rng = random.Random(7)
    os.makedirs(folder, exist_ok=True)
    model = os.path.join(folder, "model")
    os.makedirs(model, exist_ok=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(os.path.join(TINY_GPT2, name), os.path.join(model, name))
    alphabet = byte_alphabet()
    vocab = {alphabet[b]: b for b in range(256)}
    for i in range(256, 319):
        vocab[f"<unused_{i}>"] = i
    vocab["<|endoftext|>"] = 319
    with open(os.path.join(model, "vocab.json"), "w") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(model, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")

    decoder = [rng.gauss(0, 1) for _ in range(N * D)]
    write_safetensors(os.path.join(folder, "sae.safetensors"), {
        "encoder": ([N, D], decoder),
        "encoder_bias": ([N], [0.0] * N),
        "decoder": ([N, D], decoder),
        "decoder_bias": ([D], [0.0] * D),
    }, {"format": "saescope-sae", "version": "1", "activation": "topk", "k": str(K), "normalization": "none",
        "subtract_decoder_bias": "false", "hook": "blocks.1.hook_resid_post", "model": "tiny-gpt2"})
    write_npy(os.path.join(folder, "acts.npy"), 3, D, [rng.gauss(0, 1) for _ in range(3 * D)])

    corpus = os.path.join(folder, "corpus")
    os.makedirs(corpus, exist_ok=True)
    documents = [f"Document {i}: the cat sat on the mat, and the rain in Spain stays in the plain." for i in range(6)]
    good = "".join(json.dumps({"text": d}) + "\n" for d in documents).encode()
    with open(os.path.join(corpus, "good.jsonl"), "wb") as f:
        f.write(good)
    packed = gzip.compress(good, mtime=0)
    # Cut inside the deflate data: the stream ends early.
    with open(os.path.join(corpus, "truncated.jsonl.gz"), "wb") as f:
        f.write(packed[: len(packed) // 2])
    # A flipped byte inside the deflate data: bad codes or a CRC mismatch.
    damaged = bytearray(packed)
    damaged[len(packed) // 2] ^= 0xFF
    with open(os.path.join(corpus, "corrupt.jsonl.gz"), "wb") as f:
        f.write(bytes(damaged))
    with open(os.path.join(corpus, "notgzip.txt.gz"), "wb") as f:
        f.write(b"plain text with a .gz name\n")
    # Every line malformed: nothing to index.
    with open(os.path.join(corpus, "allbad.jsonl"), "wb") as f:
        f.write(b'{"text": "unterminated\n[1, 2]\n{"title": "no text field"}\n{"text": 42}\n')
    # Invalid UTF-8: inside a JSONL line, and a whole .txt file.
    with open(os.path.join(corpus, "badutf8.jsonl"), "wb") as f:
        f.write(b'{"text": "caf\xe9 au lait"}\n')
    with open(os.path.join(corpus, "latin1.txt"), "wb") as f:
        f.write("Un café à Paris, déjà vu.\n".encode("latin-1"))
    # One bad line among good ones: reported, and the rest indexed.
    with open(os.path.join(corpus, "onebad.jsonl"), "wb") as f:
        f.write(good + b"{oops\n" + good)
    print(f"wrote the inputs in {folder}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "make":
        make(args[0])
        return
    if command == "offset":
        data = open(args[0], "rb").read()
        print(data.index(args[1].encode()))
        return
    src, dst, n = args[0], args[1], int(args[2])
    data = bytearray(open(src, "rb").read())
    if command == "cut":
        data = data[:n] if n >= 0 else data[:n]
    elif command == "flip":
        data[n] ^= int(args[3], 0) if len(args) > 3 else 0xFF
    elif command == "garble":
        rng = random.Random(n)
        start = n * 4096 + (100 if n == 0 else 0)  # page 0: keep SQLite's 100-byte file header
        data[start:(n + 1) * 4096] = bytes(rng.randrange(256) for _ in range((n + 1) * 4096 - start))
    else:
        sys.exit(f"unknown command {command}\n{__doc__}")
    with open(dst, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
