#!/usr/bin/env bash
# Every error a user can hit from the berth CLI: its exit code (1 runtime, 2 usage, 3 conflict)
# and a message naming the bad value. A refused command changes nothing.
source "$(dirname "$0")/lib.sh" "$1"

S="$TMP/store"
expect_ok --store "$S" reserve owner 1   # holds 5001/8001, owner-app1
snapshot() { "$BERTH" --store "$S" export; }
before=$(snapshot)

# Command line
# Usage errors in berth's words, never CLI11's: what is wrong, for which command, and the fix.
expect_fail 2 '^berth: error: berth needs a command: reserve, release, list, .*; see berth --help$' --store "$S"
expect_fail 2 "^berth: error: unknown command 'frobnicate'; commands: reserve, release, list" --store "$S" frobnicate
expect_fail 2 "^berth: error: unknown command 'reservee'; did you mean 'reserve'\?$" --store "$S" reservee m 1
expect_fail 2 "^berth: error: unknown option '--bogus' for 'list'; see berth list --help$" --store "$S" list --bogus
expect_fail 2 "^berth: error: unknown option '--poll' for 'reserve'; did you mean '--pool'\?$" --store "$S" reserve m 1 --poll x
expect_fail 2 "^berth: error: unknown option '--jsn' for 'list'; did you mean '--json'\?$" --store "$S" list --jsn
expect_fail 2 "^berth: error: unknown option '--rnge' for 'pool set'; did you mean '--range'\?$" --store "$S" pool set x --rnge a=1-2
expect_fail 2 "^berth: error: unknown command 'sett' for 'pool'; did you mean 'set'\?$" --store "$S" pool sett
expect_fail 2 "^berth: error: unknown command 'zz' for 'pool'; commands: show, set, remove, exclude, include$" --store "$S" pool zz
expect_fail 2 "^berth: error: unexpected argument 'extra' for 'reserve'; see berth reserve --help$" --store "$S" reserve m 1 extra
expect_fail 2 "^berth: error: --port needs a value \(NAME=PORT\)$" --store "$S" reserve m 1 --port
expect_fail 2 "^berth: error: berth pool set needs --range; see berth pool set --help$" --store "$S" pool set x
expect_fail 2 "^berth: error: berth show needs its argument 'app'; see berth show --help$" --store "$S" show m
expect_fail 2 "^berth: error: --jobs '0' is out of range: give 1 to 64$" --store "$S" backfill "$TMP" --jobs 0
expect_fail 2 "^berth: error: unknown command 'bogus'; commands: reserve" --store "$S" help bogus
expect_fail 2 "^berth: error: unknown command 'bogus'; commands: reserve" --store "$S" bogus --help
# With --json, a failure is one JSON object on stderr: the message, the exit code, the problems.
json_error() {  # json_error EXIT MESSAGE-REGEX MIN-PROBLEMS: checks $ERR
  python3 - "$ERR" "$1" "$2" "$3" <<'PY' && pass || fail "--json error: $(cat "$ERR")"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
doc = json.loads(lines[-1])
assert len(lines) == 1, lines
assert set(doc) == {"error", "exit", "problems"}, doc
assert doc["exit"] == int(sys.argv[2]), doc
assert re.search(sys.argv[3], doc["error"]), doc
assert len(doc["problems"]) >= int(sys.argv[4]), doc
PY
}
berth --json --store "$S" reservee m 1
expect_eq "--json usage error exit" "$RC" 2
json_error 2 "unknown command 'reservee'; did you mean 'reserve'" 0
berth --store "$TMP/missing-store" list --json
expect_eq "--json missing store exit" "$RC" 2
json_error 2 "no berth store in '$TMP/missing-store'" 0
echo '[{"model": "jm", "app": 1, "target": "every"}, {"model": "jm", "app": 1}]' >"$TMP/json-plan.json"
berth --json --store "$S" plan "$TMP/json-plan.json" --cmake "$TMP/out.cmake" --stamps "$TMP/st" --all-target every
expect_eq "--json plan refusal exit" "$RC" 2
json_error 2 "plan refused, nothing changed: 2 problem" 2
grep -q "declared twice" "$ERR" && grep -q "builds every app" "$ERR" && pass || fail "--json problems: $(cat "$ERR")"
# `plan --calls`: the CMake module's records (0x1e after each call, 0x1f between fields).
printf '%s\x1f%s\x1f%s\x1f2\x1fcm;1\x1e' "$TMP/CMakeLists.txt" "$TMP" "$TMP/b" >"$TMP/calls"
expect_fail 2 "--calls needs --binary-dir DIR" --store "$S" plan "$TMP/calls" --calls
expect_fail 1 "cannot read '$TMP/no-targets'" --store "$S" plan "$TMP/calls" --calls --binary-dir "$TMP/b" --taken-targets "$TMP/no-targets"
printf 'berth_cm_app1\n' >"$TMP/targets"
expect_fail 2 "entry 1 \('cm' app 1, declared at .*CMakeLists.txt\): a target 'berth_cm_app1' exists already" --store "$S" plan "$TMP/calls" --calls --binary-dir "$TMP/b" --taken-targets "$TMP/targets"
# A call's fields one by one (an argument with ';'), a record that lost its count, another
# whose count disagrees with its arguments.
printf '%s\x1f%s\x1f%s\x1f=4\x1fcm\x1f2\x1fVARS\x1fapp_title=a;b\x1e' "$TMP/CMakeLists.txt" "$TMP" "$TMP/b" >"$TMP/calls"
expect_ok --store "$TMP/calls-store" --json plan "$TMP/calls" --calls --binary-dir "$TMP/b"
expect_json '"out":"'"$TMP"'/b/apps/cm/app2"'
printf 'x\x1fy\x1e%s\x1f%s\x1f%s\x1f3\x1fcm;3\x1e' "$TMP/CMakeLists.txt" "$TMP" "$TMP/b" >"$TMP/calls"
expect_fail 2 "plan refused, nothing changed: 2 problem" --store "$S" plan "$TMP/calls" --calls --binary-dir "$TMP/b"
grep -q "CMakeLists.txt: add_generated_app(cm 3): its arguments could not be read" "$ERR" && pass ||
  fail "a record whose count disagrees: $(cat "$ERR")"
