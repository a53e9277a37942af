#!/usr/bin/env python3
"""PyTorch's speed on the prompt `saescope bench model` runs, for a side-by-side comparison.

Loads the same GGUF with transformers (dequantised to float32), torch.set_num_threads(2) by
default, and times, as the median of several runs under torch.inference_mode():
  - the first 16 blocks only (the layers after blocks.15 removed), like a pass stopping at
    blocks.15.hook_resid_post;
  - the whole model with logits.
The prompt is the token ids (1000 + 37·i) mod V, i < --tokens, the same as saescope's.

    python3 scripts/llama/bench_torch.py [--tokens 128] [--runs 10] [--threads 2] [--gguf PATH]
"""

import argparse
import os
import time

from bench_common import add_arguments, gguf_path, prompt_ids, time_runs


def main():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    parser.add_argument("--layer", type=int, default=15, help="the last block of the shorter pass")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    path = gguf_path(args.gguf)
    folder, name = os.path.dirname(path), os.path.basename(path)
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    load = time.perf_counter() - start
    ids = torch.tensor([prompt_ids(model.config.vocab_size, args.tokens)])
    print(f"bench torch: {name}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load (transformers, GGUF → float32) {load:.2f} s")

    def timed(label, run):
        with torch.inference_mode():
            time_runs(label, run, args.runs, args.tokens)

    layers = model.model.layers
    model.model.layers = layers[: args.layer + 1]
    timed(f"blocks 0–{args.layer} (no logits)", lambda: model.model(ids, use_cache=False))
    model.model.layers = layers
    timed("all layers + logits", lambda: model(ids, use_cache=False))


if __name__ == "__main__":
    main()
