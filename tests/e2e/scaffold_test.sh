#!/usr/bin/env bash
# berth scaffold end to end: real apps checked by real validators (docker-compose, nginx, Python,
# Flask), idempotence, the manifest's rules, path safety, dry runs and every scaffold error.
TEMPLATE="$(cd "$(dirname "$0")/../../templates/react-flask" && pwd)"
source "$(dirname "$0")/lib.sh" "$1"
PY=/usr/bin/python3   # Debian's python, which sees python3-flask
PLACEHOLDER='\{\{ *[A-Za-z_][A-Za-z0-9_]* *(\|[^}]*)?\}\}'

S="$TMP/store"
# High ports for this test's store, so the Flask servers below cannot meet a host service.
expect_ok --store "$S" pool set apps --range backend=25001-25999 --range frontend=26001-26999 --step 2

A=anthropic_claude-4.5-haiku-20251001
O=openai/gpt-5-mini
apps=("$A 1" "$A 2" "$O 1" "$O 2")
for spec in "${apps[@]}"; do
  set -- $spec
  expect_ok --store "$S" scaffold "$1" "$2" --template "$TEMPLATE" --out "$TMP/apps/$(echo "$1" | tr / _)/app$2"
  expect_out '25 written, 0 unchanged, 0 removed, 0 kept'
done
dirs=("$TMP/apps/${A}/app1" "$TMP/apps/${A}/app2" "$TMP/apps/openai_gpt-5-mini/app1" "$TMP/apps/openai_gpt-5-mini/app2")
projects=(anthropic-claude-4-5-haiku-20251001-app1 anthropic-claude-4-5-haiku-20251001-app2 openai-gpt-5-mini-app1 openai-gpt-5-mini-app2)
backends=(25001 25003 25005 25007)

for i in 0 1 2 3; do
  d=${dirs[$i]}
  # The compose file is valid for docker-compose 1.29; names come from the project.
  (cd "$d" && docker-compose -f docker-compose.yml config >"$TMP/compose.$i" 2>"$TMP/compose.err.$i") \
    && pass || fail "docker-compose config rejects $d: $(cat "$TMP/compose.err.$i")"
  grep -q "container_name: ${projects[$i]}_backend" "$TMP/compose.$i" && pass || fail "backend container name in $d"
  # Published on the loopback address only, and hardened.
  grep -q "^    - 127.0.0.1:${backends[$i]}:${backends[$i]}/tcp$" "$TMP/compose.$i" && pass || fail "backend port in $d"
  grep -q "^    - 127.0.0.1:$((${backends[$i]} + 1000)):80/tcp$" "$TMP/compose.$i" && pass || fail "frontend port in $d"
  [ "$(grep -c -- "- no-new-privileges:true" "$TMP/compose.$i")" = 2 ] && pass || fail "no-new-privileges in $d"
  [ "$(grep -c "^    mem_limit: 256m$" "$TMP/compose.$i")" = 2 ] && pass || fail "mem_limit in $d"
  grep -q "condition: service_healthy" "$TMP/compose.$i" && pass || fail "depends_on health in $d"
  grep -q "^COMPOSE_PROJECT_NAME=${projects[$i]}$" "$d/.env" && pass || fail ".env project name in $d"
  cmp -s "$d/.env" "$d/.env.example" && pass || fail ".env is not a copy of .env.example in $d"
  nginx -q -t -c "$d/frontend/nginx.conf" 2>"$TMP/nginx.err" && pass || fail "nginx -t rejects $d: $(cat "$TMP/nginx.err")"
  $PY -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$d/backend/app.py" && pass || fail "app.py does not compile in $d"
  $PY -c 'import json,sys; json.load(open(sys.argv[1]))' "$d/frontend/package.json" && pass || fail "package.json does not parse in $d"
  grep -q '"name": "'"${projects[$i]}"'-frontend"' "$d/frontend/package.json" && pass || fail "package name in $d"
  grep -q "port: $((${backends[$i]} + 1000))," "$d/frontend/vite.config.js" && pass || fail "vite port in $d"
  grep -q "style={{ margin: 0 }}" "$d/frontend/src/App.jsx" && pass || fail "JSX double braces not passed through in $d"
  if grep -rqE "$PLACEHOLDER" "$d"; then fail "placeholder left in $d: $(grep -rnE "$PLACEHOLDER" "$d" | head -3)"; else pass; fi
