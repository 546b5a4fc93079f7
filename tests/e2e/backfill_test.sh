#!/usr/bin/env bash
# berth backfill: adopting a tree the earlier system generated, with nothing lost.
#   backfill_test.sh <path to berth>
source "$(dirname "$0")/lib.sh" "$1"
S="$TMP/store"

# The earlier system's output: three models x three apps, model-written code, some apps with
# that system's own compose file and .env (model_a/app1 and model_b/app1 share ports, as its
# formula gave them), one backend-only app, one with no Docker files at all.
make_tree() {  # make_tree ROOT
  local root=$1 m n d
  for m in model_a model_b openai_gpt-5-mini; do
    for n in 1 2 3; do
      d="$root/$m/app$n"
      mkdir -p "$d/backend" "$d/frontend/src"
      printf 'from flask import Flask\napp = Flask(__name__)  # %s app %s, as a model wrote it\n' "$m" "$n" >"$d/backend/app.py"
      printf 'flask\n' >"$d/backend/requirements.txt"
      printf 'export default function App() { return <h1>%s %s</h1> }\n' "$m" "$n" >"$d/frontend/src/App.jsx"
    done
  done
  for m in model_a model_b; do
    d="$root/$m/app1"
    printf 'services:\n  backend:\n    build: ./backend\n    container_name: app1_backend\n    ports:\n      - "5003:5003"\n  frontend:\n    build: ./frontend\n    container_name: app1_frontend\n    ports:\n      - "8003:80"\n' >"$d/docker-compose.yml"
    printf 'PROJECT_NAME=app1\nBACKEND_PORT=5003\nFRONTEND_PORT=8003\n' >"$d/.env"
  done
  printf 'PROJECT_NAME=app2\nBACKEND_PORT=6001\nFRONTEND_PORT=9001\n' >"$root/model_b/app2/.env"
  rm -r "$root/openai_gpt-5-mini/app3/frontend"  # backend-only
}
make_tree "$TMP/gen"
cp -a "$TMP/gen" "$TMP/pristine"
model_code() {  # the model's files, with their bytes
  (cd "$1" && find . \( -name app.py -o -name App.jsx \) -type f -exec md5sum {} + | sort)
}
code_before=$(model_code "$TMP/gen")
tree_state() {  # every file with size, mtime and mode, and the store
  (cd "$1" && find . -printf '%p %s %T@ %m\n' | sort)
  "$BERTH" --store "$S" export 2>/dev/null
}

# --dry-run changes no store entry and no file, and says what would happen.
"$BERTH" --store "$S" config skip-busy off >/dev/null  # the store exists: export can compare it
before=$(tree_state "$TMP/gen")
expect_ok --store "$S" backfill "$TMP/gen" --dry-run
expect_out '^model_a/app1: backend=5003 frontend=8003 \(kept from .env\); would add 20, kept 2, would replace 0, starter left 3; parts root,backend,frontend$'
expect_out '^  keep docker-compose.yml: not written by berth; berth never touches it$'
expect_out '^openai_gpt-5-mini/app3: .*parts root,backend$'
expect_out '^dry run: 9 apps \(9 would be reserved, 0 already\)'
expect_eq "--dry-run changed nothing" "$(tree_state "$TMP/gen")" "$before"

