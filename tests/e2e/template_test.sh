#!/usr/bin/env bash
# Templates as users bring them: a bare folder in the earlier system's style (no template.json),
# `berth template init`, `berth templates`, binaries, file modes, lookup by name.
#   template_test.sh <path to berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
S="$TMP/store"

# The earlier system's scaffolding folder, as it is: seed placeholders, a binary holding
# placeholder bytes, an executable script.
L="$TMP/legacy"
mkdir -p "$L/backend" "$L/frontend"
cat >"$L/docker-compose.yml" <<'YAML'
services:
  backend:
    build: ./backend
    container_name: ${PROJECT_NAME:-app{{app_num}}}_backend
    ports:
      - "{{backend_port|5000}}:{{backend_port|5000}}"
  frontend:
    image: nginx:alpine
    container_name: ${PROJECT_NAME:-app{{app_num}}}_frontend
    ports:
      - "{{frontend_port|8000}}:80"
YAML
cat >"$L/.env.example" <<'ENV'
COMPOSE_PROJECT_NAME={{COMPOSE_PROJECT_NAME}}
PROJECT_NAME={{PROJECT_NAME}}
BACKEND_PORT={{BACKEND_PORT}}
FRONTEND_PORT={{FRONTEND_PORT}}
SECRET_KEY={{secret_key|change-me}}
ENV
printf 'FROM python:3.11-slim\nCOPY entrypoint.sh /\nEXPOSE {{backend_port|5000}}\n' >"$L/backend/Dockerfile"
printf '#!/bin/sh\necho "app {{app_num}} on {{backend_port}}"\n' >"$L/backend/entrypoint.sh"
chmod 755 "$L/backend/entrypoint.sh"
printf '\x89PNG\r\n\x1a\n\x00{{app_num}}{{zz}}\xff\xfe' >"$L/frontend/logo.png"
cp "$L/frontend/logo.png" "$TMP/logo.orig"
printf 'caf\xc3\xa9 {{app_num}}\n' >"$L/frontend/utf8.txt"  # valid UTF-8: rendered

# Rendered with no --set: berth's values fill the seed's keys.
expect_ok --store "$S" scaffold model_a 1 --template "$L" --out "$TMP/a1"
expect_ok --store "$S" scaffold model_b 1 --template "$L" --out "$TMP/b1"
grep -q '^COMPOSE_PROJECT_NAME=model-a-app1$' "$TMP/a1/.env" && pass || fail ".env COMPOSE_PROJECT_NAME"
grep -q '^PROJECT_NAME=model-b-app1$' "$TMP/b1/.env" && pass || fail ".env PROJECT_NAME"
ports_a=$(grep -E '^(BACKEND|FRONTEND)_PORT=' "$TMP/a1/.env" | cut -d= -f2 | tr '\n' ' ')
ports_b=$(grep -E '^(BACKEND|FRONTEND)_PORT=' "$TMP/b1/.env" | cut -d= -f2 | tr '\n' ' ')
expect_eq "model_a ports" "$ports_a" "5001 8001 "
expect_eq "model_b ports" "$ports_b" "5003 8003 "
grep -q '"5001:5001"' "$TMP/a1/docker-compose.yml" && pass || fail "compose backend port"
grep -q 'SECRET_KEY=change-me' "$TMP/a1/.env" && pass || fail "inline default of an unknown key"
grep -q 'container_name: ${PROJECT_NAME:-app1}_backend' "$TMP/a1/docker-compose.yml" && pass || fail "compose fallback kept"
names=$(cd "$TMP" && for d in a1 b1; do (cd $d && docker-compose config 2>/dev/null | grep container_name); done | sort | uniq -d)
expect_eq "container names distinct across models" "$names" ""
cmp -s "$TMP/logo.orig" "$TMP/a1/frontend/logo.png" && pass || fail "binary file changed"
grep -q 'café 1' "$TMP/a1/frontend/utf8.txt" && pass || fail "UTF-8 text not rendered"
[ -x "$TMP/a1/backend/entrypoint.sh" ] && pass || fail "script lost its executable bit"
expect_eq ".env mode" "$(stat -c %a "$TMP/a1/.env")" 600
expect_eq ".env.example mode" "$(stat -c %a "$TMP/a1/.env.example")" 644
grep -q 'echo "app 1 on 5001"' "$TMP/a1/backend/entrypoint.sh" && pass || fail "script rendered"
# --set reaches a key the placeholders use; an unknown one is refused, listing what is known.
expect_ok --store "$S" scaffold model_a 2 --template "$L" --out "$TMP/a2" --set secret_key=s3cret
grep -q 'SECRET_KEY=s3cret' "$TMP/a2/.env" && pass || fail "--set on a bare template"
expect_fail 2 "variable 'colour' is not declared by template 'legacy'; its variables: secret_key" --store "$S" scaffold model_a 3 --template "$L" --out "$TMP/a3" --set colour=red
[ ! -e "$TMP/a3" ] && pass || fail "a refused scaffold wrote files"

