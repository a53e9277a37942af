#!/usr/bin/env python3
"""Measures a saescope SAE on held-out activations, independently of the Swift encoder (numpy).

  python3 scripts/demo/evaluate_sae.py demo/sae.safetensors held_out_1.npy [more.npy ...]

The .npy files are (tokens, d_model) activations written by `saescope activations`; the first row
of each (the first position, an outlier in SmolLM2) is left out, as training leaves it out.
Prints FVU (in the SAE's scaled input space), L0, and the share of latents that never fired.
"""
import json, struct, sys
import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    dt = {"F32": np.float32, "F16": np.float16}
    arrays = {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=dt[v["dtype"]]).reshape(v["shape"]).astype(np.float32)
              for k, v in header.items()}
    return arrays, meta


def main():
    sae, meta = read_safetensors(sys.argv[1])
    assert meta.get("format") == "saescope-sae" and meta.get("activation") == "topk"
    k, scale = int(meta["k"]), float(meta.get("normalization_scale", 1))
    assert meta.get("normalization") in ("scale", "none") and meta.get("subtract_decoder_bias") == "true"
    x = np.concatenate([np.load(p)[1:] for p in sys.argv[2:]]).astype(np.float64) * scale
    enc, b_enc, dec, b_dec = (sae[n].astype(np.float64) for n in ("encoder", "encoder_bias", "decoder", "decoder_bias"))
    pre = (x - b_dec) @ enc.T + b_enc
    idx = np.argpartition(-pre, k - 1, axis=1)[:, :k]
    z = np.zeros_like(pre)
    np.put_along_axis(z, idx, np.maximum(np.take_along_axis(pre, idx, axis=1), 0), axis=1)
    x_hat = z @ dec + b_dec
    fvu = ((x - x_hat) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()
    l0 = (z > 0).sum(1).mean()
    never = ((z > 0).sum(0) == 0).mean()
    print(f"{len(x)} held-out tokens: FVU {fvu:.4f}, L0 {l0:.1f}, latents that never fired {100 * never:.1f}% "
          f"(training said FVU {meta.get('train_fvu')}, dead {meta.get('dead_fraction')})")


if __name__ == "__main__":
    main()