# The run: one transaction, every app scaffolded around its code.
expect_ok --store "$S" backfill "$TMP/gen"
expect_out '^9 apps \(9 reserved, 0 already\), [0-9]+ files added, 2 replaced \(kept as .berth-orig\), 3 kept, [0-9]+ starter files left as they are$'
expect_out '^kept 3 files in 2 apps .*--verbose lists them'
# Every app ends up on one set of ports: an app keeps the ports its files name when they are
# free (model_a/app1: 5003/8003, model_b/app2: 6001/9001); model_b/app1 names the same ports
# as model_a/app1, so it gets new ones and every file naming them is rewritten, its own kept
# beside as .berth-orig: never an old .env beside new Dockerfiles.
expect_out '^model_b/app1: backend=5007 frontend=8007; added 20, kept 0, replaced 2'
expect_out '^  ports: backend 5003 -> 5007$'
agree() {  # agree DIR: .env, compose and the store name the same ports
  local d=$1 m n b f
  m=$(basename "$(dirname "$d")") n=$(basename "$d" | tr -d app)
  b=$(grep '^BACKEND_PORT=' "$d/.env" | cut -d= -f2)
  f=$(grep '^FRONTEND_PORT=' "$d/.env" | cut -d= -f2)
  grep -qE "\"(127\.0\.0\.1:)?$b:$b\"" "$d/docker-compose.yml" &&
    grep -qE "\"(127\.0\.0\.1:)?$f:80\"" "$d/docker-compose.yml" &&
    "$BERTH" --store "$S" list --model "$m" | grep -qE "^$m +$n +$b +$f " && pass ||
    fail "$d: .env ($b/$f), compose and store disagree: $(grep -h PORT "$d/.env"; grep '[0-9]:' "$d/docker-compose.yml")"
}
for d in "$TMP"/gen/model_a/app1 "$TMP"/gen/model_b/app1 "$TMP"/gen/model_b/app3; do agree "$d"; done
expect_eq "model_b/app1's old .env kept beside" "$(cat "$TMP/gen/model_b/app1/.env.berth-orig")" "$(cat "$TMP/pristine/model_b/app1/.env")"
grep -c "kept 'docker-compose.yml'" "$OUT" >/dev/null && fail "a kept file reported per file" || pass
expect_eq "model code byte-identical" "$(model_code "$TMP/gen")" "$code_before"
expect_eq "nine reservations" "$("$BERTH" --store "$S" list | tail -n +2 | wc -l)" 9
ports=$("$BERTH" --store "$S" --json list | tr -d ' \n' | grep -o '"backend":[0-9]*\|"frontend":[0-9]*' | cut -d: -f2 | sort)
expect_eq "every port distinct" "$(echo "$ports" | uniq -d)" ""
for d in "$TMP"/gen/*/app*; do
  (cd "$d" && docker-compose config >/dev/null 2>"$TMP/compose.err") && pass || fail "docker-compose config rejects $d: $(cat "$TMP/compose.err")"
  if [ -d "$d/frontend" ]; then
    nginx -q -t -c "$d/frontend/nginx.conf" 2>"$TMP/nginx.err" && pass || fail "nginx -t rejects $d: $(cat "$TMP/nginx.err")"
  fi
  [ -f "$d/.berth-manifest.json" ] && pass || fail "no manifest in $d"
done
B3="$TMP/gen/openai_gpt-5-mini/app3"
[ ! -e "$B3/frontend" ] && pass || fail "the backend-only app got a frontend"
grep -q "frontend" "$B3/docker-compose.yml" && fail "backend-only compose file names a frontend" || pass
(cd "$B3" && docker-compose config >"$OUT" 2>"$ERR") && pass || fail "docker-compose config: backend-only app"
grep -q "^    - 127.0.0.1:[0-9]*:[0-9]*/tcp$" "$OUT" && pass || fail "backend-only app not published on 127.0.0.1"
# The earlier system's files are kept as they were (no --force).
expect_eq "old compose kept" "$(cat "$TMP/gen/model_a/app1/docker-compose.yml")" "$(cat "$TMP/pristine/model_a/app1/docker-compose.yml")"
# From now on the folder is berth's: a scaffold re-run agrees, and keeps the parts.
expect_ok --store "$S" scaffold openai_gpt-5-mini 3 --out "$B3"
expect_out '^0 written'
[ ! -e "$B3/frontend" ] && pass || fail "a scaffold re-run added the frontend"

# A second run changes nothing: no store entry, no byte, no mtime.
before=$(tree_state "$TMP/gen")
sleep 0.05
expect_ok --store "$S" backfill "$TMP/gen"
expect_out '^9 apps \(0 reserved, 9 already\), 0 files added, 0 replaced'
expect_eq "second run changed nothing" "$(tree_state "$TMP/gen")" "$before"
expect_ok --store "$S" backfill "$TMP/gen" --verbose
expect_out '^  model_a/app1/docker-compose.yml: not written by berth'

