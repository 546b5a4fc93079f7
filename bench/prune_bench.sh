#!/usr/bin/env bash
# Recording uses and `berth prune` at 1,000 and 10,000 reservations, each declared by one build
# tree through `berth plan --binary-dir` (as the CMake configure does). Medians of RUNS:
#   - plan re-run: every use already recorded, so no write transaction; beside a re-run without
#     --binary-dir, which records nothing (the difference is the cost of checking the uses);
#   - prune --dry-run while the build tree exists (nothing to release) and once it is gone;
#   - the prune itself: every app released in one transaction (one run).
#   bash bench/prune_bench.sh <path to berth> [runs]
set -eu
BERTH=$(realpath "$1")
RUNS=${2:-5}
source "$(dirname "$0")/lib.sh"
timed() { local t; t=$(now_ns); "$@" >/dev/null; echo $(($(now_ns) - t)); }

echo "berth prune benchmark (median of $RUNS)"
echo "   apps  plan re-run (without uses)  prune --dry-run: kept  all gone  prune (one run)  per app"
for n in 1000 10000; do
  S="$TMP/s$n"
  B="$TMP/build$n"
  mkdir -p "$B"
  "$BERTH" --store "$S" pool set wide --range backend=11001-21100 --range frontend=21101-32000 --step 1 >/dev/null
  /usr/bin/python3 -c 'import json, sys; print(json.dumps([{"model": "m%d" % (i // 100), "app": i % 100 + 1, "pool": "wide", "out": sys.argv[2] + "/apps/%d" % i} for i in range(int(sys.argv[1]))]))' "$n" "$B" >"$TMP/plan.json"
  "$BERTH" --store "$S" plan "$TMP/plan.json" --binary-dir "$B" >/dev/null
  rerun=$(for _ in $(seq 1 "$RUNS"); do timed "$BERTH" --store "$S" plan "$TMP/plan.json" --binary-dir "$B"; done | median)
  bare=$(for _ in $(seq 1 "$RUNS"); do timed "$BERTH" --store "$S" plan "$TMP/plan.json"; done | median)
  kept=$(for _ in $(seq 1 "$RUNS"); do timed "$BERTH" --store "$S" prune --dry-run; done | median)
  rm -rf "$B"
  gone=$(for _ in $(seq 1 "$RUNS"); do timed "$BERTH" --store "$S" prune --dry-run; done | median)
  real=$(timed "$BERTH" --store "$S" prune)
  left=$("$BERTH" --store "$S" list | tail -n +2 | wc -l)
  [ "$left" -eq 0 ] || echo "warning: $left reservation(s) left after prune"
  printf '%7d  %8s ms (%8s ms)  %15s ms  %6s ms  %12s ms  %.3f ms\n' "$n" "$(ms "$rerun")" "$(ms "$bare")" "$(ms "$kept")" \
    "$(ms "$gone")" "$(ms "$real")" "$(awk -v t="$real" -v n="$n" 'BEGIN {print t / n / 1e6}')"
done