# berth template init: a manifest that renders to the same bytes, in place or with --move.
cp -a "$L" "$TMP/init1"
cp -a "$L" "$TMP/init2"
expect_ok template init "$TMP/init1"
expect_out "^ports: backend, frontend$"
expect_out "^variables: secret_key$"
expect_out "6 files \(1 binary, copied verbatim; 1 executable\)"
grep -q '"name": "init1"' "$TMP/init1/template.json" && pass || fail "init name"
grep -q '"frontend/logo.png"' "$TMP/init1/template.json" && pass || fail "binary listed under copy"
expect_ok --json template init "$TMP/init2" --move --name legacy
expect_json '"moved":true'
[ -f "$TMP/init2/files/backend/entrypoint.sh" ] && [ ! -e "$TMP/init2/backend" ] && pass || fail "--move did not move the files under files/"
for t in init1 init2; do
  "$BERTH" --store "$TMP/s-$t" scaffold model_a 1 --template "$TMP/$t" --out "$TMP/out-$t" >/dev/null 2>&1
  "$BERTH" --store "$TMP/s-bare-$t" scaffold model_a 1 --template "$L" --out "$TMP/bare-$t" >/dev/null 2>&1
  diff -r -x .berth-manifest.json "$TMP/out-$t" "$TMP/bare-$t" >"$TMP/diff" && pass || fail "template init ($t) renders differently: $(head "$TMP/diff")"
  [ -x "$TMP/out-$t/backend/entrypoint.sh" ] && pass || fail "mode lost through template init ($t)"
done
expect_fail 2 "'$TMP/init1/template.json' already exists" template init "$TMP/init1"
expect_fail 2 "'$TMP/nowhere' is not a folder" template init "$TMP/nowhere"
mkdir -p "$TMP/withfiles/files"
echo x >"$TMP/withfiles/a.txt"
expect_fail 2 "'$TMP/withfiles/files' already exists, so the files cannot move" template init "$TMP/withfiles" --move
[ ! -e "$TMP/withfiles/template.json" ] && pass || fail "a refused init wrote a manifest"
mkdir -p "$TMP/empty"
expect_fail 2 "bare template '$TMP/empty' holds no files" template init "$TMP/empty"
expect_fail 2 "bare template '$TMP/empty' holds no files" --store "$S" scaffold model_a 4 --template "$TMP/empty" --out "$TMP/x"
mkdir -p "$TMP/dirman/template.json"
echo x >"$TMP/dirman/a.txt"
expect_fail 2 "'$TMP/dirman/template.json' is not a regular file" --store "$S" scaffold model_a 4 --template "$TMP/dirman" --out "$TMP/x"
expect_fail 2 "berth template needs a command: init; see berth template --help" template

