#!/usr/bin/env bash
# Every configure failure of add_generated_app, checked against a regular expression; and the lock
# file: created, pinned, reproduced on another machine (a fresh store), BERTH_LOCKED for CI.
#   errors_test.sh <berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
S="$TMP/store"
"$BERTH" --store "$S" reserve other/owner 1 --port backend=5101 --port frontend=8101 >/dev/null

# project NAME BODY: a project whose CMakeLists is the module include plus BODY.
project() {
  mkdir -p "$TMP/$1"
  printf 'cmake_minimum_required(VERSION 3.20)\nproject(%s NONE)\ninclude("%s/cmake/Berth.cmake")\n%s\n' \
    "$1" "$REPO" "$2" >"$TMP/$1/CMakeLists.txt"
}
# expect_configure_fail NAME REGEX [cmake args]: configure fails, stderr matches, and neither the
# store nor the lock file changed.
expect_configure_fail() {
  local name=$1 regex=$2
  shift 2
  local before lock_before=""
  before=$("$BERTH" --store "$S" export)
  [ -f "$TMP/$name/berth.lock.json" ] && lock_before=$(cat "$TMP/$name/berth.lock.json")
  rm -rf "$TMP/$name-build"
  cmake -S "$TMP/$name" -B "$TMP/$name-build" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  local flat
  flat=$(tr -s ' \n' ' ' <"$ERR")
  if [ "$RC" -eq 0 ]; then
    fail "$name: configure succeeded"
  elif ! echo "$flat" | grep -qE -- "$regex"; then
    fail "$name: stderr does not match /$regex/"
  elif [ "$("$BERTH" --store "$S" export)" != "$before" ]; then
    fail "$name: the store changed"
  elif [ -f "$TMP/$name/berth.lock.json" ] && [ "$(cat "$TMP/$name/berth.lock.json")" != "$lock_before" ]; then
    fail "$name: the lock file changed"
  else
    pass
  fi
}

project dup 'add_generated_app(m 1)
add_generated_app(m 2)

add_generated_app(m 1 VARS app_title=x)'
expect_configure_fail dup "entry 3 \('m' app 1, declared at CMakeLists.txt:7\): declared twice; the first is entry 1 \('m' app 1, declared at CMakeLists.txt:4\)"

project held 'add_generated_app(fine 1)
add_generated_app(m 1 PORTS backend=5101)'
expect_configure_fail held "entry 2 \('m' app 1, declared at CMakeLists.txt:5\): port 5101 \(backend\) for 'm' app 1 is held by 'other/owner' app 1 \(backend\)"

project two 'add_generated_app(a 1 PORTS frontend=8101)
add_generated_app(b 1 PORTS backend=5101)'
expect_configure_fail two "declared at CMakeLists.txt:4\): port 8101 .* declared at CMakeLists.txt:5\): port 5101"