# --force: the earlier system's files replaced, each kept as .berth-orig; never over one.
echo "an older copy" >"$TMP/gen/model_b/app2/.env.berth-orig"
expect_ok --store "$S" --json backfill "$TMP/gen" --force --model model_a --model model_b
expect_json '"replaced":[".env","docker-compose.yml"]'
expect_eq ".berth-orig holds the old compose" "$(cat "$TMP/gen/model_a/app1/docker-compose.yml.berth-orig")" "$(cat "$TMP/pristine/model_a/app1/docker-compose.yml")"
expect_eq ".berth-orig holds the old .env" "$(cat "$TMP/gen/model_a/app1/.env.berth-orig")" "$(cat "$TMP/pristine/model_a/app1/.env")"
grep -q "container_name: model-a-app1_backend\|{PROJECT_NAME:-model-a-app1}_backend" "$TMP/gen/model_a/app1/docker-compose.yml" && pass || fail "compose not replaced by --force"
expect_eq "an existing .berth-orig is never overwritten" "$(cat "$TMP/gen/model_b/app2/.env.berth-orig")" "an older copy"
expect_eq "...and its file is kept" "$(cat "$TMP/gen/model_b/app2/.env")" "$(cat "$TMP/pristine/model_b/app2/.env")"
expect_json '"reason":"notwrittenbyberth,and.env.berth-origalreadyexists;leftasitis"'
expect_eq "model code still byte-identical" "$(model_code "$TMP/gen")" "$code_before"

# --keep-ports (the default, given explicitly) on a fresh store: the ports the .env names are
# kept when free; of the two apps the earlier system gave 5003/8003, the first in sorted order
# keeps them.
cp -a "$TMP/pristine" "$TMP/gen2"
expect_ok --store "$TMP/s2" backfill "$TMP/gen2" --keep-ports
expect_out '^model_a/app1: backend=5003 frontend=8003 \(kept from .env\)'
expect_out '^model_b/app1: backend=[0-9]+ frontend=[0-9]+; .*$'
expect_out '^  ports: backend 5003 \(.env\) is kept by model_a/app1 \(first in sorted order\)$'
expect_out '^model_b/app2: backend=6001 frontend=9001 \(kept from .env\)'
expect_out '^ports: 2 apps kept theirs, 1 apps changed$'
expect_ok --store "$TMP/s2" list
expect_out '^model_b +2 +6001 +9001'
grep -qE '^model_b +1 +5003 ' "$OUT" && fail "a clashing app kept the ports" || pass
ports=$("$BERTH" --store "$TMP/s2" --json list | tr -d ' \n' | grep -o '"backend":[0-9]*\|"frontend":[0-9]*' | cut -d: -f2 | sort)
expect_eq "every port distinct with --keep-ports" "$(echo "$ports" | uniq -d)" ""
# --new-ports: fresh ports for every app; each file naming the old ones is rewritten (the old
# content kept as .berth-orig), so every app's files agree on its new ports.
cp -a "$TMP/pristine" "$TMP/gen9"
S9="$TMP/s9"
for n in 1 2; do "$BERTH" --store "$S9" reserve other "$n" >/dev/null; done  # 5001 and 5003 taken
expect_ok --store "$S9" backfill "$TMP/gen9" --new-ports
expect_out '^model_a/app1: backend=5005 frontend=8005; added 20, kept 0, replaced 2'
expect_out '^model_b/app2: backend=[0-9]+ frontend=[0-9]+; added 21, kept 0, replaced 1'
S_SAVED=$S
S=$S9
for d in "$TMP"/gen9/model_a/app1 "$TMP"/gen9/model_b/app1 "$TMP"/gen9/model_b/app2; do agree "$d"; done
S=$S_SAVED
expect_eq "model_b/app2's old .env kept beside" "$(cat "$TMP/gen9/model_b/app2/.env.berth-orig")" "$(cat "$TMP/pristine/model_b/app2/.env")"
expect_fail 2 "give --keep-ports or --new-ports, not both" --store "$S9" backfill "$TMP/gen9" --keep-ports --new-ports

# On a terminal: a progress bar (apps done / total, rate, time left) instead of a line per app.
cp -a "$TMP/pristine" "$TMP/gen8"
script -qec "'$BERTH' --store '$TMP/s8' backfill '$TMP/gen8'" /dev/null >"$TMP/tty.out" 2>&1
grep -q "berth: backfill \[#*\] 9/9 apps, [0-9.]* apps/s, 0 s left" "$TMP/tty.out" && pass || fail "no progress bar on a terminal: $(head -c 600 "$TMP/tty.out")"
grep -q "^model_a/app1: " "$TMP/tty.out" && fail "per-app lines on a terminal" || pass
grep -q "^9 apps (9 reserved" "$TMP/tty.out" && pass || fail "no summary on a terminal"

