#!/usr/bin/env bash
# Serving benchmark (issue: serve a feature index). Side by side in one run:
#   1. a static file: saescope vs nginx serving the same file;
#   2. GET /api/features/{id} on random ids of a 100,000-latent index vs nginx serving those
#      JSON bodies precomputed as files;
#   3. a 1,000,000-latent index: time to ready, /api/features/{id} p99, the first page sorted by
#      density, and the server's resident memory.
# wrk: keep-alive, 64 connections, 2 threads. Indexes are cached in out/bench/.
# Usage: scripts/bench-serve.sh [seconds per wrk run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
rounds=${2:-3}
for tool in wrk nginx curl; do command -v $tool >/dev/null || { echo "bench: needs $tool (apt-get install wrk nginx-light curl)"; exit 1; }; done
out=$PWD/out/bench
mkdir -p "$out"
swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)/saescope

[ -f "$out/100k.sqlite" ] || "$bin" synth-index --latents 100000 --out "$out/100k.sqlite"
[ -f "$out/1m.sqlite" ] || "$bin" synth-index --latents 1000000 --top 2 --intervals 1 --per-interval 1 --context 16 --out "$out/1m.sqlite"
# Indexes cached by an older saescope are upgraded in place (nothing to do when current).
for idx in "$out/100k.sqlite" "$out/1m.sqlite"; do "$bin" migrate "$idx" >/dev/null; done

# Warm the OS page cache: the figures should measure the servers, not this machine's disk.
cat "$out/100k.sqlite" "$out/1m.sqlite" > /dev/null
[ -d "$out/nginx-root/api" ] && find "$out/nginx-root/api" -type f -exec cat {} + > /dev/null

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_up() { for _ in $(seq 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.05; done; echo "bench: $1 did not come up"; exit 1; }

# saescope on the 100k index
"$bin" serve --index "$out/100k.sqlite" --port 18181 --quiet >/dev/null 2>&1 & pids+=($!)
wait_up http://127.0.0.1:18181/api/health

# nginx with the same static file and every latent's body precomputed from saescope (cached in
# out/bench/nginx-root; delete it after changing the API).
root=$out/nginx-root
mkdir -p "$root/assets"
cp Public/assets/app.css "$root/assets/app.css"
[ -f "$root/api/features/99999" ] || python3 scripts/fetch_features.py 18181 100000 "$root/api/features"
cat > "$out/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx.pid;
error_log $out/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on; tcp_nopush on; tcp_nodelay on;
  keepalive_requests 1000000; keepalive_timeout 60;
  types { text/css css; application/json json; }
  default_type application/json;
  etag on;
  server { listen 127.0.0.1:18182; root $root; }
}
NGINX
nginx -c "$out/nginx.conf" -g 'daemon off;' & pids+=($!)
wait_up http://127.0.0.1:18182/assets/app.css

# Both draw latents uniformly from all 100,000.
cat > "$out/random-100k.lua" <<'LUA'
request = function() return wrk.format("GET", "/api/features/" .. math.random(0, 99999)) end
LUA

# Runs wrk, prints "requests/s p99_ms".
run_wrk() {
  wrk -t2 -c64 -d"${secs}s" --latency "$@" 2>/dev/null | awk '
    /Requests\/sec/ { rps = $2 }
    / 99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; p99 = v }
    END { printf "%d %.2f\n", rps, p99 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "bench: $rounds rounds of ${secs}s, wrk -t2 -c64, interleaved"
for r in $(seq "$rounds"); do
  run_wrk http://127.0.0.1:18181/assets/app.css >> "$out/static-saescope.txt"
  run_wrk http://127.0.0.1:18182/assets/app.css >> "$out/static-nginx.txt"
  run_wrk -s "$out/random-100k.lua" http://127.0.0.1:18181 >> "$out/feature-saescope.txt"
  run_wrk -s "$out/random-100k.lua" http://127.0.0.1:18182 >> "$out/feature-nginx.txt"
done
report() {
  local name=$1 ours=$2 theirs=$3 target=$4
  local a b p
  a=$(cut -d' ' -f1 "$ours" | median); b=$(cut -d' ' -f1 "$theirs" | median); p=$(cut -d' ' -f2 "$ours" | median)
  awk -v n="$name" -v a="$a" -v b="$b" -v p="$p" -v t="$target" 'BEGIN { printf "%-28s saescope %8d req/s  nginx %8d req/s  ratio %.2f (target >= %s)  saescope p99 %.2f ms\n", n, a, b, a / b, t, p }'
}
report "static file" "$out/static-saescope.txt" "$out/static-nginx.txt" 0.7
report "feature JSON, 100k latents" "$out/feature-saescope.txt" "$out/feature-nginx.txt" 0.3
rm -f "$out"/static-*.txt "$out"/feature-*.txt

# The same with 200 clients trickling one header byte a second (the header timeout is raised
# so they stay for the whole run).
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
"$bin" serve --index "$out/100k.sqlite" --port 18181 --quiet --header-timeout 600 >/dev/null 2>&1 & pids[0]=$!
wait_up http://127.0.0.1:18181/api/health
python3 scripts/slowloris.py 18181 --connections 200 --seconds $((secs * 2 + 10)) & pids+=($!)
sleep 3
slow_static=$(run_wrk http://127.0.0.1:18181/assets/app.css)
slow_feature=$(run_wrk -s "$out/random-100k.lua" http://127.0.0.1:18181)
echo "with 200 slow clients:       static $(echo "$slow_static" | cut -d' ' -f1) req/s (p99 $(echo "$slow_static" | cut -d' ' -f2) ms), feature JSON $(echo "$slow_feature" | cut -d' ' -f1) req/s (p99 $(echo "$slow_feature" | cut -d' ' -f2) ms)"
kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()

# The 1,000,000-latent index
start=$(date +%s.%N)
"$bin" serve --index "$out/1m.sqlite" --port 18183 --quiet >/dev/null 2>&1 & pids+=($!)
wait_up http://127.0.0.1:18183/api/health
ready=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
cat > "$out/random-1m.lua" <<'LUA'
request = function() return wrk.format("GET", "/api/features/" .. math.random(0, 999999)) end
LUA
first_page=$(for _ in 1 2 3 4 5 6 7; do curl -fsS -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:18183/api/features?sort=density&order=desc"; done | median)
result=$(run_wrk -s "$out/random-1m.lua" http://127.0.0.1:18183)
light=$(wrk -t1 -c4 -d"${secs}s" --latency -s "$out/random-1m.lua" http://127.0.0.1:18183 2>/dev/null | awk '/ 99%/ { v = $2; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else { sub(/ms$/, "", v) }; print v }')
rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/${pids[0]}/status")
awk -v r="$ready" -v f="$first_page" -v res="$result" -v m="$rss" -v l="$light" 'BEGIN {
  split(res, x, " ");
  printf "1M latents: ready %.2f s (target < 1)  feature p99 %.2f ms with 4 connections, %.2f ms with 64 at %d req/s (target < 10)  first page by density %.1f ms (target < 50)  RSS %d MB (target < 150)\n", r, l, x[2], x[1], f * 1000, m }'
