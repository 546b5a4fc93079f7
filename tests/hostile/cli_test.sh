#!/usr/bin/env bash
# The hostile suite, CLI side: one block per family of docs/guarantees.md, each asserting the
# promise itself (nothing written outside the app folder, nothing of the user's lost, a clear
# `berth: error:` and its exit code instead of a crash, the store unchanged by a refused command).
#   bash cli_test.sh <berth>
source "$(dirname "$0")/lib.sh" "$1"

# --- 1. Temporary files never follow a symlink; stray ones of dead runs are removed -------------
mkdir "$TMP/t1"
echo KEEP >"$TMP/victim"
bash -c 'for n in ".README.md.berth-tmp-$$" ".berth-tmp-$$-0" ".berth-tmp-$$-1"; do
           ln -s "'"$TMP"'/victim" "'"$TMP"'/t1/$n"; done
         exec "'"$BERTH"'" --store "'"$S"'" scaffold t 1 --out "'"$TMP"'/t1" -q'
expect_eq "family 1: scaffold through planted temp symlinks" "$?" 0
expect_eq "family 1: symlink target untouched" "$(cat "$TMP/victim")" KEEP
[ -f "$TMP/t1/README.md" ] && [ ! -L "$TMP/t1/README.md" ] && pass || fail "README.md is not a plain file"
dead=$(bash -c 'echo $$')
: >"$TMP/t1/.berth-tmp-$dead-abcdef"
ln -s "$TMP/victim" "$TMP/t1/.docker-compose.yml.berth-tmp-$dead"
echo "# edit" >>"$TMP/t1/README.md"
expect_ok --store "$S" scaffold t 1 --out "$TMP/t1" -q --force
[ ! -e "$TMP/t1/.berth-tmp-$dead-abcdef" ] && [ ! -L "$TMP/t1/.docker-compose.yml.berth-tmp-$dead" ] &&
  pass || fail "family 1: stray temp files of a dead run were not removed"
expect_eq "family 1: victim still untouched" "$(cat "$TMP/victim")" KEEP
for cmd in "export -o $TMP/t1/exported.json" ; do
  ln -sf "$TMP/victim" "$TMP/t1/.berth-tmp-$$-x"
  expect_ok --store "$S" $cmd
done
expect_eq "family 1: export beside a planted symlink" "$(cat "$TMP/victim")" KEEP
S_BEFORE_T=$(snapshot)
"$BERTH" --store "$S" release t 1 --force >/dev/null
before=$(snapshot)

# --- 3. Crashes: every bad input is a berth error, never an abort ------------------------------
printf '{"berth_export":1,"reservations":5}' >"$TMP/c1.json"
expect_error 2 "'reservations' must be a list, not 5" --store "$S" import "$TMP/c1.json"
printf '{"berth_export":1,"pools":[{"name":"x","step":1,"ports":5}]}' >"$TMP/c2.json"
expect_error 2 "pool 1: 'ports' must be a list" --store "$S" import "$TMP/c2.json"
expect_error 2 "--out is empty" --store "$S" scaffold c 1 --out ''
ln -s loop "$TMP/loop"
expect_error 2 "is not a folder|Too many levels" --store "$S" scaffold c 1 --out "$TMP/loop/app"
expect_error 2 "File name too long" --store "$S" scaffold c 1 --out "$TMP/$(printf 'a%.0s' {1..300})"
mkdir -p "$TMP/tdesc/files"
echo '{"name": "x", "description": 5}' >"$TMP/tdesc/template.json"
expect_error 2 "'description' must be a string, not 5" --store "$S" scaffold c 1 --template "$TMP/tdesc" --out "$TMP/c"
echo '[{"model": "c", "app": 1, "pool": 5}]' >"$TMP/plan-pool.json"
expect_error 2 "entry 1: 'pool' must be a string, not 5" --store "$S" plan "$TMP/plan-pool.json"
echo '{"berth_lock": "1", "apps": []}' >"$TMP/lock-str.json"
echo '[{"model": "c", "app": 1}]' >"$TMP/plan1.json"
expect_error 2 "'berth_lock' must be a whole number, not \"1\"" --store "$S" plan "$TMP/plan1.json" --lock "$TMP/lock-str.json"
store_unchanged "family 3"
[ ! -e "$TMP/c" ] && pass || fail "family 3: a refused scaffold created its folder"

