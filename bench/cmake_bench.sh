#!/usr/bin/env bash
# The CMake module at scale: generated projects declaring N apps (default: 100, 1,000 and 5,000;
# 50 models x N/50). For each size, medians of RUNS runs (default 3), Ninja, -j2:
#   - berth's extra configure time per app: a fresh configure (fresh store) against the same
#     project without berth (an empty add_generated_app), same run;
#   - re-configure with nothing changed, per app: in all, and over the project without berth;
#   - full build, per app; no-op build (and whether `ninja -n` finds work);
#   - re-scaffold after editing one template file (every app uses the template).
#   bash bench/cmake_bench.sh <path to berth> [sizes] [runs]      sizes: "100 1000 5000"
set -eu
BERTH=$(realpath "$1")
SIZES=${2:-"100 1000 5000"}
RUNS=${3:-3}
REPO=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"

per_app() { awk -v n="$1" -v a="$2" 'BEGIN {printf "%.3f", n / a / 1e6}'; }

cp -r "$REPO/templates/react-flask" "$TMP/template"
echo "apps  configure: extra/app  reconfigure: all/app  extra/app  build/app  no-op build  ninja -n  one template edit"
for apps in $SIZES; do
  for kind in berth plain; do
    mkdir -p "$TMP/$kind-$apps"
    {
      echo "cmake_minimum_required(VERSION 3.20)"
      echo "project(bench NONE)"
      if [ $kind = berth ]; then
        echo "include(\"$REPO/cmake/Berth.cmake\")"
      else
        echo "function(add_generated_app)"
        echo "endfunction()"
      fi
      for n in $(seq 1 "$apps"); do
        echo "add_generated_app(bench/model-$((n % 50)) $n TEMPLATE \"$TMP/template\")"
      done
    } >"$TMP/$kind-$apps/CMakeLists.txt"
  done
  configure() {  # configure KIND RUN: fresh build folder and fresh store; prints nanoseconds
    local t
    rm -rf "$TMP/b-$1-$2" "$TMP/s-$2"
    # A pool wide enough for 5,000 apps (the default one has 1,500 slots).
    "$BERTH" --store "$TMP/s-$2" pool set apps --range backend=10001-19999 \
      --range frontend=20001-29999 --step 1 >/dev/null
    t=$(now_ns)
    cmake -S "$TMP/$1-$apps" -B "$TMP/b-$1-$2" -G Ninja -DBERTH_EXECUTABLE="$BERTH" \
      -DBERTH_STORE="$TMP/s-$2" --no-warn-unused-cli >/dev/null 2>&1
    echo $(($(now_ns) - t))
  }
  # Alternate the two kinds, so that both see the same machine.
  : >"$TMP/t-plain"
  : >"$TMP/t-berth"
  for r in $(seq 1 "$RUNS"); do
    configure plain "$r" >>"$TMP/t-plain"
    configure berth "$r" >>"$TMP/t-berth"
  done
  plain=$(median <"$TMP/t-plain")
  berth=$(median <"$TMP/t-berth")
  reconf=$(for r in $(seq 1 "$RUNS"); do
    t=$(now_ns); cmake "$TMP/b-berth-$r" >/dev/null; echo $(($(now_ns) - t))
  done | median)
  reconf_plain=$(for r in $(seq 1 "$RUNS"); do
    t=$(now_ns); cmake "$TMP/b-plain-$r" >/dev/null; echo $(($(now_ns) - t))
  done | median)
  rm -rf "$TMP"/b-plain-*
  build=$(for r in $(seq 1 "$RUNS"); do
    t=$(now_ns); cmake --build "$TMP/b-berth-$r" -j2 >/dev/null; echo $(($(now_ns) - t))
  done | median)
  noop=$(for r in 1 2 3 4 5; do
    t=$(now_ns); cmake --build "$TMP/b-berth-1" -j2 >/dev/null; echo $(($(now_ns) - t))
  done | median)
  work=$(ninja -C "$TMP/b-berth-1" -n | grep -c 'berth: scaffolding' || true)
  edit=$(for r in $(seq 1 "$RUNS"); do
    echo "# edit $r" >>"$TMP/template/files/README.md"
    t=$(now_ns); cmake --build "$TMP/b-berth-1" -j2 >/dev/null; echo $(($(now_ns) - t))
  done | median)
  cp "$REPO/templates/react-flask/files/README.md" "$TMP/template/files/README.md"
  printf '%-5s %20s  %20s  %9s  %9s  %11s  %8s  %17s\n' "$apps" \
    "$(per_app $((berth - plain)) "$apps") ms" "$(per_app "$reconf" "$apps") ms" \
    "$(per_app $((reconf - reconf_plain)) "$apps") ms" \
    "$(per_app "$build" "$apps") ms" "$(ms "$noop") ms" "$work" "$(ms "$edit") ms"
  rm -rf "$TMP"/b-berth-* "$TMP"/s-*
done