# Every problem of every declaration in one run, grouped by declaration: a template, a variable
# and a pin, in three declarations.
project three 'add_generated_app(m1 1 TEMPLATE no-such-template)
add_generated_app(m2 1 VARS no_such_var=1)
add_generated_app(m3 1 PORTS backend=5101)'
expect_configure_fail three "plan refused, nothing changed: 3 problem\(s\) entry 1 \('m1' app 1, declared at CMakeLists.txt:4\): no template 'no-such-template'.* entry 2 \('m2' app 1, declared at CMakeLists.txt:5\): variable 'no_such_var' is not declared by template 'react-flask'.* entry 3 \('m3' app 1, declared at CMakeLists.txt:6\): port 5101 \(backend\) for 'm3' app 1 is held by 'other/owner' app 1"
project keyword 'add_generated_app(m 1 TEMPLATES react-flask)'
expect_configure_fail keyword "CMakeLists.txt:4: add_generated_app\(m 1\): unknown argument\(s\) 'TEMPLATES react-flask'. The keywords are TEMPLATE, OUTPUT_DIR, SOURCES, PORTS, VARS, POOL and TARGET"
project novalue 'add_generated_app(m 1 POOL)'
expect_configure_fail novalue "add_generated_app\(m 1\): POOL needs a value"
project noargs 'add_generated_app()'
expect_configure_fail noargs "CMakeLists.txt:4: add_generated_app\(\): the model and the app number are missing; for example add_generated_app\(openai/gpt-5-mini 1\)"
# Every bad declaration at once, each at its line, before anything is reserved.
project bad3 'add_generated_app(m 1 TEMPLATE a TEMPLATE b)
add_generated_app(m 2 VARS app_title=x app_title=y)
add_generated_app(m 3 VARS app_title=a VARS nope POOL)'
expect_configure_fail bad3 "4 problem\(s\) CMakeLists.txt:4: add_generated_app\(m 1\): TEMPLATE is given twice CMakeLists.txt:5: add_generated_app\(m 2\): VARS sets 'app_title' twice CMakeLists.txt:6: add_generated_app\(m 3\): POOL needs a value CMakeLists.txt:6: add_generated_app\(m 3\): VARS 'nope' is not <key>=<value>"
project nonumber 'add_generated_app(onlymodel)'
expect_configure_fail nonumber "add_generated_app\(onlymodel\): the app number is missing; give the model and the app's number, for example add_generated_app\(onlymodel 1\)"
project zero 'add_generated_app(m 0)'
expect_configure_fail zero "add_generated_app\(m 0\): the app number '0' is not a whole number from 1 to 1000000"
project big 'add_generated_app(m 1000001)'
expect_configure_fail big "the app number '1000001' is not a whole number"
project empty 'add_generated_app("" 1)'
expect_configure_fail empty "add_generated_app\( 1\): the model name is empty"
project semicolon 'add_generated_app("a;b" 1)'
expect_configure_fail semicolon "a model name with ';' cannot travel through CMake lists"
project badport 'add_generated_app(m 1 PORTS backend:5001)'
expect_configure_fail badport "PORTS 'backend:5001' is not <name>=<port>"
project bigport 'add_generated_app(m 1 PORTS backend=70000)'
expect_configure_fail bigport "PORTS 'backend=70000': 70000 is not a port"
project twice 'add_generated_app(m 1 PORTS backend=20001 backend=20002)'
expect_configure_fail twice "PORTS names 'backend' twice"
project badvar 'add_generated_app(m 1 VARS "no equals")'
expect_configure_fail badvar "VARS 'no equals' is not <key>=<value>"
project unknownvar 'add_generated_app(m 1 VARS colour=red)'
expect_configure_fail unknownvar "declared at CMakeLists.txt:4\): variable 'colour' is not declared by template 'react-flask'"
project badpool 'add_generated_app(m 1 POOL Big!)'
expect_configure_fail badpool "POOL 'Big!' is not a pool name"
project nopool 'add_generated_app(m 1 POOL nowhere)'
expect_configure_fail nopool "declared at CMakeLists.txt:4\): no pool 'nowhere' in this store"
project notpl 'add_generated_app(m 1 TEMPLATE ./missing)'
expect_configure_fail notpl "TEMPLATE folder '.*/missing' does not exist"
project noname 'add_generated_app(m 1 TEMPLATE nosuchtemplate)'
expect_configure_fail noname "declared at CMakeLists.txt:4\): no template 'nosuchtemplate'"
project nosrc 'add_generated_app(m 1 SOURCES nothere)'
expect_configure_fail nosrc "SOURCES 'nothere' is not a folder"
project sameout 'add_generated_app(a/b 1)
add_generated_app(a_b 1)'
expect_configure_fail sameout "entry 2 \('a_b' app 1, declared at CMakeLists.txt:5\): OUTPUT_DIR '.*/apps/a_b/app1' is already used by entry 1 \('a/b' app 1, declared at CMakeLists.txt:4\); give one of them another OUTPUT_DIR"
project badtarget 'add_generated_app(m 1 TARGET a/b)'
expect_configure_fail badtarget "CMakeLists.txt:4: add_generated_app\(m 1\): TARGET 'a/b' is not a valid target name"
project longmodel "add_generated_app($(printf 'm%.0s' {1..201}) 1)"
expect_configure_fail longmodel "CMakeLists.txt:4: add_generated_app\(m+ 1\): .*is 201 bytes; the limit is 200"
project sametarget 'add_generated_app(m 1 TARGET web)
add_generated_app(m 2 TARGET web)'
expect_configure_fail sametarget "entry 2 \('m' app 2, declared at CMakeLists.txt:5\): TARGET 'web' is already used by entry 1 \('m' app 1, declared at CMakeLists.txt:4\)"
project noexe 'add_generated_app(m 1)'
expect_configure_fail noexe "no berth program: use find_package\(Berth\)" -DBERTH_EXECUTABLE=
expect_configure_fail noexe "cannot run berth \('/nonexistent/berth'\): .*Set BERTH_EXECUTABLE" -DBERTH_EXECUTABLE=/nonexistent/berth

