#!/usr/bin/env bash
# The hostile suite, CMake side, for one generator: `clean` never removes a user's file, the
# user's text is evaluated once, and a refused configure changes neither the store nor the lock.
#   cmake_test.sh <berth> <generator>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
GEN=$2
S="$TMP/store"
snapshot() { "$BERTH" --store "$S" export; }

# project NAME BODY
project() {
  mkdir -p "$TMP/$1"
  printf 'cmake_minimum_required(VERSION 3.20)\nproject(%s NONE)\ninclude("%s/cmake/Berth.cmake")\n%s\n' \
    "$1" "$REPO" "$2" >"$TMP/$1/CMakeLists.txt"
}
configure() {
  cmake -S "$TMP/$1" -B "$TMP/$1-build" -G "$GEN" -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" \
    -DBERTH_QUIET=ON "${@:2}" >"$OUT" 2>"$ERR"
  RC=$?
}
build() {
  cmake --build "$TMP/$1-build" "${@:2}" >"$OUT" 2>"$ERR"
  RC=$?
}
# refused NAME REGEX: configure fails with REGEX, the store unchanged.
refused() {
  local before
  before=$(snapshot)
  rm -rf "$TMP/$1-build"
  configure "$1"
  if [ "$RC" -eq 0 ]; then
    fail "$1: configure succeeded"
  elif ! tr -s ' \n' ' ' <"$ERR" | grep -qE -- "$2"; then
    fail "$1: stderr does not match /$2/"
  elif [ "$(snapshot)" != "$before" ]; then
    fail "$1: the store changed"
  else
    pass
  fi
}

# --- 2. clean removes no app file, the user's least of all ---------------------------------------
project clean 'add_generated_app(m 1 OUTPUT_DIR ${CMAKE_SOURCE_DIR}/apps/m1)
add_generated_app(m 2)'
configure clean && build clean
expect_eq "clean: first build" "$RC" 0
echo "# mine" >>"$TMP/clean/apps/m1/backend/app.py"
echo "notes" >"$TMP/clean/apps/m1/NOTES.md"
build clean --target clean
expect_eq "clean runs" "$RC" 0
grep -q "# mine" "$TMP/clean/apps/m1/backend/app.py" && pass || fail "clean lost the user's edit"
[ -f "$TMP/clean/apps/m1/NOTES.md" ] && pass || fail "clean removed the user's own file"
[ -f "$TMP/clean/apps/m1/docker-compose.yml" ] && [ -f "$TMP/clean-build/apps/m/app2/.env" ] && pass ||
  fail "clean removed app files"
build clean
expect_eq "build after clean" "$RC" 0
grep -q "# mine" "$TMP/clean/apps/m1/backend/app.py" && pass || fail "rebuild after clean lost the edit"
build clean
if [ "$GEN" = Ninja ]; then
  ninja -C "$TMP/clean-build" -n | grep -q "no work to do" && pass || fail "no-op build after clean"
fi

# --- 4. The user's text is evaluated once ---------------------------------------------------------
project text 'set(x EVIL)
add_generated_app([[m${x}]] 1)
add_generated_app([=[m$(echo pwned)]=] 1 VARS [[app_title=$(touch ${CMAKE_BINARY_DIR}/pwned) $ENV{HOME} "q" \\b]])
add_generated_app([[m\back]] 1 VARS "app_title=a\\\\b\"c")
add_generated_app(semi 1 VARS "app_title=a;b[c" [[POOL]] apps)'
configure text
expect_eq "text: configure" "$RC" 0
build text
expect_eq "text: build" "$RC" 0
"$BERTH" --store "$S" list --json >"$OUT"
expect_json '"model":"m${x}"'
expect_json '"model":"m$(echopwned)"'
expect_json '"model":"m\\back"'
grep -q '"model": "mEVIL"' "$OUT" && fail "text: \${x} was expanded" || pass
[ ! -e "$TMP/text-build/pwned" ] && pass || fail "text: \$(...) was run by the build"
# [[...]] holds two backslashes, so the JSON form holds four.
grep -qF 'APP_TITLE = "$(touch ${CMAKE_BINARY_DIR}/pwned) $ENV{HOME} \"q\" \\\\b"' "$TMP/text-build/apps/m__echo_pwned_/app1/backend/app.py" &&
  pass || fail "text: VARS did not reach the app as declared"
