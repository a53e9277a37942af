#!/usr/bin/env python3
"""A full-size GPT-2 small shape (n_embd 768, 12 layers, 12 heads, vocabulary 50257, 1024
positions) with random weights, saved in Hugging Face format (config.json + model.safetensors,
float32, ~500 MB) to FOLDER, which should be outside the repository. For benchmarks only: the
weights are transformers' own random init, seeded, so the numbers mean nothing.

    python3 scripts/gpt2/make_full_random.py /tmp/gpt2-random
    python3 scripts/gpt2/bench_transformers.py /tmp/gpt2-random     # the reference's tokens/s
"""

import os
import sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} FOLDER")
    folder = sys.argv[1]
    torch.manual_seed(0)
    config = GPT2Config(n_embd=768, n_layer=12, n_head=12, n_positions=1024, vocab_size=50257,
                        activation_function="gelu_new", layer_norm_epsilon=1e-5)
    model = GPT2LMHeadModel(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    generation = os.path.join(folder, "generation_config.json")
    if os.path.exists(generation):
        os.remove(generation)
    print(folder, {name: os.path.getsize(os.path.join(folder, name)) for name in sorted(os.listdir(folder))})


if __name__ == "__main__":
    main()