# A truncated data file is refused before LMDB maps it (it would be SIGBUS).
for i in $(seq 1 60); do echo "{\"model\": \"m$i\", \"app\": 1}"; done | paste -sd, | sed 's/^/[/; s/$/]/' >"$TMP/many.json"
expect_ok --store "$TMP/trunc" reserve --batch "$TMP/many.json"
truncate -s 12288 "$TMP/trunc/data.mdb"
expect_error 1 "data.mdb is 12288 bytes, shorter than .* truncated" --store "$TMP/trunc" list
expect_error 1 "truncated" --store "$TMP/trunc" check

# Wrong-typed store records are findings of check (exit 3), and an error elsewhere.
expect_ok --store "$TMP/typed" reserve good 1
{
  printf 'VERSION=3\nformat=bytevalue\ndatabase=apps\ntype=btree\nHEADER=END\n'
  printf ' %s\n' "$(printf 'bad' | od -An -tx1 | tr -d ' \n')0000000001"
  printf ' %s\n' "$(printf '{"pool":5,"slot":"x","ports":7,"pinned":[],"project":"bad-app1"}' | od -An -tx1 | tr -d ' \n')"
  printf 'DATA=END\n'
} >"$TMP/bad-record.txt"
mdb_load -f "$TMP/bad-record.txt" -s apps "$TMP/typed"
expect_error 3 "check found" --store "$TMP/typed" check
grep -q "store record of 'bad' app 1: 'pool' must be a string, not 5" "$OUT" && pass ||
  fail "family 3: check does not report the malformed record"
expect_error 1 "store record of 'bad' app 1" --store "$TMP/typed" list
# list --json prints nothing when it meets the bad record after a good one, not half a list.
expect_ok --store "$TMP/typed" reserve aaa 1
berth --store "$TMP/typed" --json list
expect_eq "family 3: list --json on a bad record, exit code" "$RC" 1
grep -q "store record of 'bad' app 1" "$ERR" && pass || fail "family 3: list --json: $(cat "$ERR")"
[ ! -s "$OUT" ] && pass || fail "family 3: list --json printed part of a list: $(head -c 200 "$OUT")"

# --- 5. A scaffold killed at any point leaves a folder the next run completes ------------------
cp -r "$TEMPLATE" "$TMP/tk"
for i in $(seq 1 30); do echo "file $i {{project_name}}" >"$TMP/tk/files/extra$i.txt"; done
expect_ok --store "$S" scaffold k 1 --template "$TMP/tk" --out "$TMP/k" -q
for round in $(seq 1 12); do
  for i in $(seq 1 30); do echo "round $round file $i {{project_name}}" >"$TMP/tk/files/extra$i.txt"; done
  # In a shell of its own, whose "Killed" notice goes nowhere.
  bash -c 'timeout -s KILL "$@"; exit 0' _ "0.0$((round % 9 + 1))" "$BERTH" --store "$S" scaffold k 1 \
    --template "$TMP/tk" --out "$TMP/k" -q >/dev/null 2>&1
done
expect_ok --store "$S" scaffold k 1 --template "$TMP/tk" --out "$TMP/k" --json
expect_json '"kept":[]'
grep -q "round 12 file 30" "$TMP/k/extra30.txt" && pass || fail "family 5: app not brought up to date"
expect_eq "family 5: no temp file left" "$(find "$TMP/k" -name '*berth-tmp*')" ""
"$BERTH" --store "$S" release k 1 --force >/dev/null

# --- 6. Stamps stay inside their folder ----------------------------------------------------------
echo '[{"model": "s", "app": 1, "target": "../../escaped"}]' >"$TMP/plan-target.json"
mkdir -p "$TMP/stamps/a/b"
expect_error 2 "target '../../escaped' is not a target name" --store "$S" plan "$TMP/plan-target.json" --stamps "$TMP/stamps/a/b"
echo '[{"model": "s", "app": 1, "target": "/tmp/abs"}]' >"$TMP/plan-target.json"
expect_error 2 "target '/tmp/abs' is not a target name" --store "$S" plan "$TMP/plan-target.json" --stamps "$TMP/stamps/a/b"
[ ! -e "$TMP/stamps/escaped.reservation" ] && pass || fail "family 6: stamp written outside"
store_unchanged "family 6"

