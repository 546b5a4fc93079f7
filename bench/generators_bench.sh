#!/usr/bin/env bash
# The two CMake generators at scale: one project declaring N apps (default 1,000; 50 models),
# built with Ninja and with Unix Makefiles (-j2), against a floor: the same build commands that
# berth writes, in a hand-made project with no per-app target (berth's own plan.cmake with the
# apps' targets taken out). Wall-clock medians of RUNS runs (default 3); a full build starts with
# no app folder and no stamp.
#   bash bench/generators_bench.sh <path to berth> [apps] [runs]
set -eu
BERTH=$(realpath "$1")
APPS=${2:-1000}
RUNS=${3:-3}
REPO=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/src" "$TMP/floor-src"
{
  echo "cmake_minimum_required(VERSION 3.20)"
  echo "project(bench NONE)"
  echo "include(\"$REPO/cmake/Berth.cmake\")"
  for n in $(seq 1 "$APPS"); do echo "add_generated_app(bench/model-$((n % 50)) $n)"; done
} >"$TMP/src/CMakeLists.txt"
"$BERTH" --store "$TMP/s" pool set apps --range backend=10001-19999 --range frontend=20001-29999 \
  --step 1 >/dev/null
configure() {  # configure GENERATOR BUILD-DIR
  cmake -S "$TMP/src" -B "$2" -G "$1" -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$TMP/s" \
    -DBERTH_QUIET=ON >/dev/null
}
configure Ninja "$TMP/ninja"
configure "Unix Makefiles" "$TMP/make"
configure "Unix Makefiles" "$TMP/floor"
# The floor: the Makefiles tree's build commands, stamps and all, in a project of its own whose
# only target depends on every command's outputs (no target per app, no property).
awk '/^add_custom_command\(/ { keep = 1 } keep { print } /VERBATIM\)$/ { keep = 0 }' \
  "$TMP/floor/berth/plan.cmake" >"$TMP/floor/berth/commands.cmake"
outputs=$(sed -n 's/^add_custom_command(OUTPUT //p' "$TMP/floor/berth/commands.cmake" | tr '\n' ' ')
cat >"$TMP/floor-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(floor NONE)
cmake_policy(SET CMP0116 OLD)
set(_berth_command "$BERTH" --store "$TMP/s")
set(_berth_program_dep "$BERTH")
include("$TMP/floor/berth/commands.cmake")
add_custom_target(all_apps ALL DEPENDS $outputs)
EOF
cmake -S "$TMP/floor-src" -B "$TMP/floor-build" -G "Unix Makefiles" >/dev/null

full() {  # full TREE BUILD-DIR: a build from no app and no stamp; prints nanoseconds
  rm -rf "$1/apps" "$1"/berth/apps/*.done "$1"/berth/apps/*.chunk "$1"/berth/apps/*.d
  local t
  t=$(now_ns)
  cmake --build "$2" -j2 >/dev/null
  echo $(($(now_ns) - t))
}
noop() {  # noop BUILD-DIR: prints nanoseconds
  local t
  t=$(now_ns)
  cmake --build "$1" -j2 >/dev/null
  echo $(($(now_ns) - t))
}
: >"$TMP/full-ninja"
: >"$TMP/full-make"
: >"$TMP/full-floor"
: >"$TMP/noop-ninja"
: >"$TMP/noop-make"
: >"$TMP/noop-floor"
for r in $(seq 1 "$RUNS"); do  # interleaved, so that all three see the same machine
  full "$TMP/ninja" "$TMP/ninja" >>"$TMP/full-ninja"
  full "$TMP/make" "$TMP/make" >>"$TMP/full-make"
  full "$TMP/floor" "$TMP/floor-build" >>"$TMP/full-floor"
  for i in 1 2 3; do
    noop "$TMP/ninja" >>"$TMP/noop-ninja"
    noop "$TMP/make" >>"$TMP/noop-make"
    noop "$TMP/floor-build" >>"$TMP/noop-floor"
  done
done
work=$(cmake --build "$TMP/make" -j2 2>&1 | grep -c 'berth: scaffolding' || true)
m() { median <"$TMP/$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
echo "$APPS apps, -j2, wall-clock medians of $RUNS runs (no-op: of $((RUNS * 3)))"
printf '%-34s %10s %10s %12s %12s\n' "" "full build" "no-op" "full/Ninja" "no-op/floor"
for kind in ninja make floor; do
  label=$kind
  [ $kind = ninja ] && label="berth, Ninja"
  [ $kind = make ] && label="berth, Unix Makefiles"
  [ $kind = floor ] && label="floor (Makefiles, no app targets)"
  printf '%-34s %10s %10s %12s %12s\n' "$label" "$(ms "$(m full-$kind)") ms" \
    "$(ms "$(m noop-$kind)") ms" "$(ratio "$(m full-$kind)" "$(m full-ninja)")" \
    "$(ratio "$(m noop-$kind)" "$(m noop-floor)")"
done
echo "apps scaffolded by a no-op Makefiles build: $work"
