#!/usr/bin/env bash
# berth's quick commands against floors that exist today, in CPU time (user + system, median
# of RUNS processes): process start against a C++ hello world (g++ -O2), reading 10,000 apps
# (`list --json`, `check`) against the sqlite3 CLI doing the same on the same rows, and a
# scaffold of a new app (reserved in that store, its 25 files written) against a C program
# (gcc -O2) copying the same files from an app berth wrote into a new folder (also as berth
# writes them: each to a temporary name, then renamed); and the scaffold's
# store part alone (`reserve` of a new app: one durable transaction) against that floor too.
# Needs g++ and sqlite3 (apt-get install sqlite3).
#   bench/floor_bench.sh <path to berth> [runs]
set -eu
BERTH=$(realpath "$1")
RUNS=${2:-50}
source "$(dirname "$0")/lib.sh"
CPU="python3 $(dirname "$0")/cpu_median.py $RUNS"
S="$TMP/store"

printf '#include <iostream>\nint main() { std::cout << "hello 0.1.0\\n"; }\n' >"$TMP/hello.cpp"
g++ -O2 -o "$TMP/hello" "$TMP/hello.cpp"
python3 -c 'import json; print(json.dumps([{"model": f"org/model-{m}", "app": a} for m in range(100) for a in range(1, 101)]))' >"$TMP/10k.json"
"$BERTH" --store "$S" pool set wide --range backend=11000-21099 --range frontend=21100-31199 \
  --allow-ephemeral >/dev/null
python3 - "$TMP/10k.json" >"$TMP/10k-wide.json" <<'PY'
import json, sys
print(json.dumps([dict(e, pool="wide") for e in json.load(open(sys.argv[1]))]))
PY
"$BERTH" --store "$S" reserve --batch "$TMP/10k-wide.json" >/dev/null
"$BERTH" --store "$S" --json list | python3 -c '
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE apps (model TEXT, app INTEGER, pool TEXT, slot INTEGER, backend INTEGER UNIQUE, frontend INTEGER UNIQUE, project TEXT UNIQUE, created TEXT, PRIMARY KEY (model, app))")
db.executemany("INSERT INTO apps VALUES (?,?,?,?,?,?,?,?)", [(r["model"], r["app"], r["pool"], r["slot"], r["ports"]["backend"], r["ports"]["frontend"], r["project"], r["created"]) for r in json.load(sys.stdin)])
db.commit()' "$TMP/floor.db"
cat >"$TMP/list.sql" <<'SQL'
SELECT json_group_array(json_object('model', model, 'app', app, 'pool', pool, 'slot', slot,
  'ports', json_object('backend', backend, 'frontend', frontend), 'pinned', json('[]'),
  'project', project, 'created', created, 'uses', json('[]'))) FROM apps;
SQL
cat >"$TMP/check.sql" <<'SQL'
PRAGMA integrity_check;
SELECT count(*) FROM apps a JOIN apps b ON a.backend = b.frontend;
SELECT count(*) FROM apps WHERE backend NOT BETWEEN 11000 AND 21099 OR frontend NOT BETWEEN 21100 AND 31199;
SELECT count(*) FROM apps WHERE backend - 11000 != slot OR frontend - 21100 != slot;
SELECT count(*), max(slot) FROM apps;
SQL
row() {  # row WHAT "BERTH_MS FLOOR_MS" (cpu_median.py ... --vs ...)
  set -- "$1" $2
  printf '%-44s %9s ms %9s ms %7.2fx\n' "$1" "$2" "$3" "$(echo "$2 / $3" | bc -l)"
}
echo "berth against floors (CPU time, median of $RUNS processes each, berth and floor in turn)"
printf '%-44s %12s %12s %8s\n' "" "berth" "floor" "ratio"
row "--version (floor: C++ hello world)" "$($CPU "$BERTH" --version --vs "$TMP/hello")"
row "reserve of an existing app (floor: hello)" \
  "$($CPU "$BERTH" --store "$S" reserve org/model-5 5 --vs "$TMP/hello")"
row "list --json, 10,000 apps (floor: sqlite3)" "$($CPU "$BERTH" --store "$S" --json list \
  --vs sqlite3 "$TMP/floor.db" ".read $TMP/list.sql")"
row "check, 10,000 apps (floor: sqlite3)" "$($CPU "$BERTH" --store "$S" check \
  --vs sqlite3 "$TMP/floor.db" ".read $TMP/check.sql")"

cat >"$TMP/copy.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static char buf[1 << 20];
int main(int argc, char **argv) {  /* copy SRC DST LIST [atomic]: each file LIST names */
  char rel[4096], src[8192], dst[8192], tmp[8300];
  FILE *list = fopen(argv[3], "r");
  int atomic = argc == 5;  /* each file written to a temporary name, then renamed */
  mkdir(argv[2], 0755);
  while (argc >= 4 && fgets(rel, sizeof rel, list)) {
    rel[strcspn(rel, "\n")] = 0;
    snprintf(src, sizeof src, "%s/%s", argv[1], rel);
    snprintf(dst, sizeof dst, "%s/%s", argv[2], rel);
    snprintf(tmp, sizeof tmp, "%s.tmp", dst);
    for (char *p = dst + strlen(argv[2]) + 1; *p; ++p) {
      if (*p == '/') { *p = 0; mkdir(dst, 0755); *p = '/'; }
    }
    int in = open(src, O_RDONLY);
    int out = atomic ? open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644)
                     : open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ssize_t n = read(in, buf, sizeof buf);
    if (in < 0 || out < 0 || n < 0 || write(out, buf, (size_t)n) != n) return 1;
    close(in);
    close(out);
    if (atomic && rename(tmp, dst) != 0) return 1;
  }
  return 0;
}
C
gcc -O2 -o "$TMP/copy" "$TMP/copy.c"
"$BERTH" --store "$S" scaffold ref/app 1 --out "$TMP/ref" >/dev/null
(cd "$TMP/ref" && find . -type f ! -name .berth-manifest.json | sed 's|^\./||' | sort) >"$TMP/files"
row "scaffold, new app (floor: C writing files)" \
  "$($CPU --setup "rm -rf '$TMP/new'; '$BERTH' --store '$S' release new/app 1 >/dev/null 2>&1; true" \
    "$BERTH" --store "$S" scaffold new/app 1 --out "$TMP/new" \
    --vs --setup "rm -rf '$TMP/copied'" "$TMP/copy" "$TMP/ref" "$TMP/copied" "$TMP/files")"
# The same, each file written as berth writes it: to a temporary name, then renamed (so that no
# reader ever meets half a file).
row "scaffold, new app (floor: C, atomic writes)" \
  "$($CPU --setup "rm -rf '$TMP/new'; '$BERTH' --store '$S' release new/app 1 >/dev/null 2>&1; true" \
    "$BERTH" --store "$S" scaffold new/app 1 --out "$TMP/new" \
    --vs --setup "rm -rf '$TMP/copied'" "$TMP/copy" "$TMP/ref" "$TMP/copied" "$TMP/files" atomic)"
# The scaffold's store part alone: a new app's durable reservation, against the same floor (which
# reserves nothing).
row "reserve, new app (floor: C writing files)" \
  "$($CPU --setup "'$BERTH' --store '$S' release new/app 1 >/dev/null 2>&1; true" \
    "$BERTH" --store "$S" reserve new/app 1 \
    --vs --setup "rm -rf '$TMP/copied'" "$TMP/copy" "$TMP/ref" "$TMP/copied" "$TMP/files")"
