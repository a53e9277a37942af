#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ with the address sanitizer and runs each for a while.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Targets: http safetensors gguf npy npz torch pickle tokenizer tokenizerjson corpus (default:
# all), 60 seconds each by default. Each run starts from the committed seeds in
# Fuzz/Seeds/<target>/ plus what earlier runs kept in Fuzz/Corpus/<target>/ (not committed);
# crashing, leaking or hanging inputs land in Fuzz/Findings/<target>/. Fuzzers run one at a
# time, single process, at the lowest priority (nice 19), so they never crowd out other work.
# Replay one input with: Fuzz/.build/release/FuzzNpy Fuzz/Findings/npy/crash-…
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
all=(http safetensors gguf npy npz torch pickle tokenizer tokenizerjson corpus)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")

executable() {
    case $1 in
        http) echo FuzzHTTP ;; safetensors) echo FuzzSafetensors ;; gguf) echo FuzzGGUF ;;
        npy) echo FuzzNpy ;; npz) echo FuzzNpz ;; torch) echo FuzzTorch ;; pickle) echo FuzzPickle ;;
        tokenizer) echo FuzzTokenizer ;; tokenizerjson) echo FuzzTokenizerJSON ;; corpus) echo FuzzCorpus ;;
        *) echo "unknown fuzz target '$1'; the targets are: ${all[*]}" >&2; exit 2 ;;
    esac
}

# The longest input per target: a few times its largest seed, small enough to stay fast.
max_len() {
    case $1 in
        gguf|torch|tokenizerjson) echo 16384 ;; safetensors|npz) echo 8192 ;;
        http|pickle|corpus) echo 4096 ;; tokenizer) echo 2048 ;; npy) echo 1024 ;;
    esac
}

for target in "${targets[@]}"; do executable "$target" >/dev/null; done

echo "Building the fuzz targets (release, -sanitize=fuzzer,address)…"
# SwiftPM renames each executable's `main` to `<Module>_main`; the targets define that and hand
# over to libFuzzer's driver (see Fuzz/Sources/CFuzzer/include/CFuzzer.h).
nice -n 19 swift build -c release --package-path Fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library 2>&1 \
    | grep -v "Cannot export local symbol '__asan_extra_spill_area'" | tail -3
bin=$(swift build -c release --package-path Fuzz --show-bin-path)

logs=Fuzz/.build/fuzz-logs
mkdir -p "$logs"
rows=()
total_runs=0
total_findings=0
for target in "${targets[@]}"; do
    exe=$(executable "$target")
    mkdir -p "Fuzz/Corpus/$target" "Fuzz/Findings/$target"
    log="$logs/$target.log"
    echo "Fuzzing $target for ${seconds}s (max_len $(max_len "$target"))…"
    set +e
    nice -n 19 "$bin/$exe" "Fuzz/Corpus/$target" "Fuzz/Seeds/$target" \
        -max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="Fuzz/Findings/$target/" -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    if [ -z "$runs" ]; then runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#' || true); fi
    runs=${runs:-0}
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
    findings=$(find "Fuzz/Findings/$target" -type f | wc -l)
    result="ok"
    if [ "$status" -ne 0 ]; then
        result=$(grep -o -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]*|invariant broken[^:]*|Fatal error[^\n]{0,60}' "$log" | head -1)
        result=${result:-"exit $status"}
        echo "  $target stopped: $result (log: $log)"
    fi
    total_runs=$((total_runs + runs))
    total_findings=$((total_findings + findings))
    rows+=("$(printf '%-14s %12s %10s %7s %7s %7s %9s  %s' "$target" "$runs" "$speed" "$cov" "$ft" "$corp" "$findings" "$result")")
done

echo
printf '%-14s %12s %10s %7s %7s %7s %9s  %s\n' target executions "execs/s" cov ft corpus findings result
for row in "${rows[@]}"; do echo "$row"; done
echo
echo "fuzzed ${#targets[@]} targets for ${seconds}s each: $total_runs executions, $total_findings inputs in Fuzz/Findings (see the logs in $logs)"
