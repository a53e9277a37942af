#!/usr/bin/env bash
# Soak: wrk over a mix of routes for a long time, resident memory sampled throughout.
#   scripts/reliability/soak.sh URL PID [SECONDS=600] [CONNECTIONS=16]
# URL is a running saescope (with --model/--sae for live requests in the mix), PID its process.
# The mix (scripts/reliability/mix.lua): latent JSON, lists, search, token search, static files;
# where live, a second wrk posts to /api/activations on 2 connections at the same time (its
# requests wait for the model, so its latency is reported apart). Prints each wrk's summary and
# status counts (only 200s for the mix; 200 and the queue's 503 for live), and RSS at start,
# after warm-up, max and end with the drift. Exits 1 on other statuses or > 10% drift.
set -euo pipefail
url=${1:?usage: soak.sh URL PID [SECONDS] [CONNECTIONS]}
pid=${2:?usage: soak.sh URL PID [SECONDS] [CONNECTIONS]}
seconds=${3:-600}
connections=${4:-16}
here=$(cd "$(dirname "$0")" && pwd)
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
latents=$(curl -fsS "$url/api/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["latents"])')
live=$(curl -fsS "$url/api/health" | python3 -c 'import json,sys; print(1 if json.load(sys.stdin)["live"] else 0)')
samples=$(mktemp)
( while kill -0 "$pid" 2>/dev/null; do echo "$(date +%s) $(rss)"; sleep 10; done ) > "$samples" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true; rm -f "$samples"' EXIT
livelog=$(mktemp)
if [ "$live" = 1 ]; then
  MODE=live wrk -t1 -c2 -d"${seconds}s" --timeout 30s -s "$here/mix.lua" "$url" > "$livelog" 2>&1 &
  livewrk=$!
fi
out=$(LATENTS=$latents wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/mix.lua" "$url" 2>&1)
echo "$out"
if [ "$live" = 1 ]; then
  wait $livewrk || true
  echo "live stream (POST /api/activations, 2 connections):"
  cat "$livelog"
  out="$out
$(cat "$livelog")"
fi
rm -f "$livelog"
kill $sampler 2>/dev/null || true
python3 - "$samples" <<'PY'
import sys
rows = [list(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) == 2]
if len(rows) < 3:
    sys.exit("soak: too few memory samples")
kb = [r[1] for r in rows]
base = kb[min(3, len(kb) - 1)]  # after ~30 s of warm-up (caches filled)
drift = (kb[-1] - base) / base
print(f"soak: RSS start {kb[0]/1024:.0f} MB, after warm-up {base/1024:.0f} MB, max {max(kb)/1024:.0f} MB, "
      f"end {kb[-1]/1024:.0f} MB: drift {drift*100:+.1f}% over {rows[-1][0]-rows[0][0]} s")
sys.exit(0 if abs(drift) < 0.10 else 1)
PY
if echo "$out" | grep -q "unexpected statuses: [1-9]"; then echo "soak: FAILED (unexpected statuses)"; exit 1; fi
echo "soak: ok"
