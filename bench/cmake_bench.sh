#!/usr/bin/env bash
# The CMake module at scale: a generated project declaring N apps (default 1,000).
# Prints medians: configure time with berth vs. the same project without it (an empty
# add_generated_app), as extra time per app; full build of the N apps; no-op rebuild.
#   bash bench/cmake_bench.sh <path to berth> [apps] [runs]
set -eu
BERTH=$(realpath "$1")
APPS=${2:-1000}
RUNS=${3:-3}
REPO=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

now_ns() { local t=${EPOCHREALTIME/./}; echo "${t}000"; }  # no fork, unlike date
median() { sort -g | awk '{a[NR]=$1} END {printf "%.0f\n", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ms() { echo "$1 / 1000000" | bc -l; }

for kind in berth plain; do
  mkdir -p "$TMP/$kind"
  {
    echo "cmake_minimum_required(VERSION 3.20)"
    echo "project(bench NONE)"
    if [ $kind = berth ]; then
      echo "include(\"$REPO/cmake/Berth.cmake\")"
    else
      echo "function(add_generated_app)"
      echo "endfunction()"
    fi
    for n in $(seq 1 "$APPS"); do echo "add_generated_app(bench/model-$((n % 10)) $n)"; done
  } >"$TMP/$kind/CMakeLists.txt"
done

configure() {  # configure KIND RUN: fresh build folder and fresh store; prints nanoseconds
  local t
  rm -rf "$TMP/b-$1-$2" "$TMP/s-$2"
  t=$(now_ns)
  cmake -S "$TMP/$1" -B "$TMP/b-$1-$2" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$TMP/s-$2" \
    -DBERTH_QUIET=ON --no-warn-unused-cli >/dev/null 2>&1
  echo $(($(now_ns) - t))
}

for r in $(seq 1 "$RUNS"); do configure plain "$r"; done | median >"$TMP/t-plain"
for r in $(seq 1 "$RUNS"); do configure berth "$r"; done | median >"$TMP/t-berth"
for r in $(seq 1 "$RUNS"); do
  t=$(now_ns); cmake "$TMP/b-berth-$r" >/dev/null; echo $(($(now_ns) - t))
done | median >"$TMP/reconfigure"
for r in $(seq 1 "$RUNS"); do
  t=$(now_ns); cmake --build "$TMP/b-berth-$r" -j2 >/dev/null; echo $(($(now_ns) - t))
done | median >"$TMP/build"
for r in $(seq 1 5); do
  t=$(now_ns); cmake --build "$TMP/b-berth-1" -j2 >/dev/null; echo $(($(now_ns) - t))
done | median >"$TMP/noop"

plain=$(cat "$TMP/t-plain"); berth=$(cat "$TMP/t-berth")
echo "CMake module benchmark: $APPS apps (median of $RUNS runs, Ninja, -j2)"
printf 'configure without berth (empty add_generated_app):   %9.1f ms\n' "$(ms "$plain")"
printf 'configure with berth, fresh store:                   %9.1f ms\n' "$(ms "$berth")"
printf "berth's extra configure time per app:                %9.3f ms\n" "$(echo "($berth - $plain) / $APPS / 1000000" | bc -l)"
printf 'reconfigure with berth (apps already reserved):      %9.1f ms\n' "$(ms "$(cat "$TMP/reconfigure")")"
printf 'full build of %d apps:                             %9.1f ms (%.2f ms per app)\n' "$APPS" "$(ms "$(cat "$TMP/build")")" "$(echo "$(cat "$TMP/build") / $APPS / 1000000" | bc -l)"
printf 'no-op rebuild (median of 5):                         %9.1f ms\n' "$(ms "$(cat "$TMP/noop")")"
