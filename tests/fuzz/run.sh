#!/usr/bin/env bash
# Builds berth's libFuzzer targets with clang-14 and runs each for SECONDS (default 10) on its
# corpus in tests/fuzz/corpus/<target>/. New inputs go to a scratch folder, not the repository.
#   bash tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
# A longer run: bash tests/fuzz/run.sh 600
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds=${1:-10}
build=${2:-"$here/../../build-fuzz"}
CXX=clang++-14 cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/berth-fuzz-corpus-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
for target in render glob json store manifest; do
  mkdir -p "$scratch/$target"
  echo "fuzz: $target for ${seconds}s"
  "$build/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
    -artifact_prefix="$scratch/$target-" "$scratch/$target" "$here/corpus/$target" 2>"$scratch/$target.log" || {
    tail -n 40 "$scratch/$target.log"
    echo "fuzz: $target failed; the crashing input is shown above (artifact in $scratch)"
    trap - EXIT
    exit 1
  }
  tail -n 1 "$scratch/$target.log"
done