# --- 7. A failed command changes nothing --------------------------------------------------------
mkdir -p "$TMP/ov-clash"
echo "not a folder" >"$TMP/ov-clash/backend"
expect_error 2 "output 'backend' is a file, but 'backend/.dockerignore' needs it to be a folder" --store "$S" scaffold f 1 --out "$TMP/f1" --overlay "$TMP/ov-clash"
[ ! -e "$TMP/f1" ] && pass || fail "family 7: refused scaffold left a folder"
ln -s "$TMP/nowhere" "$TMP/dangling"
expect_error 2 "is a dangling symlink" --store "$S" scaffold f 1 --out "$TMP/dangling"
mkdir "$TMP/f2"
ln -s "$TMP/nowhere" "$TMP/f2/backend"
expect_error 2 "lies under the dangling symlink" --store "$S" scaffold f 1 --out "$TMP/f2"
echo file >"$TMP/afile"
expect_error 2 "lies under '$TMP/afile', which is not a folder" --store "$S" scaffold f 1 --out "$TMP/afile/app"
mkdir -p "$TMP/lockdir"
expect_error 2 "lock file '$TMP/lockdir' is a folder" --store "$S" plan "$TMP/plan1.json" --lock "$TMP/lockdir"
store_unchanged "family 7"
# Long names work: the temporary name does not grow with them.
mkdir -p "$TMP/tlong/files"
echo '{"name": "long"}' >"$TMP/tlong/template.json"
long=$(printf 'n%.0s' {1..250})
echo hi >"$TMP/tlong/files/$long"
expect_ok --store "$S" scaffold l 1 --template "$TMP/tlong" --out "$TMP/l" -q
[ -f "$TMP/l/$long" ] && pass || fail "family 7: 250-byte file name not written"
# A bare file name is written in the current folder.
(cd "$TMP" && "$BERTH" --store "$S" plan plan1.json --lock lock.json >/dev/null 2>"$ERR")
expect_eq "family 7: plan --lock with a bare file name" "$?" 0
grep -q '"berth_lock": 1' "$TMP/lock.json" && pass || fail "family 7: bare lock file not written"
(cd "$TMP" && "$BERTH" --store "$S" export -o bare.json)
[ -s "$TMP/bare.json" ] && pass || fail "family 7: export -o bare.json"
(cd "$TMP" && "$BERTH" --store "$S" plan plan1.json --cmake bare.cmake --summary bare-summary.json --stamps bare-stamps >/dev/null)
[ -s "$TMP/bare.cmake" ] && [ -s "$TMP/bare-summary.json" ] && [ -s "$TMP/bare-stamps/app1.stamp" ] &&
  pass || fail "family 7: plan --cmake/--summary/--stamps with bare names"
(cd "$TMP" && "$BERTH" --store "$S" build-app bare-stamps/app1.stamp --depfile bare.d 2>"$ERR")
expect_eq "family 7: build-app of a stamp without an app folder" "$?" 2
grep -q "\-\-out is empty" "$ERR" && pass || fail "family 7: build-app names the missing folder"
[ ! -e "$TMP/bare-stamps/app1.done" ] && [ ! -e "$TMP/bare.d" ] && pass ||
  fail "family 7: a failed build-app wrote its done file or depfile"
expect_error 2 "stamp '$TMP/plan1.json' is not a <target>.stamp file of berth plan" --store "$S" build-app "$TMP/plan1.json"
echo '{"apps": [{"target": "../x"}]}' >"$TMP/bad.stamp"
expect_error 2 "stamp '$TMP/bad.stamp': target '../x' is not a target name" --store "$S" build-app "$TMP/bad.stamp"
echo '{"apps": 1}' >"$TMP/bad.stamp"
expect_error 2 "stamp '$TMP/bad.stamp'.*apps" --store "$S" build-app "$TMP/bad.stamp"
expect_error 2 "--app 'nope': no app of that target in the stamps" --store "$S" build-app "$TMP/bare-stamps/app1.stamp" --app nope
"$BERTH" --store "$S" release c 1 --force >/dev/null
"$BERTH" --store "$S" release l 1 --force >/dev/null
before=$(snapshot)

# --- 8. Numbers are never wrapped or truncated --------------------------------------------------
for bad in '70001' '-1' 'true' '1.5' '"5001"'; do
  echo "{\"berth_lock\": 1, \"apps\": [{\"model\": \"c\", \"app\": 1, \"pool\": \"apps\", \"ports\": {\"backend\": $bad, \"frontend\": 8001}, \"project\": \"c-app1\"}]}" >"$TMP/lock-num.json"
  expect_error 2 "port 'backend' (must be a whole number|.* is out of range)" --store "$S" plan "$TMP/plan1.json" --lock "$TMP/lock-num.json"
