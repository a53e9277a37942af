#!/usr/bin/env python3
"""Write a random TopK SAE in saescope's own format (docs/SAE_FORMATS.md), for tests and
benchmarks that need real numbers flowing but no trained SAE: unit-norm random decoder rows,
the encoder their transpose, zero biases.

    python3 scripts/sae/make_random_sae.py OUT.safetensors [--latents 16384] [--width 576] [--k 32]
        [--hook blocks.15.hook_resid_post] [--model SmolLM2-135M-Instruct] [--seed 0]
"""
import argparse

import numpy as np
from safetensors.numpy import save_file


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--latents", type=int, default=16384)
    ap.add_argument("--width", type=int, default=576)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--hook", default="blocks.15.hook_resid_post")
    ap.add_argument("--model", default="SmolLM2-135M-Instruct")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    decoder = rng.standard_normal((args.latents, args.width)).astype(np.float32)
    decoder /= np.linalg.norm(decoder, axis=1, keepdims=True)
    tensors = {
        "encoder": decoder.copy(),
        "encoder_bias": np.zeros(args.latents, np.float32),
        "decoder": decoder,
        "decoder_bias": np.zeros(args.width, np.float32),
    }
    meta = {"format": "saescope-sae", "version": "1", "activation": "topk", "k": str(args.k),
            "normalization": "none", "subtract_decoder_bias": "true", "hook": args.hook, "model": args.model,
            "note": "random weights (scripts/sae/make_random_sae.py)"}
    save_file(tensors, args.out, metadata=meta)
    print(f"wrote {args.out}: random TopK SAE, {args.latents} latents × {args.width}, k={args.k}, {args.hook}")


if __name__ == "__main__":
    main()
