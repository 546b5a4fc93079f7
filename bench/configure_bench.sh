#!/usr/bin/env bash
# Configure at scale against a hand-written floor: CPU time (user + system, cmake and every
# process it runs) of a fresh configure (fresh build folder, fresh store) of a project declaring
# N apps, Ninja, medians of RUNS runs, the kinds in turn run after run:
#   - floor: the same project written by hand, per app a stamp add_custom_command with a DEPFILE,
#     an add_custom_target in `all` and the target's port properties; no reservation at all;
#   - berth: `add_generated_app(<model> <n>)`;
#   - berth, keywords: `add_generated_app(<model> <n> TEMPLATE <folder> VARS app_title=...)`.
# Also a re-configure with nothing changed (berth: the module and `berth plan` find nothing to
# do). Sizes default to "1000 5000", runs to 5.
#   bash bench/configure_bench.sh <path to berth> [sizes] [runs]
set -eu
BERTH=$(realpath "$1")
SIZES=${2:-"1000 5000"}
RUNS=${3:-5}
REPO=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"
CPU="python3 $(dirname "$0")/cpu_median.py"
cp -r "$REPO/templates/react-flask" "$TMP/template"

project() {  # project KIND APPS: writes $TMP/KIND-APPS/CMakeLists.txt
  local dir="$TMP/$1-$2" n
  mkdir -p "$dir"
  {
    echo "cmake_minimum_required(VERSION 3.20)"
    echo "project(bench NONE)"
    [ "$1" = floor ] || echo "include(\"$REPO/cmake/Berth.cmake\")"
    for n in $(seq 1 "$2"); do
      case $1 in
        floor)
          local s="\${CMAKE_BINARY_DIR}/stamps/t$n"
          echo "add_custom_command(OUTPUT \"$s.done\" COMMAND \"$BERTH\" build-app \"$s.reservation\""
          echo "  DEPENDS \"$s.reservation\" DEPFILE \"$s.d\" COMMENT \"checking t$n\" VERBATIM)"
          echo "add_custom_target(t$n ALL DEPENDS \"$s.done\")"
          echo "set_target_properties(t$n PROPERTIES BERTH_MODEL bench/model-$((n % 50)) BERTH_APP $n BERTH_BACKEND_PORT $((10000 + n)) BERTH_FRONTEND_PORT $((20000 + n)))"
          ;;
        berth) echo "add_generated_app(bench/model-$((n % 50)) $n)" ;;
        keywords)
          echo "add_generated_app(bench/model-$((n % 50)) $n TEMPLATE \"$TMP/template\" VARS app_title=App$n)"
          ;;
      esac
    done
  } >"$dir/CMakeLists.txt"
}

echo "fresh configure and re-configure, CPU (user + system) medians of $RUNS runs, Ninja"
printf '%-6s %-16s %12s %12s %14s %14s\n' apps kind configure "x floor" re-configure "x floor"
for apps in $SIZES; do
  for kind in floor berth keywords; do project $kind "$apps"; done
  declare -A fresh again
  # The kinds in turn, run after run, each in its own build folder and store.
  fresh_args=() again_args=()
  for kind in floor berth keywords; do
    b="$TMP/b-$kind" s="$TMP/s-$kind"
    setup="rm -rf '$b' '$s' && '$BERTH' --store '$s' pool set apps --range backend=10001-19999 --range frontend=20001-29999 --step 1"
    fresh_args+=(--vs --setup "$setup" cmake -S "$TMP/$kind-$apps" -B "$b" -G Ninja
      -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$s" --no-warn-unused-cli)
    again_args+=(--vs cmake "$b")
  done
  read -r 'fresh[floor]' 'fresh[berth]' 'fresh[keywords]' <<<"$($CPU "$RUNS" "${fresh_args[@]:1}")"
  read -r 'again[floor]' 'again[berth]' 'again[keywords]' <<<"$($CPU "$RUNS" "${again_args[@]:1}")"
  for kind in floor berth keywords; do
    printf '%-6s %-16s %9s ms %11s %11s ms %13s\n' "$apps" "$kind" "${fresh[$kind]}" \
      "$(awk -v a="${fresh[$kind]}" -v b="${fresh[floor]}" 'BEGIN {printf "%.2fx", a / b}')" \
      "${again[$kind]}" \
      "$(awk -v a="${again[$kind]}" -v b="${again[floor]}" 'BEGIN {printf "%.2fx", a / b}')"
  done
done