# Lookup by name: a folder found on BERTH_TEMPLATE_PATH is used, with or without a manifest,
# never skipped for a later one of the same name.
mkdir -p "$TMP/tp/react-flask"
printf 'bare {{project_name}}\n' >"$TMP/tp/react-flask/README.md"
cp -a "$L" "$TMP/tp/legacy"
export BERTH_TEMPLATE_PATH="$TMP/tp"
expect_ok --store "$S" scaffold model_c 1 --template react-flask --out "$TMP/c1"
expect_eq "bare react-flask on the path used" "$(cat "$TMP/c1/README.md")" "bare model-c-app1"
[ ! -e "$TMP/c1/docker-compose.yml" ] && pass || fail "the bundled react-flask was used instead"
expect_ok templates
expect_out "^legacy +backend,frontend +secret_key +$TMP/tp/legacy \(bare: no template.json\)$"
expect_out "^react-flask +- +- +$TMP/tp/react-flask \(bare: no template.json\)$"
expect_out "^react-flask +backend,frontend +app_title=Generated App .*$REPO/templates/react-flask \(shadowed by $TMP/tp/react-flask\)$"
# A pipe gets whole rows; $COLUMNS (or a terminal) cuts the Variables column with "…" alone,
# and --wide never cuts.
[ "$(awk '{ print length }' "$OUT" | sort -n | tail -1)" -gt 200 ] && pass || fail "a piped table was cut"
COLUMNS=100 expect_ok templates
expect_out "^react-flask +backend,frontend +app_title=G[^ ]*…  $REPO/templates/react-flask \(shadowed"
expect_out "^legacy +backend,frontend +secret_key +$TMP/tp/legacy \(bare: no template.json\)$"
COLUMNS=100 expect_ok templates --wide
expect_out "python_image=python:3.11-slim wsgi_app=app:app +$REPO/templates/react-flask \(shadowed"
mkdir -p "$TMP/tp/zbroken"
echo '{"name": 5}' >"$TMP/tp/zbroken/template.json"
expect_ok --json templates
expect_json '"name":"legacy"'
expect_json '"ports":["backend","frontend"]'
expect_json '"secret_key":{"default":null'
expect_json '"app_title":{"default":"GeneratedApp"'
expect_json '"shadowed_by":"'"$TMP"'/tp/react-flask"'
expect_json '"error":"'"$TMP"'/tp/zbroken/template.json:'"'"'name'"'"'mustbeastring'
unset BERTH_TEMPLATE_PATH

# Binaries: rendered only when a manifest's `render` names them beyond the catch-all.
mkdir -p "$TMP/bin/files"
printf '\x00{{app_num}}' >"$TMP/bin/files/data.bin"
printf '\x00{{app_num}}' >"$TMP/bin/files/copy.bin"
echo '{"name": "bin", "render": ["**", "data.bin"]}' >"$TMP/bin/template.json"
expect_ok --store "$S" scaffold model_a 5 --template "$TMP/bin" --out "$TMP/binout"
expect_eq "listed binary rendered" "$(tr -d '\0' <"$TMP/binout/data.bin")" "5"
expect_eq "other binary copied" "$(tr -d '\0' <"$TMP/binout/copy.bin")" "{{app_num}}"

# Modes: a file berth did not write keeps its mode, even holding the template's bytes; a file
# berth wrote gets the template's mode back.
mkdir -p "$TMP/m1/backend"
cp "$TMP/a1/backend/entrypoint.sh" "$TMP/m1/backend/entrypoint.sh"
chmod 600 "$TMP/m1/backend/entrypoint.sh"
expect_ok --store "$S" scaffold model_a 1 --template "$L" --out "$TMP/m1"
expect_eq "foreign same-bytes file keeps its mode" "$(stat -c %a "$TMP/m1/backend/entrypoint.sh")" 600
grep -q "kept 'backend/entrypoint.sh': holds the template's bytes but has mode 0600, not 0755; not written by berth" "$ERR" && pass || fail "mode clash not reported"
chmod 644 "$TMP/a1/backend/entrypoint.sh" "$TMP/a1/.env"
expect_ok --store "$S" --json scaffold model_a 1 --template "$L" --out "$TMP/a1"
expect_json '"written":[".env","backend/entrypoint.sh"]'
expect_eq "berth's script gets 0755 back" "$(stat -c %a "$TMP/a1/backend/entrypoint.sh")" 755
expect_eq "berth's .env gets 0600 back" "$(stat -c %a "$TMP/a1/.env")" 600