done
for bad in 'true' '1.9' '1e3' '"2"' '0' '1000001'; do
  echo "[{\"model\": \"n\", \"app\": $bad}]" >"$TMP/num.json"
  expect_error 2 "entry 1: 'app' (must be a whole number|.* is out of range)" --store "$S" reserve --batch "$TMP/num.json"
done
# The earlier system's records write numbers as digit strings: those are read, nothing else.
for bad in 'true' '1.9' '1e3' '"2x"' '"-2"' '" 2"' '""' '0' '1000001' '"1000001"'; do
  echo "[{\"model\": \"n\", \"app_number\": $bad, \"backend_port\": 5101, \"frontend_port\": 8101}]" >"$TMP/num.json"
  expect_error 2 "entry 1: 'app_number' (must be a whole number|.* is out of range)" --store "$S" import "$TMP/num.json"
done
echo '[{"model": "n", "app_number": 1, "backend_port": true, "frontend_port": 8101}]' >"$TMP/num.json"
expect_error 2 "'backend_port' must be a whole number, not true" --store "$S" import "$TMP/num.json"
echo '{"berth_export":1,"pools":[{"name":"wide","step":1,"ports":[{"name":"web","first":70001,"last":70101}]}]}' >"$TMP/num.json"
expect_error 2 "pool 1: port range 1: 'first' 70001 is out of range \(1 to 65535\)" --store "$S" import "$TMP/num.json"
echo '{"berth_export":1,"pools":[{"name":"wide","step":65537,"ports":[{"name":"web","first":20001,"last":20101}]}]}' >"$TMP/num.json"
expect_error 2 "pool 1: 'step' 65537 is out of range" --store "$S" import "$TMP/num.json"
store_unchanged "family 8"

# --- 9. Two scaffolds into one folder take turns; a folder belongs to one app --------------------
# Two scaffolds of one app race: both succeed, one after the other.
for round in 1 2 3; do
  "$BERTH" --store "$S" scaffold race 1 --out "$TMP/race" -q 2>/dev/null &
  "$BERTH" --store "$S" scaffold race 1 --out "$TMP/race" -q 2>/dev/null &
  wait
  expect_ok --store "$S" scaffold race 1 --out "$TMP/race" --dry-run --json
  expect_json '"kept":[]'
done
# Two different apps race for one folder, 20 rounds: one wins, the other is refused (exit 3,
# nothing reserved for it), and the folder holds the winner's files only.
for round in $(seq 20); do
  dir="$TMP/race2-$round"
  "$BERTH" --store "$S" scaffold racer "$round" --out "$dir" -q 2>"$TMP/r1.err" &
  p1=$!
  "$BERTH" --store "$S" scaffold other/racer "$round" --out "$dir" -q 2>"$TMP/r2.err" &
  p2=$!
  wait "$p1"; rc1=$?
  wait "$p2"; rc2=$?
  if [ "$rc1" -eq 0 ] && [ "$rc2" -eq 3 ]; then winner=racer; loser=other/racer; err="$TMP/r2.err"
  elif [ "$rc1" -eq 3 ] && [ "$rc2" -eq 0 ]; then winner=other/racer; loser=racer; err="$TMP/r1.err"
  else fail "family 9: round $round: exits $rc1 and $rc2, expected 0 and 3 in some order"; continue; fi
  grep -q "is the folder of '$winner' app $round" "$err" && pass || fail "family 9: round $round: $(cat "$err")"
  expect_ok --store "$S" scaffold "$winner" "$round" --out "$dir" --dry-run --json
  expect_json '"kept":[]'
  expect_json '"written":[]'
  expect_fail 2 "is not reserved" --store "$S" show "$loser" "$round"