# The lock file. The first machine's store already holds an app, so this project gets 5003 and
# 5005; a fresh store would hand out 5001 and 5003.
S1="$TMP/store1"
"$BERTH" --store "$S1" reserve early/bird 1 >/dev/null
project locked 'add_generated_app(m 1)
add_generated_app(m 2)'
: >"$TMP/locked/berth.lock.json"   # an empty file starts a lock
cmake -S "$TMP/locked" -B "$TMP/locked-build" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S1" >"$OUT" 2>"$ERR"
expect_eq "configure with an empty lock" "$?" 0
grep -q '"project": "m-app2"' "$TMP/locked/berth.lock.json" && pass || fail "lock file not written: $(cat "$TMP/locked/berth.lock.json")"
grep -q '"backend": 5005' "$TMP/locked/berth.lock.json" && pass || fail "lock file holds the wrong ports"
# Another machine: a fresh store. The locked configure reproduces the same ports and names.
S2="$TMP/store2"
cmake -S "$TMP/locked" -B "$TMP/locked-build2" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S2" -DBERTH_LOCKED=ON >"$OUT" 2>"$ERR"
expect_eq "locked configure on a fresh store" "$?" 0
expect_eq "the lock reproduces the ports" "$("$BERTH" --store "$S2" list --model m | tail -n +2)" "$("$BERTH" --store "$S1" list --model m | tail -n +2)"
# BERTH_LOCKED: an app missing from the lock fails; nothing is allocated.
printf 'add_generated_app(m 3)\n' >>"$TMP/locked/CMakeLists.txt"
S_SAVE=$S
S=$S2
expect_configure_fail locked "entry 3 \('m' app 3, declared at CMakeLists.txt:6\): not in the lock file '.*berth.lock.json'; a locked configure allocates nothing" -DBERTH_LOCKED=ON
# A lock entry held by another owner in this store.
S=$TMP/store3
"$BERTH" --store "$S" reserve squatter 1 --port backend=5003 --port frontend=30001 >/dev/null
sed -i '$d' "$TMP/locked/CMakeLists.txt"
expect_configure_fail locked "declared at CMakeLists.txt:4\): port 5003 \(backend\) for 'm' app 1 is held by 'squatter' app 1 \(backend\).*pinned by the lock file"
# PORTS that disagree with the lock.
sed -i 's/add_generated_app(m 1)/add_generated_app(m 1 PORTS backend=5301)/' "$TMP/locked/CMakeLists.txt"
expect_configure_fail locked "PORTS backend=5301 differs from the lock's backend=5003"
S=$S_SAVE
# Unlocked, a new app is added to the lock.
sed -i 's/add_generated_app(m 1 PORTS backend=5301)/add_generated_app(m 1)/' "$TMP/locked/CMakeLists.txt"
printf 'add_generated_app(m 3)\n' >>"$TMP/locked/CMakeLists.txt"
cmake -S "$TMP/locked" -B "$TMP/locked-build" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" >"$OUT" 2>"$ERR"
grep -q '"project": "m-app3"' "$TMP/locked/berth.lock.json" && pass || fail "new app not added to the lock"
echo '{"nope": 1}' >"$TMP/locked/berth.lock.json"
expect_configure_fail locked "is not a berth lock"
rm "$TMP/locked/berth.lock.json"
expect_configure_fail locked "lock file '.*berth.lock.json' does not exist, and a locked configure allocates nothing" -DBERTH_LOCKED=ON