# A `modes` glob naming .env wins for the .env made from .env.example too (else 0600).
mkdir -p "$TMP/envmode/files"
printf 'PROJECT_NAME={{project_name}}\n' >"$TMP/envmode/files/.env.example"
echo '{"name": "envmode", "modes": {".env": "0640"}}' >"$TMP/envmode/template.json"
expect_ok --store "$S" scaffold model_e 1 --template "$TMP/envmode" --out "$TMP/e1"
expect_eq "a modes glob sets the made .env's mode" "$(stat -c %a "$TMP/e1/.env")" 640
expect_eq ".env.example keeps its own" "$(stat -c %a "$TMP/e1/.env.example")" 644
echo '{"name": "envmode"}' >"$TMP/envmode/template.json"
expect_ok --store "$S" scaffold model_e 2 --template "$TMP/envmode" --out "$TMP/e2"
expect_eq "without one, 0600" "$(stat -c %a "$TMP/e2/.env")" 600

# Modes are the template's whatever the umask: berth sets them, it does not ask the umask.
for mask in 077 000; do
  umask "$mask"
  expect_ok --store "$S" scaffold model_u "1${mask}" --template "$L" --out "$TMP/u$mask"
  expect_eq "umask $mask: a file" "$(stat -c %a "$TMP/u$mask/docker-compose.yml")" 644
  expect_eq "umask $mask: a script" "$(stat -c %a "$TMP/u$mask/backend/entrypoint.sh")" 755
  expect_eq "umask $mask: .env" "$(stat -c %a "$TMP/u$mask/.env")" 600
done
umask 022

# A plan's apps each get the file names of their own variables: apps with the same keys share
# rendered names, and a variant or a placeholder in a file name is not carried to another app.
mkdir -p "$TMP/pv/files" "$TMP/pv/variants/on"
echo 'x' >"$TMP/pv/files/a.txt"
echo 'x' >"$TMP/pv/variants/on/extra.txt"
echo '{"name": "pv", "variables": {"v": {"default": "off"}}, "variants": {"on": {"when": {"v": "on"}}}}' \
  >"$TMP/pv/template.json"
cat >"$TMP/pv-plan.json" <<JSON
[{"model": "pv", "app": 1, "template": "$TMP/pv", "out": "$TMP/pv1"},
 {"model": "pv", "app": 2, "template": "$TMP/pv", "vars": {"v": "on"}, "out": "$TMP/pv2"},
 {"model": "pv", "app": 3, "template": "$TMP/pv", "vars": {"v": "off"}, "out": "$TMP/pv3"},
 {"model": "pv", "app": 4, "template": "$TMP/pv", "vars": {"v": "on"}, "out": "$TMP/pv4"}]
JSON
expect_ok --store "$S" plan "$TMP/pv-plan.json" --summary "$TMP/pv-summary.json"
outputs() { python3 -c 'import json, sys; print(*[" ".join(a["outputs"]) for a in json.load(open(sys.argv[1]))["apps"] if a["app"] == int(sys.argv[2])])' "$TMP/pv-summary.json" "$1"; }
expect_eq "app 1 (v off) outputs" "$(outputs 1)" "a.txt"
expect_eq "app 2 (v on) outputs" "$(outputs 2)" "a.txt extra.txt"
expect_eq "app 3 (v off) outputs" "$(outputs 3)" "a.txt"
expect_eq "app 4 (v on) outputs" "$(outputs 4)" "a.txt extra.txt"
echo 'x' >"$TMP/pv/files/n{{app_num}}.txt"
sed -i 's/"pv", "app": \([0-9]\)/"pv2", "app": \1/' "$TMP/pv-plan.json"
expect_ok --store "$S" plan "$TMP/pv-plan.json" --summary "$TMP/pv-summary.json"
expect_eq "app 1: its own number in a file name" "$(outputs 1)" "a.txt n1.txt"
expect_eq "app 3: its own number in a file name" "$(outputs 3)" "a.txt n3.txt"

# The bundled template's starter list, as a user sees it.
expect_ok --store "$S" --json scaffold model_d 1 --out "$TMP/d1"
expect_ok --store "$S" --json scaffold model_d 1 --out "$TMP/d1" --force
expect_json '"starter_kept":["backend/app.py","backend/requirements.txt","frontend/index.html","frontend/package.json","frontend/src/App.css","frontend/src/App.jsx","frontend/src/main.jsx"]'

finish
