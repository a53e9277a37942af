#!/usr/bin/env bash
# The README's first command: build saescope, make an index to browse, and serve it.
# Until the demo SAE bundle lands, the index is a synthetic one (saescope synth-index).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
swift build -c release
bin=$(swift build -c release --show-bin-path)/saescope
index=${INDEX:-out/demo.sqlite}
if [ ! -f "$index" ]; then
  mkdir -p "$(dirname "$index")"
  "$bin" synth-index --latents 20000 --out "$index"
fi
exec "$bin" serve --index "$index" --port "$port"