expect_fail 2 "its arguments could not be read" --store "$S" plan "$TMP/calls" --calls --binary-dir "$TMP/b"
expect_fail 2 'reserve needs MODEL and N' --store "$S" reserve onlymodel
expect_fail 2 "app number 'abc' is not a number" --store "$S" reserve m abc
expect_fail 2 "app number '1x' is not a number" --store "$S" reserve m 1x
expect_fail 2 'app number 0 is out of range; use 1 to 1000000' --store "$S" reserve m 0
expect_fail 2 'app number 1000001 is out of range' --store "$S" reserve m 1000001
expect_fail 2 'model name is empty' --store "$S" reserve "" 1
expect_fail 2 'is 201 bytes; the limit is 200' --store "$S" reserve "$(printf 'm%.0s' {1..201})" 1
expect_fail 2 'contains a control character or line separator \(at byte 1\)' --store "$S" reserve "$(printf 'a\tb')" 1
expect_fail 2 'is not valid UTF-8 \(at byte 1\)' --store "$S" reserve "$(printf 'a\xff')" 1
expect_fail 2 "model name is empty" --store "$S" list --model ""

# Pins and pools
expect_fail 2 "--port 'backend' is not NAME=PORT" --store "$S" reserve m 1 --port backend
expect_fail 2 "port 'x' is not a number" --store "$S" reserve m 1 --port backend=x
expect_fail 2 'port 70000 is not a port; use 1 to 65535' --store "$S" reserve m 1 --port backend=70000
expect_fail 2 "pool 'apps' has no port 'db'; its ports: backend, frontend" --store "$S" reserve m 1 --port db=20000
expect_fail 2 'port 5432 \(backend\) is excluded in this store' --store "$S" reserve m 1 --port backend=5432
expect_fail 2 '--port backend is given twice' --store "$S" reserve m 1 --port backend=20000 --port backend=20001
expect_fail 2 'port 20000 is pinned twice' --store "$S" reserve m 1 --port backend=20000 --port frontend=20000
expect_fail 3 "port 8001 \(frontend\) for 'm' app 1 is held by 'owner' app 1 \(frontend\)" --store "$S" reserve m 1 --port frontend=8001
expect_fail 3 "'owner' app 1 is already reserved with backend=5001, not 5101; release it first" --store "$S" reserve owner 1 --port backend=5101
expect_fail 3 "'owner' app 1 is already reserved in pool 'apps', not 'other'" --store "$S" reserve owner 1 --pool other
expect_fail 2 "no pool 'other' in this store; pools: apps" --store "$S" reserve m 1 --pool other

