#!/usr/bin/env bash
# Importing the earlier system's state: every port_config.json shape, its live SQLite
# database, --skip-conflicts, and every error.
#   import_test.sh <path to berth>
source "$(dirname "$0")/lib.sh" "$1"
PY=/usr/bin/python3

# The shapes: "model" or "model_name", "app_number" or "app_num", numbers or digit strings,
# extra fields ignored.
cat >"$TMP/shapes.json" <<'JSON'
[
  {"model": "a", "app_number": 1, "backend_port": 5001, "frontend_port": 8001},
  {"model_name": "b/x", "app_number": "2", "backend_port": "5101", "frontend_port": "8101", "model_index": 4},
  {"model_name": "c", "model": "c", "app_num": 3, "backend_port": 5201, "frontend_port": "8201", "created_at": "2025-01-01"}
]
JSON
expect_ok --store "$TMP/s1" import "$TMP/shapes.json"
expect_out 'imported 3 reservation\(s\), 0 already present'
expect_ok --store "$TMP/s1" list
expect_out '^b/x +2 +5101 +8101 +b-x-app2$'
expect_out '^c +3 +5201 +8201 +c-app3$'
expect_ok --store "$TMP/s1" import "$TMP/shapes.json"
expect_out 'imported 0 reservation\(s\), 3 already present'

bad() {  # bad REGEX ENTRY: the entry alone is refused, naming the field
  echo "[$2]" >"$TMP/bad.json"
  expect_fail 2 "$1" --store "$TMP/s1" import "$TMP/bad.json"
}
bad "entry 1: 'backend_port' must be a whole number from 1 to 65535, not \"50x1\"" '{"model": "q", "app_number": 1, "backend_port": "50x1", "frontend_port": 8001}'
bad "entry 1: 'backend_port' must be a whole number from 1 to 65535, not \"70000\"" '{"model": "q", "app_number": 1, "backend_port": "70000", "frontend_port": 8001}'
bad "entry 1: 'app_number' must be a whole number from 1 to 1000000, not \"\"" '{"model": "q", "app_number": "", "backend_port": 5001, "frontend_port": 8001}'
bad "entry 1: 'model' \"q\" and 'model_name' \"r\" disagree" '{"model": "q", "model_name": "r", "app_number": 1, "backend_port": 5001, "frontend_port": 8001}'
bad "entry 1: missing 'model'" '{"app_number": 1, "backend_port": 5001, "frontend_port": 8001}'
bad "entry 1: missing 'app_number'" '{"model": "q", "backend_port": 5001, "frontend_port": 8001}'
bad "entry 1: 'backend_port' must be a whole number, not 1.5" '{"model": "q", "app_number": 1, "backend_port": 1.5, "frontend_port": 8001}'

