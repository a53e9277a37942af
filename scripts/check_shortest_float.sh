#!/usr/bin/env bash
# Exhaustive check of Sources/App/ShortestFloat.swift: every Float bit pattern of its range
# [1e-4, 2^23), both signs, must come out exactly as Float.description writes it (the unit test
# samples 400,000 of them). About 5 minutes of CPU, split over the cores.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
swiftc -O -o "$work/check" Sources/App/ShortestFloat.swift scripts/shortest_float/main.swift -lm
lo=953267991   # Float(1e-4).bitPattern
hi=1258291200  # Float(8388608).bitPattern
parts=$(nproc)
step=$(( (hi - lo + parts - 1) / parts ))
for i in $(seq 0 $((parts - 1))); do
  a=$((lo + i * step)); b=$((a + step < hi ? a + step : hi))
  "$work/check" "$a" "$b" > "$work/part$i.txt" &
done
wait
cat "$work"/part*.txt
awk '{ n += $2; m += $6 } END { printf "shortest float: %d patterns checked, %d mismatches\n", n, m; exit (m > 0) }' "$work"/part*.txt
