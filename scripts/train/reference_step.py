#!/usr/bin/env python3
"""Reference for saescope's TopK SAE trainer (Sources/Trainer): two training steps of a tiny
SAE computed with torch autograd and torch.optim.Adam in float64, written to
Tests/TrainerTests/Fixtures/two_steps.npz for TrainerTests' golden test.

Loss (see Sources/Trainer/TopKTrainer.swift):
  pre = (x - b_dec) @ W_enc.T + b_enc;  z = relu(topk_k(pre));  x_hat = z @ W_dec + b_dec
  L_main = sum((x - x_hat)^2) / sum((x - mean(x))^2)           (denominator a constant)
  dead counters updated with this batch, dead = counter >= dead_after
  e = (x - x_hat).detach();  z_aux = relu(topk_A(pre over dead latents));  e_hat = z_aux @ W_dec
  L_aux = sum((e_hat - e)^2) / sum((e - mean(e))^2)
  L = L_main + coef * L_aux
Then: remove from each decoder row's gradient its component along the row, Adam, renormalise rows.

Usage: python3 scripts/train/reference_step.py   (needs numpy and torch; deterministic)
"""
import os
import numpy as np
import torch

D, N, K, AUX_K, B = 8, 32, 4, 6, 16
COEF, DEAD_AFTER, LR, BETAS, EPS = 1.0 / 32, 40, 1e-2, (0.9, 0.999), 6.25e-10


def main():
    rng = np.random.default_rng(20241121)
    dec = rng.standard_normal((N, D))
    dec /= np.linalg.norm(dec, axis=1, keepdims=True)
    enc = dec + 0.3 * rng.standard_normal((N, D))
    b_enc = 0.1 * rng.standard_normal(N)
    b_dec = 0.2 * rng.standard_normal(D)
    x1 = rng.standard_normal((B, D)) * 2
    x2 = rng.standard_normal((B, D)) * 2 + 0.5
    counters0 = np.zeros(N, dtype=np.int64)
    counters0[:16] = 100  # latents 0-15 start dead unless they fire
    # float32 inputs: the Swift side reads exactly these values.
    dec, enc, b_enc, b_dec, x1, x2 = (a.astype(np.float32) for a in (dec, enc, b_enc, b_dec, x1, x2))

    params = {name: torch.tensor(a, dtype=torch.float64, requires_grad=True)
              for name, a in (("enc", enc), ("b_enc", b_enc), ("dec", dec), ("b_dec", b_dec))}
    opt = torch.optim.Adam(params.values(), lr=LR, betas=BETAS, eps=EPS)
    counters = counters0.copy()
    out = dict(x1=x1, x2=x2, enc0=enc, b_enc0=b_enc, dec0=dec, b_dec0=b_dec, counters0=counters0.astype(np.float32))

    for step, x_np in ((1, x1), (2, x2)):
        x = torch.tensor(x_np, dtype=torch.float64)
        W_enc, bE, W_dec, bD = params["enc"], params["b_enc"], params["dec"], params["b_dec"]
        pre = (x - bD) @ W_enc.T + bE
        vals, idx = pre.topk(K, dim=1)
        z = torch.zeros_like(pre).scatter(1, idx, torch.relu(vals))
        x_hat = z @ W_dec + bD
        var_x = ((x - x.mean(0)) ** 2).sum().detach()
        l_main = ((x - x_hat) ** 2).sum() / var_x
        fired = (z > 0).any(0).numpy()
        counters = np.where(fired, 0, counters + B)
        dead = torch.tensor(counters >= DEAD_AFTER)
        e = (x - x_hat).detach()
        a = min(AUX_K, int(dead.sum()))
        if a > 0:
            masked = pre.masked_fill(~dead[None, :], float("-inf"))
            avals, aidx = masked.topk(a, dim=1)
            z_aux = torch.zeros_like(pre).scatter(1, aidx, torch.relu(avals))
            e_hat = z_aux @ W_dec
            var_e = ((e - e.mean(0)) ** 2).sum()
            l_aux = ((e_hat - e) ** 2).sum() / var_e
        else:
            l_aux = torch.zeros((), dtype=torch.float64)
        loss = l_main + COEF * l_aux
        opt.zero_grad()
        loss.backward()
        if step == 1:
            out.update(grad_enc1=W_enc.grad.numpy().copy(), grad_b_enc1=bE.grad.numpy().copy(),
                       grad_dec1=W_dec.grad.numpy().copy(), grad_b_dec1=bD.grad.numpy().copy())
        with torch.no_grad():
            g = W_dec.grad
            g -= (g * W_dec).sum(1, keepdim=True) * W_dec
        opt.step()
        with torch.no_grad():
            W_dec /= W_dec.norm(dim=1, keepdim=True)
        out[f"loss{step}"] = np.array([loss.item(), l_main.item(), l_aux.item(), (z > 0).sum().item() / B, dead.float().mean().item()])
        out[f"counters{step}"] = counters.astype(np.float32)
        print(f"step {step}: loss {loss.item():.6f} fvu {l_main.item():.6f} aux {l_aux.item():.6f} dead {int(dead.sum())}")

    for name in ("enc", "b_enc", "dec", "b_dec"):
        out[f"{name}2"] = params[name].detach().numpy()
    out = {k: np.asarray(v, dtype=np.float32) for k, v in out.items()}
    path = os.path.join(os.path.dirname(__file__), "../../Tests/TrainerTests/Fixtures/two_steps.npz")
    np.savez(path, **out)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
