#!/usr/bin/env python3
"""Export a `saescope train` checkpoint as an SAE file in saescope's format (float16), without
the optimizer state: how the demo bundle's SAE was taken from the demo run while it went on.

    python3 scripts/demo/export_checkpoint.py demo/sae.checkpoint.safetensors demo/sae.safetensors

The encoding is the trainer's: inputs scaled by the checkpoint's `scale`, decoder bias subtracted,
TopK (k from the checkpoint) then ReLU (docs/SAE_FORMATS.md).
"""
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import save_file


def main():
    source, out = sys.argv[1], sys.argv[2]
    with safe_open(source, "np") as f:
        meta = f.metadata()
        if meta.get("format") != "saescope-train-checkpoint":
            sys.exit(f"{source}: not a saescope train checkpoint")
        tensors = {k: f.get_tensor(k).astype(np.float16) for k in ("encoder", "encoder_bias", "decoder", "decoder_bias")}
    save_file(tensors, out, metadata={
        "format": "saescope-sae", "version": "1", "activation": "topk", "k": meta["k"],
        "normalization": "scale", "normalization_scale": meta["scale"], "subtract_decoder_bias": "true",
        "hook": "blocks.15.hook_resid_post", "model": "SmolLM2-135M-Instruct",
        "trained_tokens": meta["tokens_trained"], "train_fvu": meta["train_fvu"], "train_l0": meta["train_l0"],
        "note": f"checkpoint of the demo run at {meta['tokens_trained']} tokens"})
    print(f"export: {out}: {meta['latents']} latents, k={meta['k']}, {meta['tokens_trained']} tokens, FVU {float(meta['train_fvu']):.3f}")


if __name__ == "__main__":
    main()
