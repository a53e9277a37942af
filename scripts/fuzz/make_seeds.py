"""Writes the seed inputs under Fuzz/Seeds/<target>/: small valid examples of each format, so
every fuzzer starts from inputs that parse. Run from the repository root:

    python3 scripts/fuzz/make_seeds.py

Needs numpy, torch and gguf. Also copies the test fixtures that are small enough to be seeds.
"""
import gzip
import io
import json
import os
import shutil
import struct
import zipfile

import numpy as np

ROOT = "Fuzz/Seeds"
FIXTURES = "Tests/TensorsTests/Fixtures"


def put(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def copy(target, fixture):
    with open(os.path.join(FIXTURES, fixture), "rb") as f:
        put(target, fixture, f.read())


def http():
    put("http", "get", b"GET /api/features/12?limit=5 HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n")
    put("http", "post", b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 15\r\n\r\n{\"q\": \"tokens\"}")
    put("http", "pipelined", b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    put("http", "continue", b"PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody")
    put("http", "http10", b"\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    put("http", "smuggle", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")


def safetensors():
    from safetensors.numpy import save
    copy("safetensors", "dtypes.safetensors")
    put("safetensors", "small", save({"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                                      "b": np.array([1, 2], dtype=np.int64)}, metadata={"format": "pt"}))


def gguf_seeds():
    import gguf
    copy("gguf", "quants.gguf")
    path = "/tmp/saescope-seed.gguf"
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("smollm")
    tokens = ["a", "b", "ab", "Ġ", "Ġa", "<|endoftext|>"]
    writer.add_token_list(tokens)
    writer.add_token_merges(["a b", "Ġ a"])
    writer.add_token_types([1, 1, 1, 1, 1, 3])
    writer.add_bos_token_id(5)
    writer.add_eos_token_id(5)
    writer.add_add_bos_token(True)
    writer.add_tensor("t", np.arange(8, dtype=np.float32).reshape(2, 4))
    writer.add_tensor("h", np.ones((4,), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with open(path, "rb") as f:
        put("gguf", "tokenizer.gguf", f.read())


def npy():
    for name in ["f2.npy", "f4.npy", "f8.npy", "fortran.npy", "i4.npy", "i8.npy", "scalar.npy", "v2.npy", "v3.npy"]:
        copy("npy", name)
    for dtype in ["<u1", "|b1", "<i2", ">f4"]:
        out = io.BytesIO()
        np.save(out, np.arange(4).astype(dtype))
        put("npy", dtype.strip("<>|") + ".npy", out.getvalue())


def npz():
    for name in ["compressed.npz", "stored.npz", "zip64.npz"]:
        copy("npz", name)
    out = io.BytesIO()
    np.savez_compressed(out, a=np.zeros(64, dtype=np.float32), b=np.arange(3, dtype=np.int32))
    put("npz", "small_compressed.npz", out.getvalue())


def torch_seeds():
    import torch
    for name in ["state_dict.pt", "transposed.pt"]:
        copy("torch", name)
        with zipfile.ZipFile(os.path.join(FIXTURES, name)) as z:
            pickle = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            put("pickle", name.replace(".pt", ".pkl"), z.read(pickle))
    # A state dict whose storages are exactly the pickle fuzzer's: data/0 is 64 bytes, data/1 is 6.
    state = {"w": torch.zeros(4, 4), "b": torch.zeros(3, dtype=torch.float16), "step": 7, "name": "sae",
             "nested": {"v": torch.zeros(2, 2)[0], "list": [1, 2.5, None, True]}}
    out = io.BytesIO()
    torch.save(state, out)
    put("torch", "small.pt", out.getvalue())
    # The pickle fuzzer's archive has only storages 0 and 1: no third tensor here.
    del state["nested"]["v"]
    out = io.BytesIO()
    torch.save(state, out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as z:
        pickle = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        put("pickle", "small.pkl", z.read(pickle))


def tokenizer():
    texts = ["Hello world, it's 2024!", " the fuzzing  of\n\ntokens  ", "é日本語 🙂 ’s <|endoftext|> <fuzz> 12345",
             "don't we'll I'M\t\r\nx", "\u00a0\u2003 spaces\u3000and\u200bzero", "mixed123abc٣٤ⅷ½"]
    for i, text in enumerate(texts):
        put("tokenizer", f"text{i}", text.encode())
    put("tokenizer", "invalid-utf8", b"\xff\xfe a \xc3 b \xe2\x82")


def tokenizer_json():
    def spell(b):
        # GPT-2's bytes_to_unicode.
        printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
        if b in printable:
            return chr(b)
        return chr(256 + [x for x in range(256) if x not in printable].index(b))
    vocab = {spell(b): b for b in range(256)}
    merges = [["Ġ", "t"], ["Ġt", "h"], ["h", "e"], ["Ġth", "e"]]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    base = {"version": "1.0", "truncation": None, "padding": None, "normalizer": None,
            "added_tokens": [{"id": len(vocab), "content": "<|endoftext|>", "special": True,
                              "single_word": False, "lstrip": False, "rstrip": False, "normalized": False}],
            "decoder": {"type": "ByteLevel"},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                      "vocab": vocab, "merges": merges}}
    gpt2 = dict(base, pre_tokenizer=byte_level, post_processor={"type": "ByteLevel"})
    put("tokenizerjson", "gpt2.json", json.dumps(gpt2).encode())
    smollm = dict(base, pre_tokenizer={"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True}, byte_level]},
        post_processor={"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}},
                                                                 {"Sequence": {"id": "A", "type_id": 0}}],
                        "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [len(vocab)]}}})
    smollm["model"] = dict(base["model"], merges=[f"{a} {b}" for a, b in merges])
    put("tokenizerjson", "smollm.json", json.dumps(smollm).encode())


def corpus():
    lines = [{"text": "The first document."}, {"text": "Second, with\nnewlines and é"}, {"id": 3, "text": ""},
             {"title": "no text field"}, {"text": 42}]
    jsonl = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines).encode() + b"\n\n  \nnot json\n[1]\r\n"
    put("corpus", "docs.jsonl", jsonl)
    put("corpus", "docs.jsonl.gz", gzip.compress(jsonl))
    put("corpus", "plain.txt", b"A plain text document.\nTwo lines.")


if __name__ == "__main__":
    shutil.rmtree(ROOT, ignore_errors=True)
    http()
    safetensors()
    gguf_seeds()
    npy()
    npz()
    torch_seeds()
    tokenizer()
    tokenizer_json()
    corpus()
    for target in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, target))
        size = sum(os.path.getsize(os.path.join(ROOT, target, f)) for f in files)
        print(f"{target:14} {len(files):3} seeds {size:7} bytes")
