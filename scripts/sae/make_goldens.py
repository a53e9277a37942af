#!/usr/bin/env python3
"""Golden fixtures for saescope's SAE loaders (Tests/SparseAutoencoderTests/Fixtures) and
PyTorch .pt reader (Tests/TensorsTests/Fixtures).

For each published SAE format this writes a small random SAE exactly as that project saves it
(torch.save for OpenAI's .pt, cfg.json + safetensors for SAELens and sparsify, np.savez for
Gemma Scope), random activations, and the latents an independent numpy implementation of the
format's documented encode computes (float64, from the stored — possibly rounded — weights):

    goldens/<case>.safetensors: activations [T, d] f32, latents [T, n] f32 (dense, zeros
                                 where inactive)
    goldens.json:               per case: the SAE path, and what the loader should report

The encode math each function follows, and where it comes from:
  openai:     openai/sparse_autoencoder, sparse_autoencoder/model.py (LN, Autoencoder.preprocess,
              encode_pre_act, TopK, from_state_dict: normalize iff activation == "TopK")
  saelens:    jbloomAus/SAELens, sae_lens/saes/sae.py (process_sae_in,
              _setup_activation_normalization), standard_sae.py, topk_sae.py, jumprelu_sae.py;
              pre-6 configs: sae_lens/loading/pretrained_sae_loaders.py (handle_pre_6_0_config)
  sparsify:   EleutherAI/sparsify, sparsify/sparse_coder.py (encode), fused_encoder.py
  gemmascope: Gemma Scope params.npz as read by SAELens (gemma_2_sae_huggingface_loader,
              jumprelu architecture, apply_b_dec_to_input False)

Run from the repository root:  python3 scripts/sae/make_goldens.py
Needs numpy, safetensors, torch (CPU).
"""
import collections
import json
import os
import shutil

import numpy as np
import torch
from safetensors.numpy import save_file

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SAE_FIXTURES = os.path.join(ROOT, "Tests", "SparseAutoencoderTests", "Fixtures")
TENSOR_FIXTURES = os.path.join(ROOT, "Tests", "TensorsTests", "Fixtures")
D, N, K, T = 32, 128, 8, 16
rng = np.random.default_rng(20240607)


# ---- reference encoders (float64) ----

def layer_norm(x, eps=1e-5):
    """OpenAI LN / SAELens layer_norm: centre, divide by (unbiased std + eps)."""
    x = x - x.mean(axis=-1, keepdims=True)
    return x / (x.std(axis=-1, ddof=1, keepdims=True) + eps)


def topk_relu(pre, k):
    out = np.zeros_like(pre)
    idx = np.argsort(-pre, axis=-1, kind="stable")[:, :k]
    rows = np.arange(pre.shape[0])[:, None]
    out[rows, idx] = np.maximum(pre[rows, idx], 0)
    return out


def f64(a):
    return np.asarray(a, dtype=np.float64)


def openai_encode(sd, x):
    x = f64(x)
    act = sd["activation"]
    if act == "TopK":
        x = layer_norm(x)
    pre = (x - f64(sd["pre_bias"])) @ f64(sd["encoder.weight"]).T + f64(sd["latent_bias"])
    if act == "TopK":
        return topk_relu(pre, sd["activation_state_dict"]["k"])
    return np.maximum(pre, 0)


def saelens_encode(cfg, w, x):
    x = f64(x)
    norm = cfg.get("normalize_activations", "none")
    if norm == "layer_norm":
        x = layer_norm(x)
    elif norm == "constant_norm_rescale":
        x = x * (np.sqrt(x.shape[-1]) / np.linalg.norm(x, axis=-1, keepdims=True))
    # expected_average_only_in: SAELens applies no run-time normalisation when loading from disk.
    if cfg.get("apply_b_dec_to_input", True):
        x = x - f64(w["b_dec"])
    pre = x @ f64(w["W_enc"]) + f64(w["b_enc"])
    arch = cfg["architecture"]
    if arch == "topk":
        if cfg.get("rescale_acts_by_decoder_norm", False):
            pre = pre * np.linalg.norm(f64(w["W_dec"]), axis=-1)
        return topk_relu(pre, cfg["k"])
    if arch == "jumprelu":
        return np.maximum(pre, 0) * (pre > f64(w["threshold"]))
    return np.maximum(pre, 0)


def sparsify_encode(cfg, w, x):
    x = f64(x) - f64(w["b_dec"])
    pre = np.maximum(x @ f64(w["encoder.weight"]).T + f64(w["encoder.bias"]), 0)
    return topk_relu(pre, cfg["k"])