# --parts, --model-map, --app, --jobs, --json.
mkdir -p "$TMP/gen3/Model With Spaces/app4/backend"
echo "print(1)" >"$TMP/gen3/Model With Spaces/app4/backend/app.py"
echo '{"Model With Spaces": "vendor/model-x"}' >"$TMP/map.json"
expect_ok --store "$TMP/s3" --json backfill "$TMP/gen3" --model-map "$TMP/map.json" --parts root,backend,frontend --jobs 4
expect_json '"model":"vendor/model-x"'
expect_json '"parts":["root","backend","frontend"]'
[ -f "$TMP/gen3/Model With Spaces/app4/frontend/nginx.conf" ] && pass || fail "--parts did not add the frontend"
expect_json '"summary":{"added":'
cp -a "$TMP/pristine" "$TMP/gen4"
expect_ok --store "$TMP/s4" backfill "$TMP/gen4" --app 2 --jobs 3
expect_out '^3 apps \(3 reserved'
[ ! -e "$TMP/gen4/model_a/app1/.berth-manifest.json" ] && pass || fail "--app 2 touched app1"
expect_fail 2 "template 'react-flask' has no part 'middle'; its parts: root, backend, frontend" --store "$TMP/s4" backfill "$TMP/gen4" --parts root,middle

# A template file whose dependency the app's own package.json lacks is reported, not added.
mkdir -p "$TMP/gen5/m/app1/frontend/src" "$TMP/gen5/m/app1/backend"
echo '{"name": "x", "dependencies": {"react": "^18"}}' >"$TMP/gen5/m/app1/frontend/package.json"
echo "print(1)" >"$TMP/gen5/m/app1/backend/app.py"
expect_ok --store "$TMP/s5" backfill "$TMP/gen5" --verbose
[ ! -e "$TMP/gen5/m/app1/frontend/vite.config.js" ] && pass || fail "vite.config.js added without its dependencies"
expect_out "m/app1/frontend/vite.config.js: needs 'vite' in frontend/package.json, '@vitejs/plugin-react' in frontend/package.json, which the app lacks"
expect_eq "package.json untouched" "$(cat "$TMP/gen5/m/app1/frontend/package.json")" '{"name": "x", "dependencies": {"react": "^18"}}'

# Bad input: every problem reported at once, nothing reserved, nothing written.
expect_fail 2 "'$TMP/nope' is not a folder" --store "$TMP/s6" backfill "$TMP/nope"
echo file >"$TMP/afile"
expect_fail 2 "'$TMP/afile' is not a folder" --store "$TMP/s6" backfill "$TMP/afile"
mkdir -p "$TMP/bad/good/app1/backend" "$TMP/bad/good/app0" "$TMP/bad/good/appX" "$TMP/bad/good/app07" "$TMP/bad/bad"$'\t'"model/app1" "$TMP/outside"
ln -s "$TMP/outside" "$TMP/bad/good/app2"
mkdir -p "$TMP/bad/good/app3"
ln -s /etc/hostname "$TMP/bad/good/app3/docker-compose.yml"
before=$(cd "$TMP/bad" && find . -printf '%p %T@\n' | sort)
expect_fail 2 "backfill refused, nothing reserved or written: 6 problem" --store "$TMP/s6" backfill "$TMP/bad"
grep -q "$TMP/bad/bad.model: model name .* control character.*; map the folder to a model name with --model-map" "$ERR" && pass || fail "bad model folder not reported"
grep -q "$TMP/bad/good/app0: 'app0' is not app<N>" "$ERR" && pass || fail "app0 not reported"
grep -q "$TMP/bad/good/appX: 'appX' is not app<N>" "$ERR" && pass || fail "appX not reported"
grep -q "$TMP/bad/good/app07: 'app07' is not app<N>" "$ERR" && pass || fail "app07 not reported"
grep -q "$TMP/bad/good/app2: a symlink leading outside" "$ERR" && pass || fail "app folder symlink not reported"
grep -q "$TMP/bad/good/app3: output 'docker-compose.yml' would be written outside" "$ERR" && pass || fail "file symlink leading outside not reported"
expect_eq "nothing written in a refused tree" "$(cd "$TMP/bad" && find . -printf '%p %T@\n' | sort)" "$before"
[ ! -e "$TMP/s6/data.mdb" ] || expect_eq "nothing reserved" "$("$BERTH" --store "$TMP/s6" list | tail -n +2)" ""
expect_fail 2 "--model 'ghost' matches no folder" --store "$TMP/s6" backfill "$TMP/gen" --model ghost
expect_fail 2 "--app 9 matches no app folder" --store "$TMP/s6" backfill "$TMP/gen" --app 9
echo '["x"]' >"$TMP/badmap.json"
expect_fail 2 "--model-map '$TMP/badmap.json' must hold a JSON object" --store "$TMP/s6" backfill "$TMP/gen" --model-map "$TMP/badmap.json"
echo '{"model_a": 5}' >"$TMP/badmap.json"
expect_fail 2 "--model-map '$TMP/badmap.json': folder 'model_a' maps to 5, not a model name string" --store "$TMP/s6" backfill "$TMP/gen" --model-map "$TMP/badmap.json"
echo '{"model_a": ""}' >"$TMP/badmap.json"
expect_fail 2 "--model-map: folder 'model_a': model name is empty" --store "$TMP/s6" backfill "$TMP/gen" --model-map "$TMP/badmap.json"
mkdir -p "$TMP/empty"
expect_fail 2 "no app folders \(<model>/app<N>/\) under '$TMP/empty'" --store "$TMP/s6" backfill "$TMP/empty"
expect_fail 2 "no pool 'nowhere' in this store" --store "$TMP/s6" backfill "$TMP/gen" --pool nowhere

