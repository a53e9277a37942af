#!/usr/bin/env python3
"""The TopK encoder in numpy and torch, for a side-by-side with `saescope bench encode`.

Same sizes as saescope's benchmark: random weights (N, d), 128 tokens per call, k = 32, the
encoder as saescope runs it: (x − b_dec) · Wᵀ + b_enc, the k largest per token, ReLU.
numpy uses argpartition (linear-time selection); torch uses torch.topk.

    python3 scripts/sae/bench_encode.py [--latents 16384 131072] [--width 576] [--tokens 128] [--threads 2]
"""
import argparse
import statistics
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--latents", type=int, nargs="+", default=[16384, 131072])
    ap.add_argument("--width", type=int, default=576)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(12345)
    print(f"bench encode (python): numpy {np.__version__}, torch {torch.__version__}, {args.threads} torch threads, "
          f"d={args.width}, k={args.k}, {args.tokens} tokens per call")

    def timed(run):
        run()
        seconds = []
        for _ in range(args.runs):
            begin = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - begin)
        return statistics.median(seconds)

    for n in args.latents:
        w = rng.standard_normal((n, args.width), dtype=np.float32)
        b_enc = rng.standard_normal(n, dtype=np.float32) * 0.1
        b_dec = rng.standard_normal(args.width, dtype=np.float32)
        x = rng.standard_normal((args.tokens, args.width), dtype=np.float32)

        def numpy_encode():
            pre = (x - b_dec) @ w.T + b_enc
            idx = np.argpartition(pre, -args.k, axis=1)[:, -args.k:]
            vals = np.maximum(np.take_along_axis(pre, idx, axis=1), 0)
            return idx, vals

        tw, tbe, tbd, tx = (torch.from_numpy(a) for a in (w, b_enc, b_dec, x))

        def torch_encode():
            with torch.inference_mode():
                pre = torch.nn.functional.linear(tx - tbd, tw, tbe)
                vals, idx = pre.topk(args.k, dim=1)
                return idx, vals.relu()

        for name, run in (("numpy", numpy_encode), ("torch", torch_encode)):
            m = timed(run)
            print(f"{n:7d} latents, {name}: median {m * 1e3:.2f} ms per {args.tokens} tokens, {args.tokens / m:.0f} tokens/s")


if __name__ == "__main__":
    main()