done
expect_eq "distinct project names" "$(cat "${dirs[@]/%//.env}" | grep ^PROJECT_NAME | sort -u | wc -l)" 4

# All four Flask backends at once, each on its own reserved port, each started the container's
# way: its Dockerfile's CMD (gunicorn serving WSGI_APP), with PORT and WSGI_APP as the
# Dockerfile sets them and HOST=127.0.0.1 so the test listens on loopback only.
start_backend() {  # start_backend DIR PORT LOG: in the background
  local cmd wsgi
  cmd=$($PY -c 'import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith("CMD ")][-1]
print("\0".join(json.loads(line[4:])), end="")' "$1/backend/Dockerfile" | tr '\0' '\n')
  wsgi=$(sed -n 's/^ *WSGI_APP="\(.*\)" \\$/\1/p' "$1/backend/Dockerfile")
  mapfile -t argv <<<"$cmd"
  [ "${argv[2]#*exec gunicorn}" != "${argv[2]}" ] && pass || fail "the backend's CMD is not gunicorn: $cmd"
  (cd "$1/backend" && HOST=127.0.0.1 PORT=$2 WSGI_APP=$wsgi PYTHONDONTWRITEBYTECODE=1 \
    exec "${argv[@]}" >"$3" 2>&1) &
  pids+=($!)
}
pids=()
for i in 0 1 2 3; do
  start_backend "${dirs[$i]}" "${backends[$i]}" "$TMP/flask.$i.log"
done
for i in 0 1 2 3; do
  body=""
  for _ in $(seq 1 100); do
    body=$(curl -sf "http://127.0.0.1:${backends[$i]}/health" 2>/dev/null) && break
    sleep 0.1
  done
  echo "$body" | grep -q "\"project\":\"${projects[$i]}\"" && pass || fail "backend $i /health: '$body' $(cat "$TMP/flask.$i.log")"
  echo "$body" | grep -q "\"port\":${backends[$i]}" && pass || fail "backend $i reports its port"
done
curl -sf "http://127.0.0.1:${backends[2]}/api/message" | grep -q '"model":"openai/gpt-5-mini"' && pass || fail "/api/message"
# A model whose code has an app factory, not an `app`: wsgi_app names it.
expect_ok --store "$S" scaffold factory 1 --template "$TEMPLATE" --out "$TMP/factory" --set 'wsgi_app=server:create_app()'
grep -q '^    WSGI_APP="server:create_app()" \\$' "$TMP/factory/backend/Dockerfile" && pass || fail "wsgi_app not in the Dockerfile"
printf 'from flask import Flask\ndef create_app():\n    app = Flask(__name__)\n    app.get("/health")(lambda: {"factory": True})\n    return app\n' \
  >"$TMP/factory/backend/server.py"
fport=$(sed -n 's/^BACKEND_PORT=//p' "$TMP/factory/.env")
start_backend "$TMP/factory" "$fport" "$TMP/factory.log"
body=""
for _ in $(seq 1 100); do body=$(curl -sf "http://127.0.0.1:$fport/health") && break; sleep 0.1; done
expect_eq "the factory's app answers" "$body" '{"factory":true}'
expect_fail 2 "wsgi_app" --store "$S" scaffold factory 2 --template "$TEMPLATE" --out "$TMP/factory2" --set 'wsgi_app=app:app; rm -rf /'
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null

# A second run changes no byte and no mtime.
d=${dirs[0]}
snap() { (cd "$d" && find . -type f -printf '%p %s %T@ %m\n' | sort; find . -type f -exec md5sum {} + | sort); }
before=$(snap)
sleep 0.05
expect_ok --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$d"
expect_out '0 written, 18 unchanged, 0 removed, 0 kept, 7 starter files left as they are'
expect_eq "second run touched nothing" "$(snap)" "$before"

# Identical inputs, byte-identical output: the same app in another fresh store.
"$BERTH" --store "$TMP/store2" pool set apps --range backend=25001-25999 --range frontend=26001-26999 --step 2 >/dev/null
expect_ok --store "$TMP/store2" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/again"
diff -r "$d" "$TMP/again" >/dev/null && pass || fail "same inputs gave different output: $(diff -r "$d" "$TMP/again" | head)"

# The template's own name resolves from the source tree.
expect_ok --store "$TMP/store2" scaffold "$A" 1 --out "$TMP/by-name"
diff -r "$d" "$TMP/by-name" >/dev/null && pass || fail "--template react-flask (by name) differs"

# The manifest's rules: an edited berth file is kept, then overwritten with --force; a file
# berth did not write is never touched; files no longer produced are removed.
echo "# my change" >>"$d/README.md"
echo "mine" >"$d/NOTES.txt"
expect_ok --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$d"
grep -q "berth: warning: kept 'README.md': edited since berth wrote it; --force overwrites it" "$ERR" && pass || fail "edited file not reported"
grep -q "# my change" "$d/README.md" && pass || fail "edited file overwritten without --force"
expect_ok --store "$S" --json scaffold "$A" 1 --template "$TEMPLATE" --out "$d" --force
expect_json '"written":["README.md"]'
grep -q "# my change" "$d/README.md" && fail "--force did not overwrite" || pass
expect_eq "user file untouched" "$(cat "$d/NOTES.txt")" "mine"

cp -r "$TEMPLATE" "$TMP/tpl"
rm "$TMP/tpl/files/frontend/.dockerignore" "$TMP/tpl/files/backend/.dockerignore" "$TMP/tpl/files/frontend/src/App.css"
echo "# edited" >>"$d/backend/.dockerignore"
expect_ok --store "$S" scaffold "$A" 1 --template "$TMP/tpl" --out "$d"
expect_out '^removed frontend/.dockerignore$'
[ ! -e "$d/frontend/.dockerignore" ] && pass || fail "frontend/.dockerignore not removed"
[ -e "$d/frontend/src/App.css" ] && pass || fail "a starter file no longer in the template was removed"
[ -e "$d/backend/.dockerignore" ] && pass || fail "edited, no longer produced file removed without --force"
grep -q "kept 'backend/.dockerignore': no longer produced but edited" "$ERR" && pass || fail "edited orphan not reported"
# A file produced at the path of a user's file is not written over, even with --force.
echo "theirs" >"$TMP/tpl/files/NOTES.txt"
expect_ok --store "$S" scaffold "$A" 1 --template "$TMP/tpl" --out "$d" --force
grep -q "kept 'NOTES.txt': not written by berth; berth never touches it" "$ERR" && pass || fail "user file clash not reported"
expect_eq "user file still untouched" "$(cat "$d/NOTES.txt")" "mine"
rm "$TMP/tpl/files/NOTES.txt"

# --dry-run writes nothing and reserves nothing.
store_before=$("$BERTH" --store "$S" export)
expect_ok --store "$S" scaffold newmodel 9 --template "$TEMPLATE" --out "$TMP/dry" --dry-run
expect_out '^would write docker-compose.yml$'
expect_out '^dry run: 25 written'
[ ! -e "$TMP/dry" ] && pass || fail "--dry-run created the folder"
expect_eq "--dry-run left the store alone" "$("$BERTH" --store "$S" export)" "$store_before"

# --set and --json. app_title is used only by starter files: an app that has them keeps them.
expect_ok --store "$S" --json scaffold "$O" 1 --template "$TEMPLATE" --out "${dirs[2]}" --set 'app_title=Tom'"'"'s "app"'
expect_out '"project": "openai-gpt-5-mini-app1"'
expect_out '"created": false'
expect_json '"written":[]'
expect_json '"starter_kept":["backend/app.py","backend/requirements.txt","frontend/index.html","frontend/package.json","frontend/src/App.css","frontend/src/App.jsx","frontend/src/main.jsx"]'
expect_ok --store "$S" --json scaffold "$O" 1 --template "$TEMPLATE" --out "$TMP/titled" --set 'app_title=Tom'"'"'s "app"'
grep -q "APP_TITLE = \"Tom's \\\\\"app\\\\\"\"" "$TMP/titled/backend/app.py" && pass || fail "--set value not written as a JSON string"
$PY -c 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")' "$TMP/titled/backend/app.py" && pass || fail "quoted title broke app.py"

# Starter files: a template change updates the files the template owns, never the starting
# points a model has written over, even with --force, even when berth wrote them.
cp -r "$TEMPLATE" "$TMP/tpl2"
sed -i '1s/^/# template v2\n/' "$TMP/tpl2/files/backend/app.py" "$TMP/tpl2/files/backend/Dockerfile"
echo "model code" >"$TMP/titled/frontend/src/App.jsx"
app_py=$(md5sum <"$TMP/titled/backend/app.py")
expect_ok --store "$S" --json scaffold "$O" 1 --template "$TMP/tpl2" --out "$TMP/titled" --force
expect_json '"written":["backend/Dockerfile"]'
head -1 "$TMP/titled/backend/Dockerfile" | grep -q "template v2" && pass || fail "owned file not updated"
expect_eq "starter app.py untouched (berth wrote it)" "$(md5sum <"$TMP/titled/backend/app.py")" "$app_py"
expect_eq "starter App.jsx untouched (model edited it)" "$(cat "$TMP/titled/frontend/src/App.jsx")" "model code"
python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); sys.exit(not ("backend/app.py" not in m["files"] and "backend/app.py" in m["starters"]))' \
  "$TMP/titled/.berth-manifest.json" && pass || fail "a starter file is recorded as berth's, or not as a starter"
rm "$TMP/titled/backend/app.py"
expect_ok --store "$S" --json scaffold "$O" 1 --template "$TMP/tpl2" --out "$TMP/titled"
expect_json '"written":["backend/app.py"]'
head -1 "$TMP/titled/backend/app.py" | grep -q "template v2" && pass || fail "a missing starter file was not written"

# Paths that would leave the folder are refused, and nothing is written.
mkdir -p "$TMP/outside" "$TMP/evil"
ln -s "$TMP/outside" "$TMP/evil/backend"
expect_fail 2 "output 'backend/.dockerignore' would be written outside '$TMP/evil' \(through the symlink" --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/evil"
expect_eq "nothing written through the symlink" "$(ls -A "$TMP/outside")" ""
expect_eq "nothing written in the refused folder" "$(ls -A "$TMP/evil")" "backend"
mkdir -p "$TMP/dots/files/{{sub}}"
echo '{"name": "dots", "variables": {"sub": {"default": "ok"}}}' >"$TMP/dots/template.json"
echo x >"$TMP/dots/files/{{sub}}/f"
expect_fail 2 "template 'dots' output path '../f' holds an empty, '.' or '..' component" --store "$S" scaffold "$A" 1 --template "$TMP/dots" --out "$TMP/dotsout" --set sub=..
[ ! -e "$TMP/dotsout" ] && [ ! -e "$TMP/f" ] && pass || fail "a refused path wrote something"
ln -s /etc/hostname "$TMP/dots/files/link"
expect_fail 2 "'link' is a symlink leading outside the template" --store "$S" scaffold "$A" 1 --template "$TMP/dots" --out "$TMP/dotsout"

# Overlays: refused when missing or leaking outside; a folder in the way of a file is kept.
expect_fail 2 "overlay '$TMP/no-overlay' is not a folder" --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/ov" --overlay "$TMP/no-overlay"
mkdir -p "$TMP/leaky"
ln -s /etc/hostname "$TMP/leaky/backend.txt"
expect_fail 2 "overlay file 'backend.txt' is a symlink leading outside '$TMP/leaky'" --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/ov" --overlay "$TMP/leaky"
[ ! -e "$TMP/ov" ] && pass || fail "a refused overlay wrote files"
mkdir -p "$TMP/inway/README.md"
expect_ok --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/inway"
grep -q "kept 'README.md': something other than a file is in the way" "$ERR" && pass || fail "folder in the way not reported"
# A manifest whose entry leads outside the folder is refused.
mkdir -p "$TMP/badentry"
echo '{"berth_scaffold": 1, "template": "x", "files": {"../escape.txt": "0"}}' >"$TMP/badentry/.berth-manifest.json"
expect_fail 2 "manifest entry '../escape.txt' holds an empty, '.' or '..' component" --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/badentry"

# Scaffold errors.
store_before=$("$BERTH" --store "$S" export)
expect_fail 2 "variable 'colour' is not declared by template 'react-flask'; its variables: app_title, cpus, k8s_cpu_limit, .*, nginx_image, node_image, pids, publish_address, python_image, wsgi_app" --store "$S" scaffold fresh 1 --template "$TEMPLATE" --out "$TMP/x" --set colour=red
expect_fail 2 "--set 'app_title' is not KEY=VALUE" --store "$S" scaffold fresh 1 --template "$TEMPLATE" --out "$TMP/x" --set app_title
expect_fail 2 "no template 'nope' \(looked in: " --store "$S" scaffold fresh 1 --template nope --out "$TMP/x"
expect_fail 2 "template folder '$TMP/x/' does not exist" --store "$S" scaffold fresh 1 --template "$TMP/x/" --out "$TMP/x"
mkdir -p "$TMP/broken/files/backend"
echo '{"name": "broken", "ports": ["backend"]}' >"$TMP/broken/template.json"
printf 'ok\n  port = {{backend_prot}}\n' >"$TMP/broken/files/backend/app.py"
expect_fail 2 "template 'broken': 1 placeholder\(s\) could not be filled; nothing was written" --store "$S" scaffold fresh 1 --template "$TMP/broken" --out "$TMP/x"
grep -q "broken/files/backend/app.py:2:10: unknown placeholder 'backend_prot' with no default; did you mean 'backend_port'?" "$ERR" && pass || fail "placeholder error not located"
expect_ok --store "$S" pool set side --range web=27001-27100
expect_fail 2 "template 'react-flask' needs port 'backend', which 'fresh' app 1 \(pool 'side'\) does not have" --store "$S" scaffold fresh 1 --template "$TEMPLATE" --pool side --out "$TMP/x"
echo file >"$TMP/afile"
expect_fail 2 "--out '$TMP/afile' exists and is not a folder" --store "$S" scaffold fresh 1 --template "$TEMPLATE" --out "$TMP/afile"
expect_fail 3 "port 25001 \(backend\) for 'fresh' app 1 is held by" --store "$S" scaffold fresh 1 --template "$TEMPLATE" --out "$TMP/x" --port backend=25001
[ ! -e "$TMP/x" ] && pass || fail "a refused scaffold wrote files"
"$BERTH" --store "$S" pool remove side >/dev/null
expect_eq "refused scaffolds left the store alone" "$("$BERTH" --store "$S" export)" "$store_before"
echo "not json" >"$TMP/bad-manifest.json"
mkdir -p "$TMP/badm" && cp "$TMP/bad-manifest.json" "$TMP/badm/.berth-manifest.json"
expect_fail 2 "is not a berth manifest; move it away" --store "$S" scaffold "$A" 1 --template "$TEMPLATE" --out "$TMP/badm"


# Values given with --set are remembered by the app's folder: a re-run without --set keeps them,
# --unset forgets one, another app in another folder starts afresh, `show` lists them.
R="$TMP/remember"
expect_ok --store "$TMP/rs" scaffold m 1 --out "$R" --set python_image=python:3.12-slim --set k8s_tag=v3 -q
expect_ok --store "$TMP/rs" scaffold m 1 --out "$R"
expect_out '^0 written'
grep -q '^FROM python:3.12-slim' "$R/backend/Dockerfile" && pass || fail "a remembered --set was dropped"
grep -q 'm-app1-backend:v3' "$R/docker-compose.yml" && pass || fail "the remembered tag was dropped"
expect_ok --store "$TMP/rs" show m 1
expect_out "^vars of $R: k8s_tag=v3 python_image=python:3.12-slim$"
expect_ok --store "$TMP/rs" scaffold m 1 --out "$R" --unset k8s_tag -q
grep -q 'm-app1-backend:latest' "$R/docker-compose.yml" && pass || fail "--unset did not forget the tag"
grep -q '^FROM python:3.12-slim' "$R/backend/Dockerfile" && pass || fail "--unset forgot another value"
expect_fail 2 "--unset 'nope': template 'react-flask' has no variable 'nope'" --store "$TMP/rs" scaffold m 1 --out "$R" --unset nope
expect_ok --store "$TMP/rs" scaffold m 2 --out "$TMP/remember2" -q
grep -q '^FROM python:3.11-slim' "$TMP/remember2/backend/Dockerfile" && pass || fail "another app took remembered values"

# A folder berth scaffolded (a backfilled app) as an overlay: its .berth-manifest.json is
# skipped, not refused, and the new app's manifest is its own.
echo "model code" >"$TMP/remember2/backend/app.py"
expect_ok --store "$TMP/rs" scaffold m 3 --out "$TMP/from-scaffolded" --overlay "$TMP/remember2" -q
expect_eq "the overlay's code" "$(cat "$TMP/from-scaffolded/backend/app.py")" "model code"
grep -q '"app": 3' "$TMP/from-scaffolded/.berth-manifest.json" && pass || fail "the overlay's manifest was copied"

finish
