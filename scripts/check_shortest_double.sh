#!/usr/bin/env bash
# Check of Sources/App/ShortestDouble.swift against Double.description on ~250 million Doubles
# chosen where shortest-digit code goes wrong (see scripts/shortest_double/main.swift); the unit
# test samples 400,000. About 2 minutes of one core. Argument: thousands per random set
# (default 1000; 10 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swiftc -O -o "$work/check" Sources/App/ShortestDouble.swift scripts/shortest_double/main.swift -lm
"$work/check" "${1:-1000}"
