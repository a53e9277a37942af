#!/usr/bin/env bash
# Builds saescope in release mode and installs it with what it ships beside the binary:
#   PREFIX/saescope, PREFIX/Public/, PREFIX/migrations/, and PREFIX/demo/ (the demo bundle:
#   index.sqlite unpacked from demo/index.sqlite.gz, sae.safetensors, README.md) when the checkout has it
# The Dockerfile runs exactly this; so does CI, which then serves from PREFIX.
set -euo pipefail
prefix=${1:?usage: scripts/install.sh PREFIX}
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib
mkdir -p "$prefix"
rm -rf "$prefix/Public" "$prefix/migrations" "$prefix/demo"
cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/saescope" "$prefix/saescope"
cp -R Public migrations "$prefix/"
# The bundle's index is committed gzipped (demo/index.sqlite.gz); installed unpacked.
if [ -f demo/index.sqlite.gz ]; then
  mkdir -p "$prefix/demo"
  gunzip -c demo/index.sqlite.gz > "$prefix/demo/index.sqlite"
  # Committed at the schema of its day; upgraded to this saescope's (no-op when current).
  "$prefix/saescope" migrate "$prefix/demo/index.sqlite"
  cp demo/README.md "$prefix/demo/"
  if [ -f demo/sae.safetensors ]; then cp demo/sae.safetensors "$prefix/demo/"; fi
fi
echo "installed saescope to $prefix"