# Batches
cat >"$TMP/conflict.json" <<'JSON'
[{"model": "b", "app": 1}, {"model": "owner", "app": 1, "op": "release"},
 {"model": "b", "app": 2, "ports": {"backend": 5101}}, {"model": "c", "app": 1, "ports": {"frontend": 8003}}]
JSON
expect_fail 3 "batch entry 4: port 8003 \(frontend\) for 'c' app 1 is held by 'b' app 1 \(frontend\) \(nothing in the batch was applied" --store "$S" reserve --batch "$TMP/conflict.json"
expect_fail 1 "cannot read '$TMP/missing.json': No such file" --store "$S" reserve --batch "$TMP/missing.json"
echo '[{"model": "b", "app": 1},' >"$TMP/broken.json"
expect_fail 2 "'$TMP/broken.json' is not valid JSON \(at byte" --store "$S" reserve --batch "$TMP/broken.json"
echo '{"model": "b"}' >"$TMP/object.json"
expect_fail 2 'must hold a JSON list' --store "$S" reserve --batch "$TMP/object.json"
echo '[1]' >"$TMP/notobj.json"
expect_fail 2 'entry 1 must be a JSON object, not 1' --store "$S" reserve --batch "$TMP/notobj.json"
echo '[{"model": "b", "app": 1, "colour": "red"}]' >"$TMP/field.json"
expect_fail 2 "entry 1: unknown field 'colour'; known: model, app, namespace, pool, ports, project, op" --store "$S" reserve --batch "$TMP/field.json"
echo '[{"app": 1}]' >"$TMP/nomodel.json"
expect_fail 2 "entry 1: missing 'model'" --store "$S" reserve --batch "$TMP/nomodel.json"
echo '[{"model": "b", "app": "one"}]' >"$TMP/type.json"
expect_fail 2 "entry 1: 'app' must be a whole number, not \"one\"" --store "$S" reserve --batch "$TMP/type.json"
echo '[{"model": "b", "app": 0}]' >"$TMP/app0.json"
expect_fail 2 "entry 1: 'app' 0 is out of range \(1 to 1000000\)" --store "$S" reserve --batch "$TMP/app0.json"
echo '[{"model": "b", "app": 1, "op": "delete"}]' >"$TMP/op.json"
expect_fail 2 "entry 1: op 'delete' is neither" --store "$S" reserve --batch "$TMP/op.json"
echo '[{"model": "b", "app": 1, "ports": {"backend": "x"}}]' >"$TMP/port.json"
expect_fail 2 "entry 1: port 'backend' must be a whole number, not \"x\"" --store "$S" reserve --batch "$TMP/port.json"
echo '[{"model": "b", "app": 1, "ports": [5001]}]' >"$TMP/ports.json"
expect_fail 2 "entry 1: 'ports' must be an object, not \[5001\]" --store "$S" reserve --batch "$TMP/ports.json"
expect_fail 2 '--batch FILE takes no MODEL' --store "$S" reserve m --batch "$TMP/conflict.json"
echo '[{"model": "nobody", "app": 1, "op": "release"}]' >"$TMP/release.json"
expect_fail 2 "batch entry 1: 'nobody' app 1 is not reserved" --store "$S" reserve --batch "$TMP/release.json"

