#!/usr/bin/env python3
"""llama.cpp's prompt-processing speed on the prompt `saescope bench model` runs, side by side.

Needs the `llama-cpp-python` package (it builds llama.cpp from source). Loads the same GGUF
(Q4_1 weights used as they are: llama.cpp multiplies the quantised blocks directly, saescope
dequantises them at load), with --threads threads for both batch and single-token work, one
context of --tokens, and times a full evaluation of the prompt (all layers and the logits of
every position) as the median of several runs. Weights are not repacked for llama.cpp's AMX
kernels unless --repack is given: in llama-cpp-python 0.3.36 that path crashes (SIGSEGV in
ggml_backend_amx_mul_mat) on any batch of more than one token; without it llama.cpp multiplies
Q4_1 blocks with its AVX512-VNNI dot products. Each run starts from an empty cache, so it processes
the whole prompt. The prompt is the token ids (1000 + 37·i) mod V, i < --tokens.

    python3 scripts/llama/bench_llamacpp.py [--tokens 128] [--runs 10] [--threads 2] [--gguf PATH]
"""

import argparse
import os
import time

from bench_common import add_arguments, gguf_path, prompt_ids, time_runs


def main():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    parser.add_argument("--repack", action="store_true",
                        help="let llama.cpp repack weights for its AMX kernels (llama-cpp-python "
                             "0.3.36's AMX Q4_1 product crashes with SIGSEGV on batches > 1)")
    args = parser.parse_args()

    import llama_cpp

    path = gguf_path(args.gguf)
    if not args.repack:
        import llama_cpp.llama_cpp as bindings  # the module Llama() takes its defaults from
        defaults = bindings.llama_model_default_params

        def without_repacking():
            params = defaults()
            params.use_extra_bufts = False
            return params
        bindings.llama_model_default_params = without_repacking
    start = time.perf_counter()
    model = llama_cpp.Llama(model_path=path, n_ctx=max(args.tokens, 256), n_batch=args.tokens,
                            n_ubatch=args.tokens, n_threads=args.threads,
                            n_threads_batch=args.threads, logits_all=True, verbose=False)
    load = time.perf_counter() - start
    ids = prompt_ids(model.n_vocab(), args.tokens)
    version = getattr(llama_cpp, "__version__", "?")
    print(f"bench llama.cpp: {os.path.basename(path)}, llama-cpp-python {version}, "
          f"{args.threads} threads, {'AMX repacking' if args.repack else 'no repacking'}, load {load:.2f} s")

    def run():
        model.reset()  # n_tokens = 0: eval drops the cached positions and processes all of ids
        model.eval(ids)

    time_runs("all layers + logits", run, args.runs, args.tokens)


if __name__ == "__main__":
    main()