# The live database, made here with the earlier system's table.
$PY - "$TMP/ports.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("""CREATE TABLE port_configurations (
    id INTEGER PRIMARY KEY, model VARCHAR(200) NOT NULL, app_num INTEGER NOT NULL,
    backend_port INTEGER UNIQUE NOT NULL, frontend_port INTEGER UNIQUE NOT NULL,
    is_available BOOLEAN DEFAULT TRUE, UNIQUE(model, app_num))""")
rows = [("anthropic_claude-4.5-haiku", 1, 5001, 8001), ("anthropic_claude-4.5-haiku", 2, 5003, 8003),
        ("openai/gpt-5-mini", 1, 5005, 8005)]
db.executemany("INSERT INTO port_configurations (model, app_num, backend_port, frontend_port) VALUES (?,?,?,?)", rows)
db.commit()
PY
expect_ok --store "$TMP/s2" import --sqlite "$TMP/ports.db"
expect_out 'imported 3 reservation'
expect_ok --store "$TMP/s2" list
expect_out '^openai/gpt-5-mini +1 +5005 +8005 +openai-gpt-5-mini-app1$'
expect_ok --store "$TMP/s2" check
# While the earlier system holds it open (a reader in another process), and read-only on disk.
chmod 444 "$TMP/ports.db"
expect_ok --store "$TMP/s3" import --sqlite "$TMP/ports.db"
chmod 644 "$TMP/ports.db"

sqlite_bad() {  # sqlite_bad REGEX SQL...: a database holding that table is refused, naming it
  local regex=$1
  shift
  rm -f "$TMP/bad.db"
  $PY -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for sql in sys.argv[2:]:
    db.execute(sql)
db.commit()' "$TMP/bad.db" "$@"
  expect_fail 2 "$regex" --store "$TMP/s4" import --sqlite "$TMP/bad.db"
}
sqlite_bad "has no table port_configurations" "CREATE TABLE other (x)"
sqlite_bad "no such column: frontend_port \(port_configurations needs" "CREATE TABLE port_configurations (model, app_num, backend_port)"
sqlite_bad "bad.db: row 1: 'app_num' must be a whole number, not null" "CREATE TABLE port_configurations (model, app_num, backend_port, frontend_port)" "INSERT INTO port_configurations VALUES ('m', NULL, 5001, 8001)"
sqlite_bad "bad.db: row 2: 'backend_port' must be a whole number, not 1.5" "CREATE TABLE port_configurations (model, app_num, backend_port, frontend_port)" "INSERT INTO port_configurations VALUES ('m', 1, 5001, 8001)" "INSERT INTO port_configurations VALUES ('m', 2, 1.5, 8003)"
sqlite_bad "bad.db: row 1: model name" "CREATE TABLE port_configurations (model, app_num, backend_port, frontend_port)" "INSERT INTO port_configurations VALUES ('', 1, 5001, 8001)"
[ ! -e "$TMP/s4/data.mdb" ] || expect_eq "a refused database import reserved nothing" "$("$BERTH" --store "$TMP/s4" list | tail -n +2)" ""
echo "not a database at all, just text" >"$TMP/text.db"
expect_fail 2 "--sqlite '$TMP/text.db': file is not a database" --store "$TMP/s4" import --sqlite "$TMP/text.db"
expect_fail 1 "--sqlite '$TMP/none.db' is not a file that can be read" --store "$TMP/s4" import --sqlite "$TMP/none.db"
expect_fail 2 "give the file to import, or --sqlite DB" --store "$TMP/s4" import
expect_fail 2 "file and --sqlite cannot be given together" --store "$TMP/s4" import "$TMP/shapes.json" --sqlite "$TMP/ports.db"

# --skip-conflicts: what fits lands in one transaction; every entry left out is listed (exit 3).
S="$TMP/s5"
"$BERTH" --store "$S" reserve owner 1 >/dev/null
"$BERTH" --store "$S" pool exclude 5099 >/dev/null
cat >"$TMP/mixed.json" <<'JSON'
[{"model": "x", "app_number": 1, "backend_port": 5001, "frontend_port": 8101},
 {"model": "y", "app_number": 1, "backend_port": 5103, "frontend_port": 8103},
 {"model": "z", "app_number": 1, "backend_port": 5103, "frontend_port": 8105},
 {"model": "w", "app_number": 1, "backend_port": 5099, "frontend_port": 8107},
 {"model": "v", "app_number": 1, "backend_port": 5109, "frontend_port": 8109}]
JSON
before=$("$BERTH" --store "$S" export)
expect_fail 3 "import refused, nothing changed: 3 problem" --store "$S" import "$TMP/mixed.json"
grep -q "entry 4 ('w' app 1): port 5099 (backend) is excluded in this store; choose another, or allow it with \`berth pool include 5099\`" "$ERR" && pass || fail "excluded pin does not say how to allow it"
expect_eq "all or nothing without --skip-conflicts" "$("$BERTH" --store "$S" export)" "$before"
berth --store "$S" import "$TMP/mixed.json" --skip-conflicts
expect_eq "--skip-conflicts exit code" "$RC" 3
expect_out 'imported 2 reservation\(s\), 0 already present, 3 left out'
grep -q "berth: left out entry 1 ('x' app 1): port 5001 (backend) for 'x' app 1 is held by 'owner' app 1" "$ERR" && pass || fail "entry 1 not listed"
grep -q "berth: left out entry 3 ('z' app 1): port 5103 (backend) for 'z' app 1 is held by 'y' app 1" "$ERR" && pass || fail "entry 3 not listed"
grep -q "berth: left out entry 4 ('w' app 1): .*berth pool include 5099" "$ERR" && pass || fail "entry 4 not listed"
expect_ok --store "$S" list
expect_out '^y +1 +5103 +8103'
expect_out '^v +1 +5109 +8109'
grep -qE '^(x|z|w) ' "$OUT" && fail "a left-out entry was imported" || pass
expect_ok --store "$S" check
berth --store "$S" --json import "$TMP/mixed.json" --skip-conflicts
expect_eq "--skip-conflicts --json exit code" "$RC" 3
expect_json '"skipped":["entry1('"'"'x'"'"'app1)'
echo '[{"model": "u", "app_number": 1, "backend_port": 5201, "frontend_port": 8201}]' >"$TMP/fits.json"
expect_ok --store "$S" import "$TMP/fits.json" --skip-conflicts
expect_out 'imported 1 reservation\(s\), 0 already present, 0 left out'

finish
