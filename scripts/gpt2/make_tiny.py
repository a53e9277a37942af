#!/usr/bin/env python3
"""A tiny random-weight GPT-2 and its reference activations, for the Swift golden tests.

Writes, under Tests/LanguageModelTests/Fixtures/gpt2/tiny/:
  config.json, model.safetensors   a GPT2LMHeadModel saved by transformers (float32, HF format:
                                   names with the `transformer.` prefix, Conv1D weights [in, out],
                                   lm_head tied to wte and so not stored)
and Tests/LanguageModelTests/Fixtures/gpt2/goldens.npz (np.savez, stored), for each sequence s:
  s{s}.tokens                      int64 (T,) random token ids
  s{s}.blocks.{L}.{hook}           float32 (T, C) for every layer L and every TransformerLens hook
  s{s}.logits                      float32 (T, V)

Every parameter is random (biases and LayerNorm gains too: HF's init leaves them 0 and 1, which
would hide a missing bias). Hooks are captured with forward hooks on the modules, as
TransformerLens defines them for GPT-2:
  hook_resid_pre  = input of block L          (forward pre-hook on h[L])
  hook_attn_out   = output of h[L].attn       (after c_proj + bias; dropout is off in eval)
  hook_resid_mid  = input of h[L].ln_2        (resid_pre + attn_out)
  hook_mlp_out    = output of h[L].mlp
  hook_resid_post = output of h[L]            (before ln_f for the last block)

Needs torch (CPU) and transformers; run from the repository root:
    python3 scripts/gpt2/make_tiny.py
"""

import os

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "Tests", "LanguageModelTests", "Fixtures", "gpt2")
SEED = 20240611
LENGTHS = [1, 5, 19, 48]  # 48 = n_positions: the longest sequence the model takes

CONFIG = dict(n_embd=32, n_layer=3, n_head=4, n_positions=48, vocab_size=320,
              activation_function="gelu_new", layer_norm_epsilon=1e-5,
              bos_token_id=319, eos_token_id=319)


def randomize(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=generator))
            elif name.endswith(".bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))


def capture(model, tokens):
    """Activations at every hook of every block, and the logits, for one sequence."""
    found, handles = {}, []
    for layer, block in enumerate(model.transformer.h):
        def keep(name, layer=layer):
            def hook(_module, args, output=None):
                value = output if output is not None else args[0]
                if isinstance(value, tuple):
                    value = value[0]
                found[f"blocks.{layer}.{name}"] = value[0].detach().numpy().astype(np.float32)
            return hook
        handles.append(block.register_forward_pre_hook(keep("hook_resid_pre")))
        handles.append(block.attn.register_forward_hook(keep("hook_attn_out")))
        handles.append(block.ln_2.register_forward_pre_hook(keep("hook_resid_mid")))
        handles.append(block.mlp.register_forward_hook(keep("hook_mlp_out")))
        handles.append(block.register_forward_hook(keep("hook_resid_post")))
    with torch.no_grad():
        logits = model(torch.tensor([tokens])).logits[0].numpy().astype(np.float32)
    for handle in handles:
        handle.remove()
    return found, logits


def main():
    torch.manual_seed(SEED)
    generator = torch.Generator().manual_seed(SEED)
    config = GPT2Config(**CONFIG, attn_implementation="eager")
    model = GPT2LMHeadModel(config).eval()
    randomize(model, generator)
    folder = os.path.join(FIXTURES, "tiny")
    model.save_pretrained(folder, safe_serialization=True)
    os.remove(os.path.join(folder, "generation_config.json"))  # sampling settings: not the model's

    rng = np.random.default_rng(SEED)
    arrays = {}
    for s, length in enumerate(LENGTHS):
        tokens = rng.integers(0, CONFIG["vocab_size"], size=length).tolist()
        found, logits = capture(model, tokens)
        assert len(found) == 5 * CONFIG["n_layer"]
        # The hooks must agree with each other and with HF's hidden states.
        for layer in range(CONFIG["n_layer"]):
            mid = found[f"blocks.{layer}.hook_resid_pre"] + found[f"blocks.{layer}.hook_attn_out"]
            assert np.allclose(mid, found[f"blocks.{layer}.hook_resid_mid"], atol=1e-5)
        arrays[f"s{s}.tokens"] = np.array(tokens, dtype=np.int64)
        for name, value in found.items():
            arrays[f"s{s}.{name}"] = value
        arrays[f"s{s}.logits"] = logits
    np.savez(os.path.join(FIXTURES, "goldens.npz"), **arrays)
    for name in sorted(os.listdir(folder)):
        print(name, os.path.getsize(os.path.join(folder, name)))
    print("goldens.npz", os.path.getsize(os.path.join(FIXTURES, "goldens.npz")), "bytes,", len(arrays), "arrays")


if __name__ == "__main__":
    main()
