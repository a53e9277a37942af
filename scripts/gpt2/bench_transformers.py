#!/usr/bin/env python3
"""transformers' speed on a GPT-2 folder, to compare with saescope's
(`saescope bench model --model FOLDER --hook blocks.11.hook_resid_post`, run right after):
one 128-token prompt through every block, float32, on THREADS CPU threads (default 2), best of
REPEATS passes after a warm-up. Prints tokens/s for the blocks alone (what an SAE hook needs) and
for the full model with logits, and writes the prompt with its last-block residual and logits
to FOLDER/reference-128.npz (for checking a full-size model's numbers by hand).

    python3 scripts/gpt2/bench_transformers.py /tmp/gpt2-random [THREADS] [REPEATS]
"""

import sys
import time

import numpy as np
import torch
from transformers import GPT2LMHeadModel


def best(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    folder = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    torch.set_num_threads(threads)
    model = GPT2LMHeadModel.from_pretrained(folder, dtype=torch.float32).eval()
    tokens = torch.randint(0, model.config.vocab_size, (1, 128), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        output = model(tokens, output_hidden_states=True, use_cache=False)
        last = model.config.n_layer - 1
        # hidden_states[-1] has ln_f applied; the residual after the last block is the input of ln_f.
        found = {}
        handle = model.transformer.ln_f.register_forward_pre_hook(lambda _m, args: found.update(resid=args[0]))
        model(tokens, use_cache=False)
        handle.remove()
        np.savez(f"{folder}/reference-128.npz", tokens=tokens[0].numpy().astype(np.int64),
                 **{f"blocks.{last}.hook_resid_post": found["resid"][0].numpy(),
                    "blocks.5.hook_resid_post": output.hidden_states[6][0].numpy(),
                    "logits": output.logits[0].numpy()})
        for implementation in ["eager", "sdpa"]:
            model.config._attn_implementation = implementation
            blocks = best(lambda: model.transformer(tokens, use_cache=False), repeats)
            full = best(lambda: model(tokens, use_cache=False), repeats)
            print(f"transformers {torch.__version__}/{implementation}, {threads} threads, 128 tokens: "
                  f"blocks {blocks * 1000:.1f} ms ({128 / blocks:.0f} tokens/s), "
                  f"with logits {full * 1000:.1f} ms ({128 / full:.0f} tokens/s)")


if __name__ == "__main__":
    main()