cat >"$TMP/many.json" <<'JSON'
[{"model": "p", "app": 1, "ports": {"backend": 5001}}, {"model": "q", "app": 1},
 {"model": "r", "app": 1, "ports": {"frontend": 8001}}]
JSON
expect_fail 3 "batch refused, nothing applied: 2 problems" --store "$S" reserve --batch "$TMP/many.json"
grep -q "batch entry 1: port 5001 (backend) for 'p' app 1 is held by 'owner' app 1" "$ERR" && pass || fail "first batch problem not listed"
grep -q "batch entry 3: port 8001 (frontend) for 'r' app 1 is held by 'owner' app 1" "$ERR" && pass || fail "third batch problem not listed"

# Plans (the CMake module's configure step)
echo '{"model": "m"}' >"$TMP/plan-object.json"
expect_fail 2 "must hold a JSON list of apps" --store "$S" plan "$TMP/plan-object.json"
echo '[{"model": "m", "app": 1, "colour": 1}]' >"$TMP/plan-field.json"
expect_fail 2 "entry 1: unknown field 'colour'" --store "$S" plan "$TMP/plan-field.json"
echo '[{"model": "m", "app": 1, "vars": {"app_title": 1}}]' >"$TMP/plan-vars.json"
expect_fail 2 "entry 1: 'vars': 'app_title' must be a string, not 1" --store "$S" plan "$TMP/plan-vars.json"
echo '[{"model": "m", "app": 1}]' >"$TMP/plan.json"
expect_fail 2 "--locked needs --lock FILE" --store "$S" plan "$TMP/plan.json" --locked
mkdir -p "$TMP/semi/files"
echo '{"name": "semi"}' >"$TMP/semi/template.json"
echo x >"$TMP/semi/files/a;b.txt"
echo "[{\"model\": \"m\", \"app\": 1, \"template\": \"$TMP/semi\", \"declared\": \"CMakeLists.txt:3\"}]" >"$TMP/plan-semi.json"
expect_fail 2 "--cmake needs --stamps DIR" --store "$S" plan "$TMP/plan-semi.json" --cmake "$TMP/out.cmake"
[ ! -e "$TMP/out.cmake" ] && pass || fail "a refused plan wrote its CMake file"
echo '[{"model": "m;n", "app": 1, "declared": "CMakeLists.txt:3"}]' >"$TMP/plan-semi.json"
expect_fail 2 "entry 1 \('m;n' app 1, declared at CMakeLists.txt:3\): 'm;n' holds ';' or a newline, which CMake lists cannot carry" --store "$S" plan "$TMP/plan-semi.json" --cmake "$TMP/out.cmake" --stamps "$TMP/st"
[ ! -e "$TMP/out.cmake" ] && pass || fail "a refused plan wrote its CMake file"
# --all-target (the module's target that builds every app under a Makefile generator).
echo '[{"model": "all-t", "app": 1, "target": "every", "declared": "CMakeLists.txt:4"}]' >"$TMP/plan-all.json"
expect_fail 2 "--all-target 'a b' is not a target name \(letters, digits, '_', '.', '\+', '-'\)" --store "$S" plan "$TMP/plan-all.json" --cmake "$TMP/out.cmake" --stamps "$TMP/st" --all-target "a b"
expect_fail 2 "entry 1 \('all-t' app 1, declared at CMakeLists.txt:4\): TARGET 'every' is the target that builds every app; give the app another TARGET" --store "$S" plan "$TMP/plan-all.json" --cmake "$TMP/out.cmake" --stamps "$TMP/st" --all-target every
[ ! -e "$TMP/out.cmake" ] && pass || fail "a refused plan wrote its CMake file"
expect_fail 2 "not reserved" --store "$S" show all-t 1

# Release
expect_fail 2 "'nobody' app 1 is not reserved; see .berth list." --store "$S" release nobody 1
expect_fail 2 "release needs an app number, or --all for every app of 'owner'" --store "$S" release owner
expect_fail 2 'give either an app number or --all, not both' --store "$S" release owner 1 --all
expect_fail 2 "model 'nobody' holds no reservation" --store "$S" release nobody --all

