#!/usr/bin/env bash
# Backfill time: adopting N existing apps (10 models x N/10 apps, each with model-written code
# and, for every third app, the earlier system's compose file and .env) with one
# `berth backfill`, per app; a re-run with nothing to change; --jobs 2; and beside them, the
# same apps adopted one `berth scaffold` process each. Medians of RUNS fresh trees and stores.
#   bash bench/backfill_bench.sh <path to berth> [apps] [runs]
set -eu
BERTH=$(realpath "$1")
APPS=${2:-1000}
RUNS=${3:-3}
source "$(dirname "$0")/lib.sh"

per_app_ms() { echo "$1 $APPS" | awk '{printf "%.2f", $1 / $2 / 1000000}'; }

make_tree() {  # make_tree ROOT
  local per=$((APPS / 10)) m n d i=0
  for m in $(seq 1 10); do
    for n in $(seq 1 "$per"); do
      d="$1/model_$m/app$n"
      mkdir -p "$d/backend" "$d/frontend/src"
      echo "print('model $m app $n')" >"$d/backend/app.py"
      echo "flask" >"$d/backend/requirements.txt"
      echo "export default function App() { return null }" >"$d/frontend/src/App.jsx"
      if [ $((i % 3)) -eq 0 ]; then
        printf 'services:\n  backend:\n    build: ./backend\n    ports:\n      - "%d:%d"\n' $((5001 + 2 * n)) $((5001 + 2 * n)) >"$d/docker-compose.yml"
        printf 'BACKEND_PORT=%d\nFRONTEND_PORT=%d\n' $((5001 + 2 * n)) $((8001 + 2 * n)) >"$d/.env"
      fi
      i=$((i + 1))
    done
  done
}

for r in $(seq 1 "$RUNS"); do
  make_tree "$TMP/t$r"
  cp -a "$TMP/t$r" "$TMP/j$r"
  cp -a "$TMP/t$r" "$TMP/s$r"
done
for r in $(seq 1 "$RUNS"); do
  t=$(now_ns)
  "$BERTH" --store "$TMP/st$r" backfill "$TMP/t$r" --keep-ports >/dev/null
  echo $(($(now_ns) - t)) >>"$TMP/first"
  t=$(now_ns)
  "$BERTH" --store "$TMP/st$r" backfill "$TMP/t$r" --keep-ports >/dev/null
  echo $(($(now_ns) - t)) >>"$TMP/rerun"
  t=$(now_ns)
  "$BERTH" --store "$TMP/sj$r" backfill "$TMP/j$r" --keep-ports --jobs 2 >/dev/null
  echo $(($(now_ns) - t)) >>"$TMP/jobs"
  t=$(now_ns)
  for d in "$TMP/s$r"/*/app*; do
    m=$(basename "$(dirname "$d")")
    "$BERTH" --store "$TMP/ss$r" scaffold "$m" "${d##*app}" --out "$d" >/dev/null 2>&1
  done
  echo $(($(now_ns) - t)) >>"$TMP/scaffold"
done
first=$(median <"$TMP/first")
rerun=$(median <"$TMP/rerun")
jobs=$(median <"$TMP/jobs")
scaffold=$(median <"$TMP/scaffold")
echo "berth backfill benchmark ($APPS existing apps, react-flask; median of $RUNS)"
printf 'one backfill, per app:                             %8s ms  (%.1f s in all)\n' "$(per_app_ms "$first")" "$(echo "$first" | awk '{print $1 / 1e9}')"
printf 'the re-run, nothing to change, per app:            %8s ms\n' "$(per_app_ms "$rerun")"
printf 'one backfill with --jobs 2, per app:               %8s ms\n' "$(per_app_ms "$jobs")"
printf 'one berth scaffold process per app instead:        %8s ms\n' "$(per_app_ms "$scaffold")"
printf 'ratio: scaffold loop / backfill = %.1fx\n' "$(echo "$scaffold $first" | awk '{print $1 / $2}')"
