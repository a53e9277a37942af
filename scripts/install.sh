#!/usr/bin/env bash
# Builds saescope in release mode and installs it with what it ships beside the binary:
#   PREFIX/saescope, PREFIX/Public/, PREFIX/migrations/
# The Dockerfile runs exactly this; so does CI, which then serves from PREFIX.
set -euo pipefail
prefix=${1:?usage: scripts/install.sh PREFIX}
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib
mkdir -p "$prefix"
rm -rf "$prefix/Public" "$prefix/migrations"
cp "$(swift build -c release --static-swift-stdlib --show-bin-path)/saescope" "$prefix/saescope"
cp -R Public migrations "$prefix/"
echo "installed saescope to $prefix"