done
expect_fail 3 "is the folder of '(other/)?racer' app 1" --store "$S" scaffold intruder 1 --out "$TMP/race2-1"
[ "$(grep -o '"model": "[^"]*"' "$TMP/race2-1/.berth-manifest.json")" != '"model": "intruder"' ] && pass || fail "family 9: the refused scaffold claimed the folder"
"$BERTH" --store "$S" scaffold intruder 1 --out "$TMP/race2-1" --force -q 2>/dev/null
grep -q '"model": "intruder"' "$TMP/race2-1/.berth-manifest.json" && pass || fail "family 9: --force did not re-target the folder"

for m in race racer other/racer intruder; do "$BERTH" --store "$S" release "$m" --all --force >/dev/null 2>&1; done
before=$(snapshot)

# --- 10. The store is never reset or half-imported ------------------------------------------------
expect_ok --store "$TMP/wide" pool set apps --range backend=5001-9999 --range frontend=10001-14999
expect_ok --store "$TMP/wide" reserve w 1
expect_ok --store "$TMP/wide" export -o "$TMP/wide.json"
expect_ok --store "$TMP/empty" import "$TMP/wide.json"
expect_ok --store "$TMP/empty" pool show --json
expect_json '"first":10001'

# --- 11. Bounded time: globs, unterminated defaults, FIFOs ----------------------------------------
mkdir -p "$TMP/tglob/files"
echo '{"name": "g", "copy": ["*a*a*a*a*a*a*a*a*a*a*a*a*b"]}' >"$TMP/tglob/template.json"
echo x >"$TMP/tglob/files/$(printf 'a%.0s' {1..60})"
timeout 20 "$BERTH" --store "$S" scaffold g 1 --template "$TMP/tglob" --out "$TMP/g" --dry-run >/dev/null 2>&1
expect_eq "family 11: pathological glob finishes" "$?" 0
mkdir -p "$TMP/tdef/files"
echo '{"name": "d"}' >"$TMP/tdef/template.json"
head -c 655360 /dev/zero | tr '\0' 'x' | sed 's/xxxx/{{a|/g' >"$TMP/tdef/files/big.txt"
timeout 20 "$BERTH" --store "$S" scaffold d 1 --template "$TMP/tdef" --out "$TMP/d" --dry-run >/dev/null 2>&1
expect_eq "family 11: 640 KB of unterminated defaults renders (exit 0: they are plain text)" "$?" 0
mkdir -p "$TMP/fifo-ov"
mkfifo "$TMP/fifo-ov/pipe"
timeout 20 "$BERTH" --store "$S" scaffold p 1 --out "$TMP/p" --overlay "$TMP/fifo-ov" >"$OUT" 2>"$ERR"
RC=$?
expect_eq "family 11: FIFO in an overlay is refused at once" "$RC" 2
grep -q "overlay entry 'pipe' .* is not a regular file" "$ERR" && pass || fail "family 11: FIFO message"
store_unchanged "family 11"

# --- 12. Values are safe in every file they are written into ---------------------------------------
expect_error 2 "contains a control character or line separator" --store "$S" reserve $'m\xe2\x80\xa8evil: 1'  1
expect_error 2 "variable 'app_title' value .* contains a control character or line separator" --store "$S" scaffold v 1 --out "$TMP/v" --set "app_title=$(printf 'a\nb')"
expect_ok --store "$S" scaffold v 1 --out "$TMP/v" -q --set "app_title=Q\"uo'te\\ é"
/usr/bin/python3 -c "import ast,sys; ast.parse(open(sys.argv[1]).read())" "$TMP/v/backend/app.py" && pass ||
  fail "family 12: app.py is not valid Python"
grep -q 'APP_TITLE = "Q\\"uo'"'"'te\\\\ \\u00e9"' "$TMP/v/backend/app.py" && pass || fail "family 12: title not escaped as expected"

# --- 13. The rest ---------------------------------------------------------------------------------
# --force removes a kept stale file, as the warning says.
cp -r "$TEMPLATE" "$TMP/ts"
expect_ok --store "$S" scaffold st 1 --template "$TMP/ts" --out "$TMP/st" -q
echo "# mine" >>"$TMP/st/README.md"
rm "$TMP/ts/files/README.md"
expect_ok --store "$S" scaffold st 1 --template "$TMP/ts" --out "$TMP/st" -q
[ -f "$TMP/st/README.md" ] && pass || fail "family 13: edited stale file removed without --force"
expect_ok --store "$S" scaffold st 1 --template "$TMP/ts" --out "$TMP/st" -q
grep -q "README.md" "$ERR" && pass || fail "family 13: second run forgot the kept stale file"
expect_ok --store "$S" scaffold st 1 --template "$TMP/ts" --out "$TMP/st" -q --force
[ ! -e "$TMP/st/README.md" ] && pass || fail "family 13: --force did not remove the kept stale file"
# Two template files rendering to one path.
mkdir -p "$TMP/tdup/files"
echo '{"name": "dup", "variables": {"x": {"default": "a"}}}' >"$TMP/tdup/template.json"
echo 1 >"$TMP/tdup/files/a"
echo 2 >"$TMP/tdup/files/{{x}}"
expect_error 2 "renders to 'a', which another template file also renders to" --store "$S" scaffold dup 1 --template "$TMP/tdup" --out "$TMP/dup"
# Manifest limits: glob length, port names, variable defaults, name lengths.
mkdir -p "$TMP/tlim/files"
echo x >"$TMP/tlim/files/a"
printf '{"name": "lim", "copy": ["%s"]}' "$(printf '*%.0s' {1..1100})" >"$TMP/tlim/template.json"
expect_error 2 "glob '\*+'\.\.\. is longer than 1024 bytes" --store "$S" scaffold lim 1 --template "$TMP/tlim" --out "$TMP/lim"
echo '{"name": "lim", "ports": ["Backend"]}' >"$TMP/tlim/template.json"
expect_error 2 "port name 'Backend' is invalid" --store "$S" scaffold lim 1 --template "$TMP/tlim" --out "$TMP/lim"
printf '{"name": "lim", "variables": {"t": {"default": "a\\nb"}}}' >"$TMP/tlim/template.json"
expect_error 2 "variable 't''s default .* contains a control character" --store "$S" scaffold lim 1 --template "$TMP/tlim" --out "$TMP/lim"
echo '{"name": "lim", "variables": {"t": {"default": "x"}}}' >"$TMP/tlim/template.json"
rm "$TMP/tlim/files/a"
echo x >"$TMP/tlim/files/{{t}}"
expect_error 2 "has a component of 300 bytes; file names hold at most 255" --store "$S" scaffold lim 1 --template "$TMP/tlim" --out "$TMP/lim" --set "t=$(printf 'x%.0s' {1..300})"
[ ! -e "$TMP/lim" ] && pass || fail "family 13: refused template left a folder"
# A declared variable in berth's *_json namespace.
mkdir -p "$TMP/tshadow/files"
echo '{"name": "sh", "variables": {"model_json": {"default": "x"}}}' >"$TMP/tshadow/template.json"
echo '{{model_json}}' >"$TMP/tshadow/files/f"
expect_error 2 "declares variable 'model_json'; names ending in _json are berth's" --store "$S" scaffold sh 1 --template "$TMP/tshadow" --out "$TMP/sh"
# --out with a trailing slash.
expect_ok --store "$S" scaffold slash 1 --out "$TMP/newdir/" -q
[ -f "$TMP/newdir/docker-compose.yml" ] && pass || fail "family 13: --out newdir/"
# --touch leaves the user's own files' times alone.
echo mine >"$TMP/newdir/notes.txt"
cp "$TMP/newdir/docker-compose.yml" "$TMP/compose.bak"
echo "# mine" >>"$TMP/newdir/docker-compose.yml"
touch -d '2001-01-01' "$TMP/newdir/notes.txt" "$TMP/newdir/docker-compose.yml"
expect_ok --store "$S" scaffold slash 1 --out "$TMP/newdir" -q --touch
expect_eq "family 13: --touch on an edited file" "$(stat -c %Y "$TMP/newdir/docker-compose.yml")" "$(date -d 2001-01-01 +%s)"
# --out inside --overlay.
mkdir -p "$TMP/ovl/backend"
echo x >"$TMP/ovl/backend/extra.py"
expect_error 2 "overlap; the app folder must lie outside its overlay" --store "$S" scaffold o 1 --out "$TMP/ovl/app" --overlay "$TMP/ovl"
# Nested app folders in one plan.
echo "[{\"model\": \"n\", \"app\": 1, \"out\": \"$TMP/nest\"}, {\"model\": \"n\", \"app\": 2, \"out\": \"$TMP/nest/inner\"}]" >"$TMP/plan-nest.json"
expect_error 2 "lies inside the folder of entry 1" --store "$S" plan "$TMP/plan-nest.json"
# A store on a read-only mount can be listed and checked (skipped where bind mounts are not allowed).
mkdir -p "$TMP/ro"
if mount --bind -o ro "$S" "$TMP/ro" 2>/dev/null && ! touch "$TMP/ro/probe" 2>/dev/null; then
  expect_ok --store "$TMP/ro" list
  expect_ok --store "$TMP/ro" check
  expect_error 1 "Read-only file system" --store "$TMP/ro" reserve ro 1
  umount "$TMP/ro"
else
  umount "$TMP/ro" 2>/dev/null
  echo "note: read-only mount not possible here; that check was skipped"
fi

finish
