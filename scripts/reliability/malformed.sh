#!/usr/bin/env bash
# Malformed inputs against the real binary: truncated and bit-flipped SAE, activation, model and
# shard-part files, truncated and damaged SQLite indexes, indexes from a newer schema, bad corpora.
#   scripts/reliability/malformed.sh [SAESCOPE=.build/release/saescope]
# Every broken input must make its command exit non-zero (not by a signal), with exactly one
# "error: ..." line on stderr that names the file or the problem, and leave nothing behind: no
# output, no .partial or temporary file, and an index given to `migrate` unchanged. A few inputs
# are tolerated by design (one bad JSONL line among good ones): the build succeeds and names the
# line. Prints one line per case and a summary; exits 1 if any case fails. Needs python3 (standard
# library only); the inputs are generated in a temporary folder (scripts/reliability/malformed_inputs.py).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-.build/release/saescope}
[ -x "$bin" ] || { echo "malformed: no saescope binary at $bin (build with: swift build -c release --product saescope)"; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
in=$work/in run=$work/run
inputs() { python3 "$here/malformed_inputs.py" "$@"; }
inputs make "$in" >/dev/null
mkdir -p "$run"
cd "$run"
passed=0 failed=0

# check NAME EXPECT MUST_MENTION -- COMMAND...: EXPECT is "error" (must fail as above) or
# "tolerated" (must succeed, MUST_MENTION in its output). $keep, if set, names an input that must
# come out of the command byte-for-byte unchanged.
check() {
  local name=$1 expect=$2 mention=$3; shift 4
  local before="" after="" why="" line="" rc
  [ -n "${keep:-}" ] && before=$(sha256sum < "$keep")
  timeout 20 "$@" > "$work/stdout" 2> "$work/stderr"
  rc=$?
  local errors; errors=$(grep -c '^error: ' "$work/stderr")
  line=$(grep -m1 '^error: ' "$work/stderr" | cut -c1-300)
  if [ "$expect" = error ]; then
    if [ $rc -eq 0 ]; then why="exit 0"
    elif [ $rc -eq 124 ]; then why="did not finish in 20 s"
    elif [ $rc -ge 128 ]; then why="killed by signal $((rc - 128))"
    elif [ "$errors" -ne 1 ]; then why="$errors 'error:' lines on stderr"
    elif [[ "$line" != *"$mention"* ]]; then why="the error does not mention '$mention'"
    elif [ -n "$(ls -A "$run")" ]; then why="left $(ls -A "$run" | tr '\n' ' ')"
    fi
  else
    line=$(cat "$work/stderr" "$work/stdout" | grep -m1 -F -- "$mention" | cut -c1-300)
    if [ $rc -ne 0 ]; then why="exit $rc: $(tail -1 "$work/stderr")"
    elif [ -z "$line" ]; then why="the output does not mention '$mention'"
    fi
    rm -rf "${run:?}"/*
  fi
  if grep -qE 'Fatal error|Stack dump|Current stack trace|Backtrace' "$work/stderr"; then why="${why:+$why; }a crash report on stderr"; fi
  if [ -n "${keep:-}" ]; then after=$(sha256sum < "$keep"); [ "$before" = "$after" ] || why="${why:+$why; }changed $(basename "$keep")"; fi
  line=${line//"$work/"/}  # paths relative to the temporary folder, to read and to compare
  if [ -z "$why" ]; then
    passed=$((passed + 1)); echo "PASS  $name: ${line#error: }"
  else
    failed=$((failed + 1)); echo "FAIL  $name: $why${line:+ | $line}"
  fi
  rm -rf "${run:?}"/* "${run:?}"/.[!.]* 2>/dev/null
}
size() { stat -c %s "$1"; }
sae=$in/sae.safetensors model=$in/model acts=$in/acts.npy corpus=$in/corpus

# ---- weight files: the SAE (safetensors), activations (npy), the model ------------------------
check "sae: intact file loads" tolerated "encode: 3 rows" -- "$bin" encode --sae "$sae" --activations "$acts"
header=$(python3 -c 'import struct,sys; print(struct.unpack("<Q", open(sys.argv[1],"rb").read(8))[0])' "$sae")
for cut in 0 5 8 40 $((8 + header)) $((8 + header + 1000)) $(( $(size "$sae") - 1 )); do
  inputs cut "$sae" "$in/cut.safetensors" "$cut"
  check "sae: truncated to $cut of $(size "$sae") bytes" error cut.safetensors -- "$bin" encode --sae "$in/cut.safetensors" --activations "$acts"
done
flip() {  # flip SOURCE TEXT DELTA MASK: xor MASK into the byte DELTA bytes after TEXT's first occurrence
  local at; at=$(( $(inputs offset "$1" "$2") + $3 ))
  inputs flip "$1" "$in/flip.${1##*.}" "$at" "$4"
  echo "$at"
}
# Whole bytes flipped (0xFF), and single bits that keep the header valid JSON but change a value.
for spec in "header length, low byte|{|-8|0xFF" "header length, top byte|{|-1|0xFF" "the JSON's opening brace|{|0|0xFF" \
            "a shape: 16 → 17|[16,32]|2|0x01" "data_offsets: 2048 → 2049|[2048,|4|0x01" "the dtype: F32 → F33|F32|2|0x01" \
            "a name: encoder → encodes|\"encoder\"|7|0x01" "the format tag: saescope-sae → saescope-sad|saescope-sae|11|0x01" \
            "the activation: topk → topj|topk|3|0x01" "a metadata byte made invalid UTF-8|saescope-sae|0|0xFF"; do
  IFS='|' read -r what text delta mask <<< "$spec"
  at=$(flip "$sae" "$text" "$delta" "$mask")
  check "sae: byte $at xor $mask ($what)" error flip.safetensors -- "$bin" encode --sae "$in/flip.safetensors" --activations "$acts"
done
inputs cut "$acts" "$in/cut.npy" 100
check "activations: truncated npy" error cut.npy -- "$bin" encode --sae "$sae" --activations "$in/cut.npy"
at=$(flip "$acts" "(3, 32)" 5 0x01)  # 32 → 33
check "activations: npy shape (3, 32) → (3, 33)" error flip.npy -- "$bin" encode --sae "$sae" --activations "$in/flip.npy"
cp -r "$model" "$in/model-cut"
inputs cut "$model/model.safetensors" "$in/model-cut/model.safetensors" 20000
check "model: truncated model.safetensors" error model.safetensors -- "$bin" index --model "$in/model-cut" --sae "$sae" --corpus "$corpus/good.jsonl" --out "$run/i.sqlite"
cp -r "$model" "$in/model-config"
printf '{"model_type": "gpt2", "n_embd": ' > "$in/model-config/config.json"
check "model: config.json cut short" error config.json -- "$bin" index --model "$in/model-config" --sae "$sae" --corpus "$corpus/good.jsonl" --out "$run/i.sqlite"

# ---- corpora ----------------------------------------------------------------------------------
build=("$bin" index --model "$model" --sae "$sae" --context 16 --out "$run/i.sqlite" --corpus)
check "corpus: intact corpus builds" tolerated "0 bad lines" -- "${build[@]}" "$corpus/good.jsonl"
check "corpus: gzip cut short" error truncated.jsonl.gz -- "${build[@]}" "$corpus/truncated.jsonl.gz"
check "corpus: gzip with a flipped byte" error corrupt.jsonl.gz -- "${build[@]}" "$corpus/corrupt.jsonl.gz"
check "corpus: .gz that is not gzip" error notgzip.txt.gz -- "${build[@]}" "$corpus/notgzip.txt.gz"
check "corpus: gzip cut short after a good file" error truncated.jsonl.gz -- "${build[@]}" "$corpus/good.jsonl" "$corpus/truncated.jsonl.gz"
check "corpus: every JSONL line malformed" error "allbad.jsonl:1" -- "${build[@]}" "$corpus/allbad.jsonl"
check "corpus: invalid UTF-8 in a JSONL line" error "badutf8.jsonl:1" -- "${build[@]}" "$corpus/badutf8.jsonl"
check "corpus: a Latin-1 .txt file" error "latin1.txt:1" -- "${build[@]}" "$corpus/latin1.txt"
check "corpus: missing file" error "nothere.jsonl" -- "${build[@]}" "$corpus/nothere.jsonl"
check "corpus: one bad line among good ones" tolerated "onebad.jsonl:7" -- "${build[@]}" "$corpus/onebad.jsonl"
check "corpus: a Latin-1 .txt beside good files" tolerated "latin1.txt:1" -- "${build[@]}" "$corpus/good.jsonl" "$corpus/latin1.txt"

# ---- shard parts (saescope merge) --------------------------------------------------------------
parts=$in/parts
mkdir -p "$parts"
for s in 0 1; do "${build[@]}" "$corpus/good.jsonl" --shard $s/2 >/dev/null 2>&1; mv "$run/i.sqlite" "$parts/p$s.bin"; done
merge=("$bin" merge --out "$run/m.sqlite")
check "part: intact parts merge" tolerated "merge: writing" -- "${merge[@]}" "$parts/p0.bin" "$parts/p1.bin"
for cut in 0 20 100 1000 $(( $(size "$parts/p0.bin") / 2 )) $(( $(size "$parts/p0.bin") - 1 )); do
  inputs cut "$parts/p0.bin" "$in/cut.bin" "$cut"
  check "part: truncated to $cut bytes" error cut.bin -- "${merge[@]}" "$in/cut.bin" "$parts/p1.bin"
done
# Offsets: magic 0-15, version 16, latents 24, context 32, top 40, intervals 48, per-interval 56,
# max tokens 64, shard index 72, shard count 80 (8-byte little-endian integers).
for spec in "0|the magic" "16|the version" "24|latents, low byte" "30|latents, byte 6" "31|latents, sign byte" \
            "32|context" "48|intervals" "79|shard index, sign byte" "87|shard count, sign byte"; do
  IFS='|' read -r at what <<< "$spec"
  inputs flip "$parts/p0.bin" "$in/flip.bin" "$at"
  check "part: flipped byte $at ($what)" error flip.bin -- "${merge[@]}" "$in/flip.bin" "$parts/p1.bin"
done

# ---- the index (SQLite) -------------------------------------------------------------------------
idx=$in/index.sqlite
"$bin" synth-index --latents 200 --out "$idx" >/dev/null 2>&1
serve=("$bin" serve --port 0 --quiet --index)
for cut in 0 50 100 4096 $(( $(size "$idx") / 2 )) $(( $(size "$idx") - 4096 )) $(( $(size "$idx") - 1 )); do
  inputs cut "$idx" "$in/cut.sqlite" "$cut"
  check "index: truncated to $cut of $(size "$idx") bytes, serve" error cut.sqlite -- "${serve[@]}" "$in/cut.sqlite"
  keep=$in/cut.sqlite check "index: truncated to $cut bytes, migrate" error cut.sqlite -- "$bin" migrate "$in/cut.sqlite"
done
for page in 0 1 2; do
  inputs garble "$idx" "$in/garbled.sqlite" "$page"
  check "index: page $page overwritten with noise, serve" error garbled.sqlite -- "${serve[@]}" "$in/garbled.sqlite"
done
# Pages deep inside the file are read only by the requests that need them; `inspect --check`
# reads every page.
for page in 100 400 $(( $(size "$idx") / 4096 - 1 )); do
  inputs garble "$idx" "$in/garbled.sqlite" "$page"
  check "index: page $page overwritten with noise, inspect --check" error garbled.sqlite -- "$bin" inspect --check "$in/garbled.sqlite"
done
check "index: intact index passes inspect --check" tolerated "integrity: ok" -- "$bin" inspect --check "$idx"
sql() {  # sql FILE SCRIPT: run SQL on FILE with Python's sqlite3 (no sqlite3 CLI needed)
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$@"; }
cp "$idx" "$in/future.sqlite"
sql "$in/future.sqlite" "INSERT INTO schema_migrations VALUES (99, '0099_future', '2030-01-01'); PRAGMA user_version = 99;"
check "index: a migration from a newer saescope, serve" error "v99" -- "${serve[@]}" "$in/future.sqlite"
keep=$in/future.sqlite check "index: a migration from a newer saescope, migrate" error "v99" -- "$bin" migrate "$in/future.sqlite"
cp "$idx" "$in/version.sqlite"
sql "$in/version.sqlite" "PRAGMA user_version = 7;"
check "index: user_version 7, serve" error "v7" -- "${serve[@]}" "$in/version.sqlite"
keep=$in/version.sqlite check "index: user_version 7, migrate" error "v7" -- "$bin" migrate "$in/version.sqlite"
cp "$idx" "$in/renamed.sqlite"
sql "$in/renamed.sqlite" "UPDATE schema_migrations SET name = '0001_other';"
check "index: a shipped migration recorded under another name" error "0001_other" -- "${serve[@]}" "$in/renamed.sqlite"
sql "$in/plain.sqlite" "CREATE TABLE t (x);"
check "index: a SQLite file that is not an index" error "not a saescope index" -- "${serve[@]}" "$in/plain.sqlite"
echo "this is text, not SQLite" > "$in/text.sqlite"
check "index: a text file" error text.sqlite -- "${serve[@]}" "$in/text.sqlite"
keep=$in/text.sqlite check "index: a text file, migrate" error text.sqlite -- "$bin" migrate "$in/text.sqlite"

echo "malformed: $passed passed, $failed failed ($bin)"
[ "$failed" -eq 0 ]