# BERTH_RELOCK: a lock made against one store, configured on a host where another model holds
# two of its ports (app 2's backend, app 4's frontend).
project relock 'add_generated_app(m 1)
add_generated_app(m 2)
add_generated_app(m 3)
add_generated_app(m 4)'
: >"$TMP/relock/berth.lock.json"
cmake -S "$TMP/relock" -B "$TMP/relock-b1" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$TMP/rs1" >"$OUT" 2>"$ERR"
expect_eq "the lock is made" "$?" 0
cp "$TMP/relock/berth.lock.json" "$TMP/lock.before"
S=$TMP/rs2
"$BERTH" --store "$S" reserve other 1 --port backend=5003 --port frontend=30101 >/dev/null
"$BERTH" --store "$S" reserve other 2 --port backend=30103 --port frontend=8007 >/dev/null
expect_configure_fail relock "port 5003 \(backend\) for 'm' app 2 is held by 'other' app 1.*pinned by the lock file"
grep -q "port 8007 (frontend) for 'm' app 4 is held by 'other' app 2" "$ERR" && pass || fail "plain configure does not name the second holder"
expect_configure_fail relock "BERTH_RELOCK and BERTH_LOCKED\): turn one of them off" -DBERTH_RELOCK=ON -DBERTH_LOCKED=ON
cmake -S "$TMP/relock" -B "$TMP/relock-b2" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" -DBERTH_RELOCK=ON >"$OUT" 2>"$ERR"
expect_eq "relock configure" "$?" 0
grep -q "relocked 'm' app 2: backend 5003 -> 5009, frontend 8003 -> 8009 (5003 held by 'other' app 1)" "$OUT" && pass || fail "app 2's move not printed: $(cat "$OUT")"
grep -q "relocked 'm' app 4: backend 5007 -> 5011, frontend 8007 -> 8011 (8007 held by 'other' app 2)" "$OUT" && pass || fail "app 4's move not printed"
expect_eq "exactly two apps moved" "$(grep -c relocked "$OUT")" 2
expect_eq "apps 1 and 3 keep their ports" "$("$BERTH" --store "$S" list --model m | awk '$2 == 1 || $2 == 3 {print $2, $3, $4}' | tr '\n' ' ')" "1 5001 8001 3 5005 8005 "
diff "$TMP/lock.before" "$TMP/relock/berth.lock.json" | grep -c '^>' | grep -qx 4 && pass || fail "the lock did not change in exactly the moved ports: $(diff "$TMP/lock.before" "$TMP/relock/berth.lock.json")"
grep -q '"backend": 5009' "$TMP/relock/berth.lock.json" && pass || fail "lock entry of app 2 not rewritten"
cp "$TMP/relock/berth.lock.json" "$TMP/lock.after"
cmake -S "$TMP/relock" -B "$TMP/relock-b2" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" -DBERTH_RELOCK=ON >"$OUT" 2>"$ERR"
expect_eq "second relock configure" "$?" 0
grep -q relocked "$OUT" && fail "a second configure moved apps again" || pass
cmp -s "$TMP/lock.after" "$TMP/relock/berth.lock.json" && pass || fail "a second configure changed the lock"
# BERTH_RELOCK is a one-shot action: the configure that ran it turns it off again, so a later
# automatic re-configure does not relock.
grep -q "BERTH_RELOCK ran once and is OFF again" "$OUT" && pass || fail "the relock does not say it is off again"
grep -q "^BERTH_RELOCK:BOOL=OFF$" "$TMP/relock-b2/CMakeCache.txt" && pass || fail "BERTH_RELOCK stays on: $(grep BERTH_RELOCK "$TMP/relock-b2/CMakeCache.txt")"
cmake -S "$TMP/relock" -B "$TMP/relock-b2" >"$OUT" 2>"$ERR"
expect_eq "a later configure" "$?" 0
grep -q "BERTH_RELOCK ran once" "$OUT" && fail "a later configure relocked again" || pass

finish