# The exit code of a refusal is its cause's (docs/cli.md, "Exit codes"): a conflict with the
# store is 3, a full pool 1; nothing is reserved or written either way.
mkdir -p "$TMP/ec/m/app1/backend" "$TMP/ec/m/app2/backend"
"$BERTH" --store "$TMP/s-ec" pool set st --range backend=20001-20001 --range frontend=21001-21001 >/dev/null
"$BERTH" --store "$TMP/s-ec" reserve m 1 >/dev/null
expect_fail 3 "m/app1: 'm' app 1 is already reserved in pool 'apps', not 'st'; release it first" --store "$TMP/s-ec" backfill "$TMP/ec" --pool st
"$BERTH" --store "$TMP/s-ec" reserve x 1 --pool st >/dev/null  # its one slot
expect_fail 1 "m/app2: pool 'st' is full" --store "$TMP/s-ec" backfill "$TMP/ec" --pool st --app 2
[ -z "$(ls -A "$TMP/ec/m/app1" "$TMP/ec/m/app2" | grep -v '^backend$\|^$\|:$')" ] && pass || fail "a refused backfill wrote files"
# A port held by another project at reservation time: the located conflict, nothing written.
cp -a "$TMP/pristine" "$TMP/gen7"
"$BERTH" --store "$TMP/s7" reserve other 1 --port backend=5003 >/dev/null
before=$(cd "$TMP/gen7" && find . -printf '%p %T@\n' | sort)
berth --store "$TMP/s7" backfill "$TMP/gen7" --keep-ports
expect_eq "held port with --keep-ports is a note, not a failure" "$RC" 0
grep -q "backend 5003 (.env) is held by 'other' app 1" "$OUT" && pass || fail "held port not reported"

# A copied app folder is recognised by its manifest, never adopted by surprise.
C="$TMP/copies"
"$BERTH" --store "$C" scaffold acme/alpha-1 1 --out "$TMP/cp/acme_alpha-1/app1" -q
mkdir -p "$TMP/cp/other"
cp -r "$TMP/cp/acme_alpha-1/app1" "$TMP/cp/other/app1"
echo '{"acme_alpha-1": "acme/alpha-1"}' >"$TMP/cp-map.json"
before=$("$BERTH" --store "$C" export)
expect_fail 2 "other/app1: its .berth-manifest.json says it is the folder of 'acme/alpha-1' app 1 \(a copy, or moved\), not of 'other' app 1" --store "$C" backfill "$TMP/cp" --model-map "$TMP/cp-map.json"
expect_eq "a refused copy: store unchanged" "$("$BERTH" --store "$C" export)" "$before"
# A copy of an app's folder under the same model and number: both would run on its ports.
mkdir -p "$TMP/cp2/m"
"$BERTH" --store "$C" scaffold m 1 --out "$TMP/orig" -q
cp -r "$TMP/orig" "$TMP/cp2/m/app1"
expect_fail 2 "m/app1: a copy of '$TMP/orig', the folder of 'm' app 1: both would run on its ports" --store "$C" backfill "$TMP/cp2"
rm -rf "$TMP/orig"
expect_ok --store "$C" backfill "$TMP/cp2"  # the original is gone: this folder is the app's now

finish
