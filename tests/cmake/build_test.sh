#!/usr/bin/env bash
# The CMake module end to end: configure and build examples/llm-apps from scratch, no-op and
# partial rebuilds, byte-identical trees from two fresh build trees, generator expressions, the
# overlay example, both generators.
#   build_test.sh <berth> <generator>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
GEN=${2:-Ninja}
BUILD=(cmake --build)

configure() {  # configure SRC BUILD STORE [args...]
  local src=$1 bin=$2 store=$3
  shift 3
  cmake -S "$src" -B "$bin" -G "$GEN" -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$store" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}

# 1. From scratch: six apps, seed 000's ports and names, every file.
configure "$REPO/examples/llm-apps" "$TMP/b1" "$TMP/s1"
expect_eq "configure exit code" "$RC" 0
grep -q "berth: 6 app(s) reserved" "$OUT" && pass || fail "no summary line: $(cat "$OUT" "$ERR")"
grep -qE -- "-- +openai_gpt-5-mini-2025-08-07 +3 +5011 +8011 +openai-gpt-5-mini-2025-08-07-app3" "$OUT" && pass || fail "summary table row"
"${BUILD[@]}" "$TMP/b1" >"$OUT" 2>&1 && pass || fail "build failed: $(tail -20 "$OUT")"
A=anthropic_claude-4.5-haiku-20251001
O=openai_gpt-5-mini-2025-08-07
i=0
for m in $A $O; do
  for n in 1 2 3; do
    d="$TMP/b1/apps/$m/app$n"
    expect_eq "$m app$n file count" "$(find "$d" -type f ! -name .berth-manifest.json | wc -l)" 25
    slug=$(echo "$m" | tr '_.' '--')
    grep -q "^COMPOSE_PROJECT_NAME=$slug-app$n$" "$d/.env" && pass || fail "$d/.env project name"
    grep -q "\"127.0.0.1:$((5001 + 2 * i)):$((5001 + 2 * i))\"" "$d/docker-compose.yml" && pass || fail "$d backend port"
    grep -q "\"127.0.0.1:$((8001 + 2 * i)):80\"" "$d/docker-compose.yml" && pass || fail "$d frontend port"
    i=$((i + 1))
  done
done
grep -q '"declared": "CMakeLists.txt:22"' "$TMP/b1/berth/apps.json" && pass || fail "apps.json declared line"
grep -q '"target": "berth_openai_gpt-5-mini-2025-08-07_app2"' "$TMP/b1/berth/apps.json" && pass || fail "apps.json target"
expect_eq "store holds six" "$("$BERTH" --store "$TMP/s1" list | tail -n +2 | wc -l)" 6

# Generator expressions see the reservation.
"${BUILD[@]}" "$TMP/b1" --target print_ports >"$OUT" 2>&1
grep -q "first app: backend 5001, frontend 8001, project anthropic-claude-4-5-haiku-20251001-app1" "$OUT" && pass || fail "genex properties: $(cat "$OUT")"

# 2. A second build does no work; reconfigure runs berth once and changes nothing.
before=$(cd "$TMP/b1/apps" && find . -type f -printf '%p %T@\n' | sort)
"${BUILD[@]}" "$TMP/b1" >"$OUT" 2>&1
if grep -q "berth: scaffolding" "$OUT"; then fail "no-op build scaffolded: $(cat "$OUT")"; else pass; fi
configure "$REPO/examples/llm-apps" "$TMP/b1" "$TMP/s1"
"${BUILD[@]}" "$TMP/b1" >"$OUT" 2>&1
if grep -q "berth: scaffolding" "$OUT"; then fail "reconfigure made the build scaffold again"; else pass; fi
expect_eq "no file touched by no-op build and reconfigure" "$(cd "$TMP/b1/apps" && find . -type f -printf '%p %T@\n' | sort)" "$before"

# 3. Two fresh build trees with fresh stores: byte-identical app trees.
configure "$REPO/examples/llm-apps" "$TMP/b2" "$TMP/s2"
"${BUILD[@]}" "$TMP/b2" >/dev/null 2>&1
diff -r "$TMP/b1/apps" "$TMP/b2/apps" >"$TMP/diff" && pass || fail "app trees differ: $(head "$TMP/diff")"

# 4. Editing one template file re-scaffolds only the apps that use it; one overlay file, only
# its app.
mkdir -p "$TMP/p"
cp -r "$REPO/templates/react-flask" "$TMP/p/tpl"
mkdir -p "$TMP/p/src/m2/backend"
echo 'print("model code")' >"$TMP/p/src/m2/backend/extra.py"
cat >"$TMP/p/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(partial NONE)
include("$REPO/cmake/Berth.cmake")
add_generated_app(m 1 TEMPLATE tpl)
add_generated_app(m 2 TEMPLATE tpl SOURCES src/m2)
add_generated_app(m 3)
CMAKE
configure "$TMP/p" "$TMP/pb" "$TMP/ps"
expect_eq "partial project configures" "$RC" 0
"${BUILD[@]}" "$TMP/pb" >/dev/null 2>&1
[ -f "$TMP/pb/apps/m/app2/backend/extra.py" ] && pass || fail "overlay file not in the app"
sleep 1
echo "# edited" >>"$TMP/p/tpl/files/README.md"
"${BUILD[@]}" "$TMP/pb" >"$OUT" 2>&1
expect_eq "apps re-scaffolded after a template edit" "$(grep -c 'berth: scaffolding' "$OUT")" 2
grep -q "scaffolding apps/m/app3" "$OUT" && fail "app3 does not use the edited template" || pass
grep -q "# edited" "$TMP/pb/apps/m/app1/README.md" && pass || fail "template edit not in app1"
echo 'print("changed")' >"$TMP/p/src/m2/backend/extra.py"
"${BUILD[@]}" "$TMP/pb" >"$OUT" 2>&1
expect_eq "apps re-scaffolded after an overlay edit" "$(grep -c 'berth: scaffolding' "$OUT")" 1
grep -q "scaffolding apps/m/app2" "$OUT" && pass || fail "overlay edit did not re-scaffold app2"
grep -q changed "$TMP/pb/apps/m/app2/backend/extra.py" && pass || fail "overlay edit not in app2"
# A new template file re-runs configure and lands in the apps that use it.
echo "new {{project_name}}" >"$TMP/p/tpl/files/NEW.txt"
"${BUILD[@]}" "$TMP/pb" >"$OUT" 2>&1
expect_eq "new template file rendered" "$(cat "$TMP/pb/apps/m/app1/NEW.txt" 2>/dev/null)" "new m-app1"
[ ! -e "$TMP/pb/apps/m/app3/NEW.txt" ] && pass || fail "NEW.txt leaked into app3"
"${BUILD[@]}" "$TMP/pb" >"$OUT" 2>&1
if grep -q "berth: scaffolding" "$OUT"; then fail "build after adding a file is not a no-op"; else pass; fi

# Starter files through the build: a template change updates the owned files, never a
# starter file, whether the model changed it or not.
echo "model code" >"$TMP/pb/apps/m/app1/frontend/src/App.jsx"
app_py=$(md5sum <"$TMP/pb/apps/m/app1/backend/app.py")
sleep 1
sed -i '1s/^/# template v2\n/' "$TMP/p/tpl/files/backend/app.py" "$TMP/p/tpl/files/frontend/src/App.jsx" "$TMP/p/tpl/files/backend/Dockerfile"
"${BUILD[@]}" "$TMP/pb" >"$OUT" 2>&1
expect_eq "apps re-scaffolded after a starter and owned edit" "$(grep -c 'berth: scaffolding' "$OUT")" 2
head -1 "$TMP/pb/apps/m/app1/backend/Dockerfile" | grep -q "template v2" && pass || fail "owned Dockerfile not updated by the build"
expect_eq "starter app.py kept by the build" "$(md5sum <"$TMP/pb/apps/m/app1/backend/app.py")" "$app_py"
expect_eq "starter App.jsx kept by the build" "$(cat "$TMP/pb/apps/m/app1/frontend/src/App.jsx")" "model code"
grep -q "warning" "$OUT" && fail "starter files warned about: $(grep warning "$OUT")" || pass

# A bare template in the earlier system's style (no template.json), by folder, with no VARS:
# names and ports differ across models; the binary is copied, the script stays executable.
mkdir -p "$TMP/bare/legacy/backend"
cat >"$TMP/bare/legacy/docker-compose.yml" <<'YAML'
services:
  backend:
    image: python:3.11-slim
    container_name: ${PROJECT_NAME:-app{{app_num}}}_backend
    ports:
      - "{{backend_port|5000}}:{{backend_port|5000}}"
YAML
printf 'PROJECT_NAME={{PROJECT_NAME}}\nBACKEND_PORT={{BACKEND_PORT}}\n' >"$TMP/bare/legacy/.env.example"
printf '#!/bin/sh\necho {{app_num}}\n' >"$TMP/bare/legacy/backend/start.sh"
chmod +x "$TMP/bare/legacy/backend/start.sh"
printf '\x89PNG\x00{{app_num}}{{zz}}' >"$TMP/bare/legacy/logo.png"
cat >"$TMP/bare/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(bare NONE)
include("$REPO/cmake/Berth.cmake")
add_generated_app(model_a 1 TEMPLATE legacy)
add_generated_app(model_b 1 TEMPLATE legacy)
CMAKE
configure "$TMP/bare" "$TMP/bareb" "$TMP/bares"
expect_eq "bare template configures" "$RC" 0
"${BUILD[@]}" "$TMP/bareb" >"$OUT" 2>&1 && pass || fail "bare template build: $(tail "$OUT")"
grep -q "^PROJECT_NAME=model-a-app1$" "$TMP/bareb/apps/model_a/app1/.env" && pass || fail "bare .env project name"
grep -q "^PROJECT_NAME=model-b-app1$" "$TMP/bareb/apps/model_b/app1/.env" && pass || fail "bare .env project name (b)"
cmp -s "$TMP/bare/legacy/logo.png" "$TMP/bareb/apps/model_a/app1/logo.png" && pass || fail "binary changed by the build"
[ -x "$TMP/bareb/apps/model_b/app1/backend/start.sh" ] && pass || fail "script lost its executable bit"
expect_eq ".env mode" "$(stat -c %a "$TMP/bareb/apps/model_a/app1/.env")" 600
(cd "$TMP/bareb/apps/model_a/app1" && docker-compose config >/dev/null 2>&1) && pass || fail "bare app compose file"
"${BUILD[@]}" "$TMP/bareb" >"$OUT" 2>&1
if grep -q "berth: scaffolding" "$OUT"; then fail "no-op build of a bare template did work"; else pass; fi

# 5. A large project: 40 apps share build commands (3 apps each), yet a build still scaffolds
# exactly the apps whose inputs changed, an app's target builds alone, and configure prints a
# summary instead of a 40-row table.
mkdir -p "$TMP/big/src/a7/backend"
echo 'print("seven")' >"$TMP/big/src/a7/backend/extra.py"
{
  printf 'cmake_minimum_required(VERSION 3.20)\nproject(big NONE)\ninclude("%s/cmake/Berth.cmake")\n' "$REPO"
  for n in $(seq 1 40); do
    if [ "$n" = 7 ]; then echo "add_generated_app(big $n SOURCES src/a7)"; else echo "add_generated_app(big $n)"; fi
  done
} >"$TMP/big/CMakeLists.txt"
configure "$TMP/big" "$TMP/bigb" "$TMP/bigs"
expect_eq "40 apps configure" "$RC" 0
grep -q "berth: 40 app(s) reserved, 40 new" "$OUT" && pass || fail "no summary line for 40 apps"
grep -qE "pool 'apps': 40 held, [0-9]+ of 1500 slots free" "$OUT" && pass || fail "no pool line for 40 apps"
grep -q -- "--   big  *1 " "$OUT" && fail "40 apps printed as a table" || pass
"${BUILD[@]}" "$TMP/bigb" --target berth_big_app20 >"$OUT" 2>&1
[ -f "$TMP/bigb/apps/big/app20/docker-compose.yml" ] && pass || fail "an app's target did not build it"
[ ! -e "$TMP/bigb/apps/big/app1" ] && pass || fail "an app's target built apps of other commands"
if [ "$GEN" = Ninja ]; then  # the app's target builds its command's apps (3)
  expect_eq "apps of one command scaffolded" "$(grep -c 'berth: scaffolding' "$OUT")" 3
  # ... through the command's own target: its rule names no app's .done (CMake would list every
  # output of the command in every app's rule, 64 per app in a large project).
  expect_eq "an app's rule (Ninja)" "$(grep '^build berth_big_app20:' "$TMP/bigb/build.ninja")" \
    "build berth_big_app20: phony berth_big_app19.chunk"
  "${BUILD[@]}" "$TMP/bigb" >"$OUT" 2>&1
  expect_eq "the rest scaffolded" "$(grep -c 'berth: scaffolding' "$OUT")" 37
else  # Makefiles: the app's target scaffolds just its app; only berth_apps is in `all`
  expect_eq "one app's target, one app scaffolded" "$(grep -c 'berth: scaffolding' "$OUT")" 1
  "${BUILD[@]}" "$TMP/bigb" >"$OUT" 2>&1
  expect_eq "the rest scaffolded" "$(grep -c 'berth: scaffolding' "$OUT")" 39
  expect_eq "targets in all (Makefiles)" \
    "$(sed -n 's/^all: //p' "$TMP/bigb/CMakeFiles/Makefile2" | tr ' ' '\n' | grep -c berth)" 1
  grep -q "^all: CMakeFiles/berth_apps.dir/all" "$TMP/bigb/CMakeFiles/Makefile2" && pass ||
    fail "berth_apps is not in all (Makefiles)"
fi
"${BUILD[@]}" "$TMP/bigb" >"$OUT" 2>&1
if grep -q "berth: scaffolding" "$OUT"; then fail "no-op build of 40 apps did work"; else pass; fi
if [ "$GEN" = Ninja ]; then
  ninja -C "$TMP/bigb" -n | grep -q "no work to do" && pass || fail "ninja -n finds work"
fi
sleep 1
echo 'print("changed")' >"$TMP/big/src/a7/backend/extra.py"
"${BUILD[@]}" "$TMP/bigb" >"$OUT" 2>&1
expect_eq "one overlay edit, one app" "$(grep -c 'berth: scaffolding' "$OUT")" 1
grep -q "scaffolding apps/big/app7$" "$OUT" && pass || fail "the overlay edit did not re-scaffold app7"
grep -q changed "$TMP/bigb/apps/big/app7/backend/extra.py" && pass || fail "overlay edit not in app7"
# One declaration changed: its command's stamp file (apps 7 to 9) is rewritten, and of those
# apps only the changed one is scaffolded again.
sed -i 's|^add_generated_app(big 8)$|add_generated_app(big 8 VARS app_title=Eight)|' "$TMP/big/CMakeLists.txt"
"${BUILD[@]}" "$TMP/bigb" >"$OUT" 2>&1
expect_eq "one declaration changed, one app" "$(grep -c 'berth: scaffolding' "$OUT")" 1
grep -q "scaffolding apps/big/app8$" "$OUT" && pass || fail "the changed declaration did not re-scaffold app8"
configure "$TMP/big" "$TMP/bigb" "$TMP/bigs" -DBERTH_VERBOSE=ON
grep -qE -- "-- +big +40 +5079 +8079 +big-app40" "$OUT" && pass || fail "BERTH_VERBOSE=ON prints the table"
# A re-configure with nothing changed skips berth's rendering, but never leaves a stamp missing.
rm "$TMP/bigb/berth/apps/berth_big_app4.stamp"
configure "$TMP/big" "$TMP/bigb" "$TMP/bigs"
[ -f "$TMP/bigb/berth/apps/berth_big_app4.stamp" ] && pass ||
  fail "a deleted stamp was not written again by a re-configure"
"$BERTH" --store "$TMP/bigs" release big --all --force >/dev/null
"${BUILD[@]}" "$TMP/bigb" --target clean >/dev/null 2>&1
"${BUILD[@]}" "$TMP/bigb" >"$OUT" 2>&1
[ "$?" -ne 0 ] && grep -q "no longer reserved .* configure again" "$OUT" && pass ||
  fail "a build after the apps were released must fail, asking to configure again"

# 6. The overlay example: the model's code over the scaffold.
configure "$REPO/examples/overlay" "$TMP/ob" "$TMP/os"
"${BUILD[@]}" "$TMP/ob" >/dev/null 2>&1
grep -q "A to-do API, as a model wrote it" "$TMP/ob/apps/openai_gpt-5-mini/app1/backend/app.py" && pass || fail "overlay app.py"
grep -q "The to-do list, as a model wrote it" "$TMP/ob/apps/openai_gpt-5-mini/app1/frontend/src/App.jsx" && pass || fail "overlay App.jsx"
(cd "$TMP/ob/apps/openai_gpt-5-mini/app1" && docker-compose config >/dev/null 2>&1) && pass || fail "overlay app compose file"

# 7. A warning under the build gives advice that works there (cmake --build has no --force).
echo "# mine" >>"$TMP/ob/apps/openai_gpt-5-mini/app1/README.md"
rm -f "$TMP/ob/berth/apps/"*.done "$TMP/ob/berth/apps/"*.chunk
"${BUILD[@]}" "$TMP/ob" >"$OUT" 2>&1
grep -q "kept 'README.md': edited since berth wrote it; delete it and build again to get the template's version" "$OUT" &&
  pass || fail "build warning advice: $(grep warning "$OUT")"
grep -q -- "--force" "$OUT" && fail "a build warning names --force" || pass

# 8. A project with a target of its own named berth_apps: the apps are still built by `all`
# (under Makefiles through berth_all_apps), and the project's berth_apps stays its own.
mkdir -p "$TMP/own"
cat >"$TMP/own/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.20)
project(own NONE)
include("$REPO/cmake/Berth.cmake")
add_custom_target(berth_apps COMMAND echo the project owns berth_apps)
add_generated_app(own/m 1)
EOF
configure "$TMP/own" "$TMP/ownb" "$TMP/owns"
expect_eq "configure with a berth_apps target of the project's" "$RC" 0
"${BUILD[@]}" "$TMP/ownb" >"$OUT" 2>&1 && pass || fail "build failed: $(tail -5 "$OUT")"
[ -f "$TMP/ownb/apps/own_m/app1/docker-compose.yml" ] && pass || fail "the app was not built by all"
"${BUILD[@]}" "$TMP/ownb" --target berth_apps >"$OUT" 2>&1
grep -q "the project owns berth_apps" "$OUT" && pass || fail "berth_apps is not the project's own"
if [ "$GEN" != Ninja ]; then
  grep -q "^all: .*CMakeFiles/berth_all_apps.dir/all" "$TMP/ownb/CMakeFiles/Makefile2" && pass ||
    fail "berth_all_apps is not in all (Makefiles)"
fi

finish