# Import
expect_fail 1 "cannot read '$TMP/none.json'" --store "$S" import "$TMP/none.json"
expect_fail 2 "is not valid JSON" --store "$S" import "$TMP/broken.json"
echo '{"hello": 1}' >"$TMP/shape.json"
expect_fail 2 'is neither a port_config.json list nor a berth export object' --store "$S" import "$TMP/shape.json"
echo '{"berth_export": 2}' >"$TMP/future.json"
expect_fail 2 'is a berth export of format 2; this berth reads format 1' --store "$S" import "$TMP/future.json"
echo '[{"model": "x", "app_number": 1, "backend_port": 5101}]' >"$TMP/seedmissing.json"
expect_fail 2 "entry 1: missing 'frontend_port'" --store "$S" import "$TMP/seedmissing.json"
echo '[{"model": "x", "app_number": 1, "backend_port": 5101, "frontend_port": 99999}]' >"$TMP/seedport.json"
expect_fail 2 "entry 1: 'frontend_port' 99999 is out of range \(1 to 65535\)" --store "$S" import "$TMP/seedport.json"
cat >"$TMP/clash.json" <<'JSON'
[{"model": "x", "app_number": 1, "backend_port": 5001, "frontend_port": 8101},
 {"model": "y", "app_number": 1, "backend_port": 5103, "frontend_port": 8103},
 {"model": "z", "app_number": 1, "backend_port": 5103, "frontend_port": 8105}]
JSON
expect_fail 3 'import refused, nothing changed: 2 problem' --store "$S" import "$TMP/clash.json"
grep -q "entry 1 ('x' app 1): port 5001 (backend) for 'x' app 1 is held by 'owner' app 1" "$ERR" && pass || fail "import conflict 1 not listed"
grep -q "entry 3 ('z' app 1): port 5103 (backend) for 'z' app 1 is held by 'y' app 1" "$ERR" && pass || fail "import conflict 3 not listed"

# Pools
expect_fail 2 "--range 'web' is not NAME=FIRST-LAST" --store "$S" pool set p --range web
expect_fail 2 "port 'a' is not a number" --store "$S" pool set p --range web=a-b
expect_fail 2 "pool name 'P!' is invalid" --store "$S" pool set 'P!' --range web=20001-20010
expect_fail 2 "port name 'Web' is invalid" --store "$S" pool set p --range Web=20001-20010
expect_fail 2 'range web=20010-20001 is empty' --store "$S" pool set p --range web=20010-20001
expect_fail 2 'ranges a and b overlap' --store "$S" pool set p --range a=20001-20010 --range b=20005-20020
expect_fail 3 "overlaps pool 'apps''s range backend=5001-7999" --store "$S" pool set p --range web=7000-7100
expect_fail 2 'enters the ephemeral range 32768-60999; move it or allow it explicitly \(--allow-ephemeral\)' --store "$S" pool set p --range web=32000-33000
expect_fail 2 '--step 0 must be 1 to 65535' --store "$S" pool set p --range web=20001-20010 --step 0
expect_fail 3 "changing pool 'apps' would strand 1 reservation" --store "$S" pool set apps --range backend=5101-7999 --range frontend=8001-10999 --step 2
grep -q "'owner' app 1: backend=5001 would become 5101" "$ERR" && pass || fail "stranded reservation not listed"
expect_fail 2 "no pool 'nope' in this store" --store "$S" pool remove nope
expect_fail 3 "pool 'apps' holds 1 reservation\(s\) or lease\(s\); release them first" --store "$S" pool remove apps
expect_fail 3 'cannot exclude ports that are held' --store "$S" pool exclude 8001
grep -q "port 8001 is held by 'owner' app 1 (frontend)" "$ERR" && pass || fail "held excluded port not named"
expect_fail 2 "port 'http' is not a number" --store "$S" pool exclude http

