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
expect_fail 2 "--owner is empty" --store "$S" plan "$TMP/c-build/berth/calls" --calls --binary-dir "$TMP/c-build" --owner ''
echo "$msg" | grep -q "BERTH_NAMESPACE" && pass || fail "the refusal does not offer a namespace"

# A namespace of its own: the second project declares the same app and gets its own ports and
# names (compose project, and so container names, host name and Kubernetes namespace).
project n taskn 'add_generated_app(openai/gpt-5-mini 1)'
printf '' >"$TMP/n/berth.lock.json"  # a lock file: it records the namespace
configure n n-build -DBERTH_NAMESPACE=task-n
expect_eq "namespaced configure" "$RC" 0
portsn=$(grep -h '"backend": [0-9]*' "$TMP/n-build/berth/apps.json")
[ -n "$portsn" ] && [ "$portsn" != "$ports1" ] && pass || fail "namespace: same ports ($portsn vs $ports1)"
grep -q '"project": "task-n-openai-gpt-5-mini-app1"' "$TMP/n-build/berth/apps.json" && pass ||
  fail "namespace: compose project not prefixed: $(grep project "$TMP/n-build/berth/apps.json")"
grep -q '"namespace": "task-n"' "$TMP/n/berth.lock.json" && pass || fail "the lock file lacks the namespace"
cmake --build "$TMP/n-build" >"$OUT" 2>"$ERR" && pass || fail "namespaced build: $(cat "$ERR" "$OUT")"
app=$(find "$TMP/n-build" -name docker-compose.yml -path '*gpt-5-mini*' | head -1)
grep -q '^COMPOSE_PROJECT_NAME=task-n-openai-gpt-5-mini-app1$' "$(dirname "$app")/.env" && pass ||
  fail "compose name: $(grep COMPOSE "$(dirname "$app")/.env")"
grep -q '"namespace": "task-n"' "$(dirname "$app")/.berth-manifest.json" && pass || fail "manifest lacks the namespace"
# Configuring again changes nothing; the lock is taken as it is.
configure n n-build -DBERTH_NAMESPACE=task-n
expect_eq "namespaced re-configure" "$RC" 0
expect_eq "same namespaced ports" "$(grep -h '"backend": [0-9]*' "$TMP/n-build/berth/apps.json")" "$portsn"
# The CLI sees it with --namespace; list shows a Namespace column and filters by it.
expect_ok --store "$S" --namespace task-n show openai/gpt-5-mini 1
expect_out '^namespace: +task-n$'
expect_ok --store "$S" --namespace task-n --json show openai/gpt-5-mini 1
expect_json '"namespace":"task-n"'
expect_json '"owner":"taskn"'
expect_ok --store "$S" list --namespace task-n
expect_out '^task-n +openai/gpt-5-mini +1 '
[ "$(grep -c gpt-5-mini "$OUT")" = 1 ] && pass || fail "list --namespace shows other namespaces: $(cat "$OUT")"
expect_ok --store "$S" list --model openai/gpt-5-mini
[ "$(grep -c gpt-5-mini "$OUT")" = 2 ] && pass || fail "list --model misses a namespace: $(cat "$OUT")"
expect_fail 2 "namespace 'Task_N' must be" --store "$S" --namespace Task_N list
configure n n-bad -DBERTH_NAMESPACE=Bad!
[ "$RC" -ne 0 ] && grep -q "namespace 'Bad!' must be" "$ERR" && pass || fail "a bad BERTH_NAMESPACE: $(cat "$ERR")"
[ ! -e "$TMP/n-bad/berth/apps.json" ] && pass || fail "a bad namespace left apps.json"

# prune --owner looks at one project's apps only.
rm -rf "$TMP/n-build" "$TMP/n/berth.lock.json"
expect_ok --store "$S" prune --dry-run --owner taska
grep -q 'gpt-5-mini' "$OUT" && fail "prune --owner taska looks at another project's app" || pass
expect_ok --store "$S" prune --owner taskn
expect_out "released 'openai/gpt-5-mini' app 1 in namespace 'task-n'"
expect_ok --store "$S" show openai/gpt-5-mini 1
expect_fail 2 "not reserved" --store "$S" --namespace task-n show openai/gpt-5-mini 1
finish
