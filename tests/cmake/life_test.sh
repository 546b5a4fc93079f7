#!/usr/bin/env bash
# The life of an app in a CMake project (docs/cmake.md, "The life of an app"): declare with an
# empty SOURCES folder, build, let the model write its code (into folders that did not exist at
# configure), build again with `cmake --build` alone: the app holds the model's files, with no
# false warning; later edits reach the app; a starter someone changed in the app folder is kept.
#   life_test.sh <berth> <generator>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
GEN=${2:-Ninja}
P="$TMP/p"
mkdir -p "$P/models/m1/app1"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(life NONE)\ninclude("%s/cmake/Berth.cmake")\nadd_generated_app(org/m1 1 SOURCES models/m1/app1)\n' \
  "$REPO" >"$P/CMakeLists.txt"
build() { cmake --build "$TMP/b" >"$OUT" 2>&1; RC=$?; }

# 1. Declare and build: the template's starters.
cmake -S "$P" -B "$TMP/b" -G "$GEN" -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$TMP/s" >"$OUT" 2>"$ERR"
expect_eq "configure" "$?" 0
build
expect_eq "first build" "$RC" 0
APP="$TMP/b/apps/org_m1/app1"
grep -q 'Flask' "$APP/backend/app.py" && pass || fail "no starter backend: $(head -3 "$APP/backend/app.py")"

# 2. The model writes its code after the first build, into sub-folders that did not exist.
mkdir -p "$P/models/m1/app1/backend" "$P/models/m1/app1/frontend/src"
printf 'from flask import Flask\napp = Flask(__name__)\n# the model wrote this\n' >"$P/models/m1/app1/backend/app.py"
printf 'export default function App() { return <p>model</p>; }\n' >"$P/models/m1/app1/frontend/src/App.jsx"
build
expect_eq "build after the model's code" "$RC" 0
cmp -s "$P/models/m1/app1/backend/app.py" "$APP/backend/app.py" && pass || fail "the model's backend/app.py did not reach the app"
cmp -s "$P/models/m1/app1/frontend/src/App.jsx" "$APP/frontend/src/App.jsx" && pass || fail "the model's App.jsx did not reach the app"
grep -qi "kept\|not written by berth" "$OUT" && fail "a false warning: $(grep -i kept "$OUT")" || pass

# 3. A later edit of the model's file reaches the app, and a no-op build stays a no-op.
printf 'from flask import Flask\napp = Flask(__name__)\n# version 2\n' >"$P/models/m1/app1/backend/app.py"
build
cmp -s "$P/models/m1/app1/backend/app.py" "$APP/backend/app.py" && pass || fail "the edit did not reach the app"
if [ "$GEN" = Ninja ]; then
  build
  grep -q "no work to do" "$OUT" && pass || fail "a no-op build did work: $(cat "$OUT")"
fi

# 4. A starter someone changed in the app folder is theirs: an overlay file arriving later is
# not written over it, and the build says how to get the overlay's version.
printf '{"name": "edited-by-hand"}\n' >"$APP/frontend/package.json"
printf '{"name": "from-the-model"}\n' >"$P/models/m1/app1/frontend/package.json"
build
expect_eq "build with a changed starter" "$RC" 0
grep -q "edited-by-hand" "$APP/frontend/package.json" && pass || fail "a changed starter was overwritten"
grep -q "frontend/package.json.*delete it and build again to get the overlay's version" "$OUT" && pass ||
  fail "no advice for the changed starter: $(cat "$OUT")"
rm "$APP/frontend/package.json"
build
grep -q "from-the-model" "$APP/frontend/package.json" && pass || fail "the overlay's version after deleting: $(cat "$APP/frontend/package.json")"

# 5. A variable used only by starter files: changing it says so, per file, with the way out.
echo 'add_generated_app(org/m1 2 VARS app_title=Todo)' >>"$P/CMakeLists.txt"
build
APP2="$TMP/b/apps/org_m1/app2"
grep -q 'Todo' "$APP2/backend/app.py" && pass || fail "app_title not in the starter"
sed -i 's/app_title=Todo/app_title=Notes/' "$P/CMakeLists.txt"
build
expect_eq "build after changing VARS" "$RC" 0
grep -q "kept 'backend/app.py': a starter that uses variable 'app_title', which changed ('Todo' -> 'Notes'); berth never rewrites a starter once it is there: delete it and build again" "$OUT" &&
  pass || fail "no notice for a variable only starters use: $(cat "$OUT")"
rm "$APP2/backend/app.py"
build
grep -q 'Notes' "$APP2/backend/app.py" && pass || fail "deleting the starter did not bring the new value"
grep -q "app_title" "$OUT" && fail "the notice repeats after the starter was renewed: $(cat "$OUT")" || pass

# 6. Rename a declaration: configure names the dropped app; BERTH_PRUNE releases it and removes
# berth's files only (a user's file stays), once.
echo "mine" >"$APP2/notes.txt"
sed -i 's|add_generated_app(org/m1 2 |add_generated_app(org/renamed 2 |' "$P/CMakeLists.txt"
build
expect_eq "build after the rename" "$RC" 0
grep -q "berth: no longer declared here: 'org/m1' app 2 (its folder $APP2 and its reservation stay). Release it and remove berth's files there with -DBERTH_PRUNE=ON, or \`berth prune --build $TMP/b\`" "$OUT" &&
  pass || fail "the dropped app is not named: $(grep -i declared "$OUT")"
expect_ok --store "$TMP/s" show org/m1 2  # still reserved until pruned
expect_ok --store "$TMP/s" prune --build "$TMP/b" --dry-run
expect_out "^would release 'org/m1' app 2 \(org-m1-app2\); [0-9]+ file\(s\) of berth's would be removed from $APP2$"
[ -e "$APP2/docker-compose.yml" ] && pass || fail "a dry run removed files"
cmake -S "$P" -B "$TMP/b" -DBERTH_PRUNE=ON >"$OUT" 2>"$ERR"
expect_eq "configure with BERTH_PRUNE" "$?" 0
grep -q "released 'org/m1' app 2 (org-m1-app2); [0-9]* file(s) of berth's removed from $APP2" "$OUT" && pass ||
  fail "BERTH_PRUNE did not release: $(cat "$OUT" "$ERR")"
expect_fail 2 "not reserved" --store "$TMP/s" show org/m1 2
expect_eq "only the user's file is left" "$(cd "$APP2" && find . -mindepth 1 | sort | tr '\n' ' ')" "./notes.txt "
grep -q "^BERTH_PRUNE:BOOL=OFF$" "$TMP/b/CMakeCache.txt" && pass || fail "BERTH_PRUNE stays on"
expect_ok --store "$TMP/s" show org/renamed 2
expect_ok --store "$TMP/s" show org/m1 1  # the app still declared is untouched
expect_ok --store "$TMP/s" prune --build "$TMP/b"
expect_out "^nothing to prune: this build tree dropped no app$"
expect_fail 2 "is not a CMake build folder" --store "$TMP/s" prune --build "$TMP/p"
expect_fail 2 "--build takes no --model" --store "$TMP/s" prune --build "$TMP/b" --model x
finish