def gemmascope_encode(w, x):
    pre = f64(x) @ f64(w["W_enc"]) + f64(w["b_enc"])
    return np.maximum(pre, 0) * (pre > f64(w["threshold"]))


# ---- random weights ----

def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def activations():
    # Residual-stream-like: a non-zero mean and a spread, so normalisation matters.
    return (randn(T, D, scale=3.0) + 0.5).astype(np.float32)


def threshold_for(w_enc_dn, b_enc, x):
    """Per-latent thresholds near the middle of the positive pre-activations, so JumpReLU
    zeroes some values that ReLU would keep."""
    pre = f64(x) @ f64(w_enc_dn) + f64(b_enc)
    return np.maximum(np.quantile(pre, 0.6, axis=0), 0.05).astype(np.float32)


manifest = {}


def write_golden(case, sae_path, x, latents, **expect):
    os.makedirs(os.path.join(SAE_FIXTURES, "goldens"), exist_ok=True)
    save_file({"activations": np.ascontiguousarray(x, dtype=np.float32),
               "latents": np.ascontiguousarray(latents, dtype=np.float32)},
              os.path.join(SAE_FIXTURES, "goldens", case + ".safetensors"))
    manifest[case] = {"path": sae_path, **expect}


# ---- OpenAI .pt ----

