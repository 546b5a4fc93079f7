#!/usr/bin/env bash
# Scaffold time: one `berth scaffold` process (median), and per app over 1,000 apps; side by
# side with cookiecutter rendering the same template content (bench/to_cookiecutter.py).
# berth's figures include reserving the ports in the store; cookiecutter is handed them.
#   bash bench/scaffold_bench.sh <path to berth> [apps]
set -eu
BERTH=$(realpath "$1")
APPS=${2:-1000}
RUNS=30
HERE=$(cd "$(dirname "$0")" && pwd)
TEMPLATE="$HERE/../templates/react-flask"
PY=/usr/bin/python3
source "$(dirname "$0")/lib.sh"
S="$TMP/store"
"$BERTH" --store "$S" pool set wide --range backend=11001-21000 --range frontend=21001-31000 >/dev/null


for n in $(seq 1 $RUNS); do
  t=$(now_ns)
  "$BERTH" --store "$S" scaffold one/app "$n" --pool wide --template "$TEMPLATE" --out "$TMP/one/$n" >/dev/null
  echo "$(($(now_ns) - t))"
done | median >"$TMP/berth_one"

t=$(now_ns)
for n in $(seq 1 "$APPS"); do
  "$BERTH" --store "$S" scaffold many/app "$n" --pool wide --template "$TEMPLATE" --out "$TMP/many/app$n" >/dev/null
done
berth_per_app=$(( ($(now_ns) - t) / APPS ))

t=$(now_ns)
for n in $(seq 1 "$APPS"); do
  "$BERTH" --store "$S" scaffold many/app "$n" --pool wide --template "$TEMPLATE" --out "$TMP/many/app$n" >/dev/null
done
berth_rerun=$(( ($(now_ns) - t) / APPS ))

FILES=$(find "$TMP/one/1" -type f ! -name .berth-manifest.json | wc -l)
echo "berth scaffold benchmark (react-flask, $FILES files per app)"
printf 'one berth scaffold process, new app (median of %d):   %8.2f ms\n' $RUNS "$(echo "$(cat "$TMP/berth_one") / 1000000" | bc -l)"
printf 'per app over %d apps, one process each:             %8.2f ms\n' "$APPS" "$(echo "$berth_per_app / 1000000" | bc -l)"
printf 'per app, re-run over the same %d apps (no change):  %8.2f ms\n' "$APPS" "$(echo "$berth_rerun / 1000000" | bc -l)"

if ! $PY -c 'import cookiecutter' 2>/dev/null; then
  echo "cookiecutter is not installed (apt-get install cookiecutter): no comparison"
  exit 0
fi
$PY "$HERE/to_cookiecutter.py" "$TEMPLATE" "$TMP/cc-template"
for n in $(seq 1 10); do
  t=$(now_ns)
  cookiecutter --no-input -o "$TMP/cc-one/$n" "$TMP/cc-template" >/dev/null
  echo "$(($(now_ns) - t))"
done | median >"$TMP/cc_one"
cc_per_app=$($PY "$HERE/cookiecutter_batch.py" "$TMP/cc-template" "$TMP/cc-many" "$APPS")
cc_files=$(find "$TMP/cc-many" -type f | wc -l)
[ "$cc_files" -eq $((APPS * FILES)) ] || echo "warning: cookiecutter wrote $cc_files files, not $((APPS * FILES))"

cc_one_ms=$(echo "$(cat "$TMP/cc_one") / 1000000" | bc -l)
cc_app_ms=$(echo "$cc_per_app * 1000" | bc -l)
printf 'one cookiecutter process (median of 10):              %8.2f ms\n' "$cc_one_ms"
printf 'cookiecutter per app over %d apps, one process:     %8.2f ms\n' "$APPS" "$cc_app_ms"
printf 'ratio, one process: cookiecutter / berth = %.1fx\n' "$(echo "$cc_one_ms / ($(cat "$TMP/berth_one") / 1000000)" | bc -l)"
printf 'ratio, per app over %d: cookiecutter (in one process) / berth (a process each) = %.1fx\n' "$APPS" "$(echo "$cc_app_ms / ($berth_per_app / 1000000)" | bc -l)"
