#!/usr/bin/env bash
# Apps belong to a project: two projects on one host never share an app by accident; the same
# project from two build trees does; an app nobody owns yet is adopted, and configure says so.
#   owner_test.sh <berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
S="$TMP/store"
project() {  # project DIR NAME BODY
  mkdir -p "$TMP/$1"
  printf 'cmake_minimum_required(VERSION 3.20)\nproject(%s NONE)\ninclude("%s/cmake/Berth.cmake")\n%s\n' \
    "$2" "$REPO" "$3" >"$TMP/$1/CMakeLists.txt"
}
configure() {  # configure DIR BUILD [args...]
  cmake -S "$TMP/$1" -B "$TMP/$2" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" "${@:3}" >"$OUT" 2>"$ERR"
  RC=$?
}
project a taska 'add_generated_app(openai/gpt-5-mini 1)'
project b taskb '
add_generated_app(openai/gpt-5-mini 1)'
configure a a-build
expect_eq "first project" "$RC" 0
expect_ok --store "$S" --json show openai/gpt-5-mini 1
expect_json '"owner":"taska"'
# A second project declaring the same app: refused at its line, naming the owner and where.
before=$("$BERTH" --store "$S" export)
configure b b-build
[ "$RC" -ne 0 ] && pass || fail "a second project took the first one's app"
msg=$(tr -s ' \n' ' ' <"$ERR")
echo "$msg" | grep -q "declared at CMakeLists.txt:5): 'openai/gpt-5-mini' app 1 belongs to project 'taska' (build $TMP/a-build" &&
  pass || fail "the refusal does not name the line, the owner and its build tree: $msg"
echo "$msg" | grep -q "berth release openai/gpt-5-mini 1" && pass || fail "the refusal does not say how to hand the app over"
expect_eq "refused: store unchanged" "$("$BERTH" --store "$S" export)" "$before"
# The same project from a second build tree (a CI clone, another build folder) shares its apps.
configure a a-build2
expect_eq "same project, second build tree" "$RC" 0
ports1=$(grep -h '"backend": [0-9]*' "$TMP/a-build/berth/apps.json")
ports2=$(grep -h '"backend": [0-9]*' "$TMP/a-build2/berth/apps.json")
[ -n "$ports1" ] && pass || fail "no backend port in apps.json"
expect_eq "same ports in both trees" "$ports2" "$ports1"
# -DBERTH_OWNER names the project explicitly.
configure b b-build -DBERTH_OWNER=taska
expect_eq "BERTH_OWNER shares deliberately" "$RC" 0
# An app reserved on the command line has no owner: the first project to declare it adopts it.
expect_ok --store "$S" reserve cli/model 1
project c taskc 'add_generated_app(cli/model 1)'
configure c c-build
expect_eq "adopting configure" "$RC" 0
grep -q "'cli/model' app 1 had no owner: project 'taskc' adopts it" "$OUT" && pass || fail "adoption not said: $(cat "$OUT")"
expect_ok --store "$S" list --owner taskc
expect_out '^cli/model +1 .* taskc$'
expect_ok --store "$S" reserve cli/model 1 --owner taskc
expect_fail 3 "belongs to project 'taskc'" --store "$S" reserve cli/model 1 --owner other
expect_fail 2 "--owner is empty" --store "$S" plan "$TMP/c-build/berth/plan.json" --owner ''
finish