def openai_case(case, rel_path, activation, dtype=torch.float32):
    enc = randn(N, D, scale=0.3)
    dec = randn(D, N, scale=0.3)
    sd = collections.OrderedDict()
    sd["pre_bias"] = torch.tensor(randn(D, scale=0.5), dtype=dtype)
    sd["latent_bias"] = torch.tensor(randn(N, scale=0.1), dtype=dtype)
    sd["stats_last_nonzero"] = torch.zeros(N, dtype=torch.long)
    sd["latents_activation_frequency"] = torch.ones(N, dtype=torch.float)
    sd["latents_mean_square"] = torch.zeros(N, dtype=torch.float)
    sd["encoder.weight"] = torch.tensor(enc, dtype=dtype)
    sd["decoder.weight"] = torch.tensor(dec, dtype=dtype)
    sd["activation"] = activation
    if activation == "TopK":
        sd["activation_state_dict"] = {"k": K, "postact_fn": "ReLU"}
    else:
        sd["activation_state_dict"] = {}
    path = os.path.join(SAE_FIXTURES, rel_path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(sd, path)
    # The reference reads the file back, as a user of OpenAI's code would.
    loaded = torch.load(path, weights_only=True)
    ref = {k: (v.float().numpy() if isinstance(v, torch.Tensor) else v) for k, v in loaded.items()}
    x = activations()
    return x, openai_encode(ref, x)


def openai_goldens():
    x, y = openai_case("openai_topk", "openai/resid_post_mlp_v5_32k/autoencoders/5.pt", "TopK")
    write_golden("openai_topk", "openai/resid_post_mlp_v5_32k/autoencoders/5.pt", x, y, format="openai",
                 hook="blocks.5.hook_resid_post", k=K, normalization="layer_norm", subtract=True)
    x, y = openai_case("openai_relu", "openai/resid_delta_attn_v4/autoencoders/3.pt", "ReLU")
    write_golden("openai_relu", "openai/resid_delta_attn_v4/autoencoders/3.pt", x, y, format="openai",
                 hook="blocks.3.hook_attn_out", k=None, normalization="none", subtract=True)
    x, y = openai_case("openai_topk_f16", "openai/topk_f16.pt", "TopK", dtype=torch.float16)
    write_golden("openai_topk_f16", "openai/topk_f16.pt", x, y, format="openai",
                 hook=None, k=K, normalization="layer_norm", subtract=True)


# ---- SAELens ----

def saelens_case(case, cfg, arch, dtype=np.float32):
    w = {"W_enc": randn(D, N, scale=0.3), "b_enc": randn(N, scale=0.1),
         "W_dec": randn(N, D, scale=0.3), "b_dec": randn(D, scale=0.5)}
    x = activations()
    if arch == "jumprelu":
        w["threshold"] = threshold_for(w["W_enc"], w["b_enc"], x)
    w = {k: v.astype(dtype) for k, v in w.items()}
    folder = os.path.join(SAE_FIXTURES, "saelens", case)
    os.makedirs(folder, exist_ok=True)
    save_file(w, os.path.join(folder, "sae_weights.safetensors"))
    with open(os.path.join(folder, "cfg.json"), "w") as f:
        json.dump(cfg, f, indent=1)
    # What SAELens itself computes from this config (pre-6 configs normalised as it does).
    norm_cfg = dict(cfg)
    if "metadata" not in cfg:
        act = cfg.get("activation_fn_str", cfg.get("activation_fn", "relu"))
        norm_cfg.setdefault("architecture", "standard")
        norm_cfg.setdefault("apply_b_dec_to_input", True)
        if act == "topk" and cfg.get("activation_fn_kwargs", {}).get("k") is not None:
            norm_cfg["architecture"] = "topk"
            norm_cfg["k"] = cfg["activation_fn_kwargs"]["k"]
        if isinstance(cfg.get("normalize_activations"), bool):
            norm_cfg["normalize_activations"] = "expected_average_only_in" if cfg["normalize_activations"] else "none"
    return x, saelens_encode(norm_cfg, w, x)


def v6(arch, hook, **extra):
    return {"d_in": D, "d_sae": N, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": True,
            "normalize_activations": "none", "reshape_activations": "none", **extra,
            "metadata": {"sae_lens_version": "6.5.1", "sae_lens_training_version": "6.5.1", "model_name": "gpt2",
                         "hook_name": hook, "hook_head_index": None, "prepend_bos": True, "context_size": 128,
                         "dataset_path": "monology/pile-uncopyrighted"},
            "architecture": arch}


def saelens_goldens():
    cases = [
        ("standard_v6", v6("standard", "blocks.5.hook_resid_pre"), "standard",
         dict(hook="blocks.5.hook_resid_pre", model="gpt2", k=None, normalization="none", subtract=True, activation="relu")),
        ("topk_v6_layernorm", v6("topk", "blocks.6.hook_resid_post", k=K, rescale_acts_by_decoder_norm=False,
                                 normalize_activations="layer_norm"), "topk",
         dict(hook="blocks.6.hook_resid_post", model="gpt2", k=K, normalization="layer_norm", subtract=True, activation="topk")),
        ("topk_v6_rescale", v6("topk", "blocks.6.hook_resid_post", k=K, rescale_acts_by_decoder_norm=True,
                               apply_b_dec_to_input=False), "topk",
         dict(hook="blocks.6.hook_resid_post", model="gpt2", k=K, normalization="none", subtract=False, activation="topk")),
        ("jumprelu_v6", v6("jumprelu", "blocks.7.hook_mlp_out", apply_b_dec_to_input=False,
                           normalize_activations="constant_norm_rescale"), "jumprelu",
         dict(hook="blocks.7.hook_mlp_out", model="gpt2", k=None, normalization="constant_norm_rescale", subtract=False, activation="jumprelu")),
        ("topk_pre6", {"model_name": "gpt2-small", "hook_point": "blocks.8.hook_resid_pre", "hook_point_layer": 8,
                       "d_in": D, "d_sae": N, "dtype": "torch.float32", "device": "cuda", "activation_fn_str": "topk",
                       "activation_fn_kwargs": {"k": K}, "apply_b_dec_to_input": True,
                       "normalize_activations": "expected_average_only_in", "sae_lens_training_version": "3.13.0",
                       "context_size": 128}, "topk",
         dict(hook="blocks.8.hook_resid_pre", model="gpt2-small", k=K, normalization="none", subtract=True, activation="topk")),
        ("standard_pre6_bool", {"model_name": "gpt2-small", "hook_name": "blocks.2.hook_resid_pre", "d_in": D, "d_sae": N,
                                "dtype": "float32", "activation_fn_str": "relu", "normalize_activations": False,
                                "sae_lens_training_version": "2.1.3"}, "standard",
         dict(hook="blocks.2.hook_resid_pre", model="gpt2-small", k=None, normalization="none", subtract=True, activation="relu")),
    ]
    for case, cfg, arch, expect in cases:
        x, y = saelens_case(case, cfg, arch)
        write_golden("saelens_" + case, "saelens/" + case, x, y, format="saelens", **expect)


# ---- EleutherAI sparsify ----

def sparsify_case(folder, cfg, torch_dtype):
    num = cfg["num_latents"] or cfg["d_in"] * cfg["expansion_factor"]
    w = {"encoder.weight": torch.tensor(randn(num, D, scale=0.3), dtype=torch_dtype),
         "encoder.bias": torch.tensor(randn(num, scale=0.1), dtype=torch_dtype),
         "W_dec": torch.tensor(randn(num, D, scale=0.3), dtype=torch_dtype),
         "b_dec": torch.tensor(randn(D, scale=0.5), dtype=torch_dtype)}
    path = os.path.join(SAE_FIXTURES, folder)
    os.makedirs(path, exist_ok=True)
    from safetensors.torch import save_file as save_torch
    save_torch(w, os.path.join(path, "sae.safetensors"))
    with open(os.path.join(path, "cfg.json"), "w") as f:
        json.dump(cfg, f)
    x = activations()
    return x, sparsify_encode(cfg, {k: v.float().numpy() for k, v in w.items()}, x)


def sparsify_goldens():
    cfg = {"activation": "topk", "expansion_factor": 32, "normalize_decoder": True, "num_latents": N, "k": K,
           "multi_topk": False, "skip_connection": False, "transcode": False, "d_in": D}
    x, y = sparsify_case("sparsify/layers.3", cfg, torch.float32)
    write_golden("sparsify_layers3", "sparsify/layers.3", x, y, format="sparsify",
                 hook="blocks.3.hook_resid_post", k=K, normalization="none", subtract=True)
    # An older config (no activation/transcode keys), latents from expansion_factor, bf16 weights
    # as sparsify saves them when the model runs in bf16.
    old = {"expansion_factor": 4, "normalize_decoder": True, "num_latents": 0, "k": K, "signed": False, "d_in": D}
    x, y = sparsify_case("sparsify_bf16/layers.10", old, torch.bfloat16)
    write_golden("sparsify_bf16", "sparsify_bf16", x, y, format="sparsify",
                 hook="blocks.10.hook_resid_post", k=K, normalization="none", subtract=True)


# ---- Gemma Scope ----

def gemmascope_goldens():
    for case, rel, compress, hook in [
        ("gemmascope_stored", "gemma-scope-2b-pt-res/layer_4/width_16k/average_l0_10/params.npz", False, "blocks.4.hook_resid_post"),
        ("gemmascope_deflated", "gemmascope-deflated/params.npz", True, None),
    ]:
        x = activations()
        w = {"W_enc": randn(D, N, scale=0.3), "W_dec": randn(N, D, scale=0.3),
             "b_enc": randn(N, scale=0.1), "b_dec": randn(D, scale=0.5)}
        w["threshold"] = threshold_for(w["W_enc"], w["b_enc"], x)
        path = os.path.join(SAE_FIXTURES, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        (np.savez_compressed if compress else np.savez)(path, **w)
        with np.load(path) as data:
            ref = {k: data[k] for k in data}
        write_golden(case, rel, x, gemmascope_encode(ref, x), format="gemmascope", hook=hook, k=None,
                     normalization="none", subtract=False, activation="jumprelu")


# ---- .pt files for the Tensors reader ----

def torch_fixtures():
    g = torch.Generator().manual_seed(7)
    sd = collections.OrderedDict()
    sd["f32"] = torch.randn(3, 4, generator=g)
    sd["f16"] = torch.randn(5, generator=g).half()
    sd["bf16"] = torch.randn(2, 3, generator=g).bfloat16()
    sd["i64"] = torch.arange(-3, 3, dtype=torch.long)
    sd["row"] = sd["f32"][1]                     # a view sharing f32's storage at offset 4
    sd["scalar"] = torch.tensor(2.5)
    sd["nested"] = {"inner": {"w": torch.ones(2, 2)}, "name": "TopK", "k": 32}
    sd["list"] = [1, -2, 3.5, None, True, "s"]
    sd["big"] = 1 << 40
    sd["neg"] = -70000
    torch.save(sd, os.path.join(TENSOR_FIXTURES, "state_dict.pt"))
    expected = {name: t.float().numpy().ravel().tolist() for name, t in
                [("f32", sd["f32"]), ("f16", sd["f16"]), ("bf16", sd["bf16"]), ("i64", sd["i64"]), ("row", sd["row"]),
                 ("scalar", sd["scalar"]), ("nested.inner.w", sd["nested"]["inner"]["w"])]}
    with open(os.path.join(TENSOR_FIXTURES, "state_dict.expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
    torch.save({"t": torch.randn(3, 4, generator=g).t()}, os.path.join(TENSOR_FIXTURES, "transposed.pt"))


if __name__ == "__main__":
    for sub in ["openai", "saelens", "sparsify", "sparsify_bf16", "gemma-scope-2b-pt-res", "gemmascope-deflated", "goldens"]:
        shutil.rmtree(os.path.join(SAE_FIXTURES, sub), ignore_errors=True)
    openai_goldens()
    saelens_goldens()
    sparsify_goldens()
    gemmascope_goldens()
    with open(os.path.join(SAE_FIXTURES, "goldens.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    torch_fixtures()
    print(f"{len(manifest)} golden cases written to {os.path.relpath(SAE_FIXTURES)}")
