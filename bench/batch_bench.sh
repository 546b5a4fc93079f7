#!/usr/bin/env bash
# One batch of many reservations (`berth reserve --batch`, one transaction) against the same
# allocation written in Python over SQLite (bench/sqlite_allocator.py: the lowest free slot of
# a one-port pool, excluded ports stepped over, a project name per app, unique indexes on ports
# and names, one transaction): CPU time (user + system), median of RUNS runs, each on a fresh
# store or database, the two interleaved (berth, then the floor, RUNS times) so that both meet
# the same machine. Needs python3 (its sqlite3 module).
#   bash bench/batch_bench.sh <path to berth> [apps] [runs]
set -eu
BERTH=$(realpath "$1")
APPS=${2:-50000}
RUNS=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
CPU="python3 $HERE/cpu_median.py $RUNS"
python3 -c "import json, sys; print(json.dumps([{'model': f'org/model-{i % 100}', 'app': i // 100 + 1, 'pool': 'one'} for i in range(int(sys.argv[1]))]))" "$APPS" >"$TMP/batch.json"
# A store whose one pool has room for them all: the default pools removed, one port per app.
setup="rm -rf '$TMP/s' && '$BERTH' --store '$TMP/s' pool remove preview >/dev/null && '$BERTH' --store '$TMP/s' pool remove apps >/dev/null && '$BERTH' --store '$TMP/s' pool set one --range port=2000-64999 --allow-ephemeral >/dev/null"
excluded=$(sh -c "$setup" && "$BERTH" --store "$TMP/s" --json pool show |
  python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["excluded"])))')
medians=$($CPU --setup "$setup" "$BERTH" --store "$TMP/s" reserve --batch "$TMP/batch.json" \
  --vs --setup "rm -f '$TMP/floor.db'" python3 "$HERE/sqlite_allocator.py" "$TMP/batch.json" \
  "$TMP/floor.db" 2000 64999 "$excluded")
read -r berth_ms sqlite_ms <<<"$medians"
held=$("$BERTH" --store "$TMP/s" stats | awk '$1 == "one" {print $3}')
rows=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM apps").fetchone()[0])' "$TMP/floor.db")
echo "one batch of $APPS reservations, CPU (user + system), median of $RUNS interleaved runs"
printf 'berth reserve --batch:         %9.1f ms  (%s held)\n' "$berth_ms" "$held"
printf 'Python + SQLite allocator:     %9.1f ms  (%s rows)\n' "$sqlite_ms" "$rows"
printf 'berth is %.2fx faster\n' "$(echo "$sqlite_ms / $berth_ms" | bc -l)"
