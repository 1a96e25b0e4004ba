#!/usr/bin/env bash
# Build every fuzz target and run each for a given number of executions, on the stable
# toolchain (RUSTC_BOOTSTRAP=1, no sanitizer: see docs/BENCHMARKS.md, "Fuzzing").
#
#   fuzz/run.sh RUNS [TARGET...]    every target (or those named) for RUNS executions each
#   CMIN=1 fuzz/run.sh RUNS ...     then minimise each corpus (cargo fuzz cmin)
#   JOBS=2 fuzz/run.sh RUNS ...     that many targets at once (default 1)
#
# New inputs are added to fuzz/corpus/<target>; a crash or failed property stops that target,
# leaves its input in fuzz/artifacts/<target>/ and makes the script exit non-zero. One line a
# target is printed at the end: executions, seconds, corpus files and size.
set -euo pipefail

cd "$(dirname "$0")"
runs="${1:?usage: fuzz/run.sh RUNS [TARGET...]}"
shift
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi
jobs="${JOBS:-1}"
export RUSTC_BOOTSTRAP=1 CARGO_INCREMENTAL=0

command -v cargo-fuzz >/dev/null || { echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2; exit 2; }
cargo fuzz build -s none -O
bin="target/x86_64-unknown-linux-gnu/release"
logs="$(mktemp -d)"

run_one() {
  local t="$1" start status
  mkdir -p "corpus/$t" "artifacts/$t"
  start=$(date +%s)
  status=0
  "$bin/$t" "corpus/$t" -runs="$runs" -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" >"$logs/$t.log" 2>&1 || status=$?
  echo "$status $(($(date +%s) - start))" >"$logs/$t.result"
}

running=0
for t in "${targets[@]}"; do
  run_one "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

if [ "${CMIN:-0}" = 1 ]; then
  for t in "${targets[@]}"; do
    cargo fuzz cmin -s none -O "$t" "corpus/$t" >"$logs/$t.cmin" 2>&1
  done
fi

failed=0
printf '%-16s %12s %8s %8s %10s  %s\n' target executions seconds files bytes result
for t in "${targets[@]}"; do
  read -r status secs <"$logs/$t.result"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$t.log" | grep -o '[0-9]*$' || echo "?")
  files=$(find "corpus/$t" -type f | wc -l)
  bytes=$(find "corpus/$t" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  if [ "$status" = 0 ]; then result=ok; else result="FAILED (see $logs/$t.log, artifacts/$t/)"; failed=1; fi
  printf '%-16s %12s %8s %8s %10s  %s\n' "$t" "$execs" "$secs" "$files" "$bytes" "$result"
done
exit "$failed"