grep -qF 'APP_TITLE = "a\\\\b\"c"' "$TMP/text-build/apps/m_back/app1/backend/app.py" && pass ||
  fail "text: a value with a backslash and a quote"
grep -qF 'APP_TITLE = "a;b[c"' "$TMP/text-build/apps/semi/app1/backend/app.py" && pass ||
  fail "text: a value with ';' and '[' (arguments CMake's lists cannot split back)"

# --- 7. Refused configures change nothing ---------------------------------------------------------
for t in clean all install; do
  project "target-$t" "add_generated_app(ok 1)
add_generated_app(m 1 TARGET $t)"
  refused "target-$t" "TARGET '$t' is a name CMake keeps for itself"
done
project later 'add_generated_app(ok 1)
add_custom_target(berth_m_app1)
add_generated_app(m 1)'
refused later "TARGET 'berth_m_app1' already exists|a target 'berth_m_app1' exists already"
project lockdir 'add_generated_app(ok 1)'
mkdir -p "$TMP/lockdir/locks"
rm -rf "$TMP/lockdir-build"
before=$(snapshot)
configure lockdir -DBERTH_LOCKFILE="$TMP/lockdir/locks"
[ "$RC" -ne 0 ] && tr -s ' \n' ' ' <"$ERR" | grep -q "lock file '$TMP/lockdir/locks' is a folder" && pass ||
  fail "lockdir: a lock path that is a folder"
expect_eq "lockdir: store unchanged" "$(snapshot)" "$before"
grep -q "unchanged" "$ERR" && ! grep -q "nothing changed" "$ERR" && fail "lockdir: false claim" || pass

# --- 13. Nested OUTPUT_DIRs; wrapper functions ----------------------------------------------------
project nested 'add_generated_app(a 1 OUTPUT_DIR apps/a)
add_generated_app(b 1 OUTPUT_DIR apps/a/b)'
refused nested "lies inside the folder of entry 1 \('a' app 1, declared at CMakeLists.txt:4\)"
project wrapper 'function(my_app m n)
  add_generated_app(${m} ${n} PORTS backend=5001)
endfunction()
my_app(w 1)'
"$BERTH" --store "$S" reserve holder 1 --port backend=5001 >/dev/null 2>&1
refused wrapper "entry 1 \('w' app 1, declared at CMakeLists.txt\)"

# --- 13. SOURCES that hold OUTPUT_DIR (or the reverse): refused at configure, nothing reserved ---
mkdir -p "$TMP/overlap/gen"
echo x >"$TMP/overlap/gen/keep.txt"
project overlap 'add_generated_app(o 1 SOURCES ${CMAKE_SOURCE_DIR}/gen OUTPUT_DIR ${CMAKE_SOURCE_DIR}/gen)'
refused overlap "SOURCES '.*/gen' and OUTPUT_DIR '.*/gen' overlap; the app folder must lie outside its overlay"
mkdir -p "$TMP/inner/gen"
project inner 'add_generated_app(o 2 SOURCES ${CMAKE_SOURCE_DIR}/gen OUTPUT_DIR ${CMAKE_SOURCE_DIR}/gen/app)'
refused inner "overlap; the app folder must lie outside its overlay"
[ ! -e "$TMP/inner/gen/app" ] && pass || fail "inner: the app folder was written inside its overlay"

# --- 13. The longest model berth accepts can be declared: its default target name is shortened ---
long=$(printf 'm%.0s' {1..200})
project longname "add_generated_app($long 1000000)
add_generated_app(${long:0:199}x 1000000)"
configure longname && build longname
expect_eq "longname: configure and build" "$RC" 0
targets=$(grep -o '"target": "[^"]*"' "$TMP/longname-build/berth/apps.json" | sort -u)
expect_eq "longname: two distinct targets" "$(echo "$targets" | wc -l)" 2
echo "$targets" | grep -qE "\"berth_${long:0:70}_[0-9a-f]{8}_app1000000\"" && pass ||
  fail "longname: the target is not berth_<70>_<hash>_app<n>: $targets"
# The hash is the first 8 hex digits of the model's SHA-1 (CMake's string(SHA1) gives the same).
hash=$(printf '%s' "$long" | sha1sum | cut -c1-8)
echo "$targets" | grep -q "\"berth_${long:0:70}_${hash}_app1000000\"" && pass ||
  fail "longname: the hash is not the model's SHA-1 ($hash): $targets"

finish
