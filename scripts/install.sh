#!/usr/bin/env bash
# Builds saescope in release mode and installs it with what it ships beside the binary:
#   PREFIX/saescope, PREFIX/Public/, PREFIX/migrations/, and PREFIX/demo/ (the demo bundle:
#   index.sqlite, sae.safetensors, README.md) when the checkout has it
# The Dockerfile runs exactly this; so does CI, which then serves from PREFIX.
set -euo pipefail
prefix=${1:?usage: scripts/install.sh PREFIX}
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib
mkdir -p "$prefix"
rm -rf "$prefix/Public" "$prefix/migrations" "$prefix/demo"
cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/saescope" "$prefix/saescope"
cp -R Public migrations "$prefix/"
if [ -f demo/index.sqlite ]; then
  mkdir -p "$prefix/demo"
  cp demo/index.sqlite demo/README.md "$prefix/demo/"
  if [ -f demo/sae.safetensors ]; then cp demo/sae.safetensors "$prefix/demo/"; fi
fi
echo "installed saescope to $prefix"