# A full pool
expect_ok --store "$S" pool set tiny --range web=20001-20002
expect_ok --store "$S" reserve t 1 --pool tiny
expect_ok --store "$S" reserve t 2 --pool tiny
expect_fail 1 "pool 'tiny' is full: all 2 slots are held or blocked; release apps \(berth release\) or widen the pool" --store "$S" reserve t 3 --pool tiny
expect_ok --store "$S" release t --all
expect_ok --store "$S" pool remove tiny

# Nothing above changed the store.
expect_eq "store unchanged by refused commands" "$(snapshot)" "$before"

# Store problems
echo x >"$TMP/afile"
expect_fail 1 "creating store folder '$TMP/afile/sub'" --store "$TMP/afile/sub" reserve m 1
expect_fail 1 "store '$TMP/afile' is not a folder" --store "$TMP/afile" reserve m 1
expect_fail 1 "store '$TMP/afile' is not a folder" --store "$TMP/afile" list
# A command that only reads never creates a store: a mistyped --store is an error naming it.
expect_fail 2 "no berth store in '$TMP/typo': nothing has been reserved there" --store "$TMP/typo" list
for cmd in show\ m\ 1 check stats export doctor proxy "lease list" "pool show" "prune --dry-run"; do
  expect_fail 2 "no berth store in '$TMP/typo'" --store "$TMP/typo" $cmd
done
[ ! -e "$TMP/typo" ] && pass || fail "a reading command created the store folder"
expect_fail 1 "cannot create folder '$TMP/afile/sub'" --store "$S" export -o "$TMP/afile/sub/out.json"
mkdir -p "$TMP/target/occupied"   # a folder where the file should go: the rename fails
expect_fail 1 "cannot write '$TMP/target': Is a directory" --store "$S" export -o "$TMP/target"
expect_eq "export left no temporary file" "$(ls -A "$TMP" | grep -c berth-tmp)" 0

# A store written by a newer berth.
N="$TMP/newer"
expect_ok --store "$N" reserve m 1
printf 'schema\n\\00\\00\\00\\04\n' | mdb_load -T -s meta "$N"
expect_fail 1 "has schema version 4, written by a newer berth; this berth reads up to 3" --store "$N" list

# check on a corrupted store: a port index entry pointing at an owner that does not hold it.
C="$TMP/corrupt"
expect_ok --store "$C" reserve a 1
expect_ok --store "$C" check
printf '\\27\\0f\na\\00\\00\\00\\00\\01\n' | mdb_load -T -s ports "$C"
expect_fail 3 "check found 1 problem\(s\) in store" --store "$C" check
expect_out "^problem: port 9999 is indexed to 'a' app 1, which does not hold it$"
berth --store "$C" --json check
expect_eq "check --json exit code" "$RC" 3
expect_out '"ok": false'
expect_out '"reservations": 1'  # the one app, whole, beside the stray index entry

# Extra pools (NodePorts): every refusal names the pool and the way out.
X="$TMP/extra"
expect_fail 2 "a pool is a lease pool or an extra pool, not both" --store "$X" pool set both --lease --extra --range p=29001-29002
expect_fail 2 "an extra pool has one range" --store "$X" pool set two --extra --range a=29001-29002 --range b=29003-29004
expect_fail 2 "--batch FILE takes no MODEL, N, --pool, --port or --extra" --store "$X" reserve --batch "$TMP/none.json" --extra nodeport
expect_ok --store "$X" pool set tiny --extra --range t=29001-29001
expect_ok --store "$X" reserve a 1 --extra tiny
expect_fail 1 "extra pool 'tiny' is full: all 1 ports are held or excluded" --store "$X" reserve b 1 --extra tiny
expect_fail 2 "pool 'tiny' is an extra pool" --store "$X" reserve c 1 --pool tiny
expect_ok --store "$X" pool set near --range n=30000-30010
expect_fail 2 "pool 'nodeport' does not exist and its default range node=30000-32099 cannot be made: .*berth pool set nodeport --extra --range node=FIRST-LAST" --store "$X" reserve d 1 --extra nodeport
expect_ok --store "$X" list
expect_eq "refused extra ports reserve nothing" "$(tail -n +2 "$OUT" | wc -l)" 1
expect_ok --store "$X" check

finish
