#!/usr/bin/env bash
# The hostile suite, second round: the commands that came after the first round (leases, extra
# pools, prune, backfill, import --sqlite, variants, needs, k8s/), one block per family of
# docs/guarantees.md (14 to 18), then every command fed wrong-typed, empty, huge, out-of-range
# and injected values: each answers with `berth: error:` and its documented exit code, never a
# signal, and leaves the store as it was.
#   bash round2_test.sh <berth>
source "$(dirname "$0")/lib.sh" "$1"

# The backend port an app folder's .env names, and the one its reservation holds.
env_port() { sed -n 's/^BACKEND_PORT=//p' "$1/.env"; }
held_port() { "$BERTH" --store "$2" --json show "$1" 1 2>/dev/null | sed -n 's/^ *"backend": \([0-9]*\).*/\1/p'; }

# --- 14. Prune never releases an app whose folder exists when it commits ----------------------
P="$TMP/pstore"
expect_ok --store "$P" scaffold m 1 --out "$TMP/p/app1" -q
rm -rf "$TMP/p/app1"
# Made deterministic: prune stops between choosing (the folder is gone) and releasing, a
# scaffold writes the folder again from the existing reservation, then prune goes on.
BERTH_FAULT=stall-before-prune BERTH_FAULT_RESUME="$TMP/resume" \
  "$BERTH" --store "$P" prune >"$TMP/prune.out" 2>"$TMP/prune.err" &
pid=$!
for _ in $(seq 500); do grep -q 'stalling before prune' "$TMP/prune.err" && break; sleep 0.02; done
grep -q 'stalling before prune' "$TMP/prune.err" && pass || fail "family 14: prune did not stall"
expect_ok --store "$P" scaffold m 1 --out "$TMP/p/app1" -q
touch "$TMP/resume"
wait "$pid"
expect_eq "family 14: prune exit" "$?" 0
grep -q "kept 'm' app 1" "$TMP/prune.out" && pass || fail "family 14: prune released an app whose folder is back: $(cat "$TMP/prune.out")"
expect_eq "family 14: the folder's .env is the reservation's" "$(env_port "$TMP/p/app1")" "$(held_port m "$P")"
expect_ok --store "$P" reserve other 1
[ "$(held_port other "$P")" != "$(env_port "$TMP/p/app1")" ] && pass || fail "family 14: another app got the folder's port"
# As a loop: prune and a scaffold into the removed folder race, 20 rounds; whatever the order,
# an app folder that exists afterwards holds its reservation's ports.
for round in $(seq 20); do
  rm -rf "$TMP/p/app1"
  "$BERTH" --store "$P" prune >/dev/null 2>&1 &
  "$BERTH" --store "$P" scaffold m 1 --out "$TMP/p/app1" -q 2>/dev/null
  wait
  if [ -f "$TMP/p/app1/.env" ]; then
    expect_eq "family 14: round $round" "$(env_port "$TMP/p/app1")" "$(held_port m "$P")"
  fi
done
expect_ok --store "$P" check

# --- 15. An app's port names differ across its own pool and its extra pools -------------------
expect_error 2 "--extra 'nodeport' is given twice" --store "$S" reserve x 1 --extra nodeport --extra nodeport
expect_error 3 "port name 'backend' is already a port name of pool 'apps'" --store "$S" pool set z --extra --range backend=20000-20010
store_unchanged "family 15"
expect_ok --store "$S" reserve x 2 --extra nodeport
expect_error 3 "is already a port name of extra pool 'nodeport'" --store "$S" pool set y --extra --range node=21000-21010
expect_error 3 "port name 'node' is already a port name of extra pool 'nodeport'" --store "$S" pool set team --range node=20000-20010 --range web=20100-20110
expect_ok --store "$S" release x 2
before=$(snapshot)

# --- 16. A damaged or foreign store ends in one clear error --------------------------------------
# Something else's LMDB environment: a named database `foo` and a main-database key.
F="$TMP/foreign"
mkdir -p "$F"
printf 'key\nvalue\n' | mdb_load -T -s foo "$F"
printf 'key\nvalue\n' | mdb_load -T "$F"
cp "$F/data.mdb" "$TMP/foreign.before"
expect_error 1 "holds an LMDB database that berth did not write .*'foo'" --store "$F" reserve m 1
expect_error 1 "did not write" --store "$F" list
cmp -s "$F/data.mdb" "$TMP/foreign.before" && pass || fail "family 16: the foreign environment was changed"
# A pool record with no ranges (the allocator once crashed on it).
D="$TMP/damaged"
expect_ok --store "$D" reserve m 1
printf 'apps\n{"name":"apps","ports":[],"step":2}\n' | mdb_load -T -s pools "$D"
expect_error 1 "store pool record 'apps' is damaged: pool 'apps': names no ports" --store "$D" reserve m 2
expect_error 3 "check found 1 problem" --store "$D" check
expect_out "store pool record 'apps' is damaged: pool 'apps': names no ports"
# A high-water mark beyond the pool's slots is a damaged store, not a full pool.
H="$TMP/high"
expect_ok --store "$H" reserve m 1
printf 'high\\00apps\n\\ff\\ff\\ff\\f0\n' | mdb_load -T -s meta "$H"
expect_error 1 "high-water mark of pool 'apps' .* is beyond .* the store is damaged" --store "$H" reserve m 2
# A settings record that is not JSON, a lease pool with two ranges, an empty ports value.
C="$TMP/checked"
expect_ok --store "$C" reserve m 1
printf 'settings\nnot json\n' | mdb_load -T -s meta "$C"
printf 'preview\n{"kind":"lease","name":"preview","ports":[{"first":32100,"last":32200,"name":"port"},{"first":32300,"last":32400,"name":"other"}],"step":1}\n' |
  mdb_load -T -s pools "$C"
expect_error 3 "check found 1 problem" --store "$C" check
expect_out "store pool record 'preview' is damaged: pool 'preview': a lease pool has one range"
C2="$TMP/checked2"
expect_ok --store "$C2" reserve m 1
printf 'settings\nnot json\n' | mdb_load -T -s meta "$C2"
printf '\\13\\89\n\n' | mdb_load -T -s ports "$C2"
expect_error 3 "check found 3 problem" --store "$C2" check
expect_out "settings record .* is not a JSON object"
expect_out "index ports: store holds a malformed app key"
# Flipped bytes in the data file: every command ends in one `berth: error:` line (LMDB's own
# consistency checks would abort, and a page that points past the map would crash), naming the
# store and the way back. Four bytes are flipped at each of a range of page-header offsets.
B="$TMP/bytes"
for i in $(seq 200); do echo "{\"model\": \"m$i\", \"app\": 1}"; done | paste -sd, | sed 's/^/[/; s/$/]/' >"$TMP/200.json"
expect_ok --store "$B" reserve --batch "$TMP/200.json"
cp "$B/data.mdb" "$TMP/bytes.mdb"
asserted=0
crashed=0
for page in $(seq 2 14); do
  for at in 8 12 16; do
    for cmd in check export list doctor; do
      cp "$TMP/bytes.mdb" "$B/data.mdb"
      printf '\xff\xff\xff\xff' | dd of="$B/data.mdb" bs=1 seek=$((4096 * page + at)) conv=notrunc 2>/dev/null
      berth --store "$B" $cmd
      if [ "$RC" -ge 128 ]; then
        fail "family 16: '$cmd' with page $page byte $at flipped died with signal $((RC - 128))"
      elif [ "$RC" -ne 0 ] && ! head -n1 "$ERR" | grep -q '^berth: error: '; then
        fail "family 16: '$cmd' with page $page byte $at flipped: $(head -c 300 "$ERR")"
      else
        pass
      fi
      grep -q "is damaged (LMDB: .*Assertion" "$ERR" && asserted=$((asserted + 1))
      grep -q "is damaged: reading it crashed" "$ERR" && crashed=$((crashed + 1))
    done
  done
done
cp "$TMP/bytes.mdb" "$B/data.mdb"
[ "$asserted" -gt 0 ] && pass || fail "family 16: no flip reached an LMDB assertion (choose other offsets)"
[ "$crashed" -gt 0 ] && pass || fail "family 16: no flip made LMDB read past its map (choose other offsets)"

# A full disk is named as such (LMDB reports a short write as an I/O error).
mkdir -p "$TMP/small"
if mount -t tmpfs -o size=2m tmpfs "$TMP/small" 2>/dev/null; then
  expect_ok --store "$TMP/small/s" reserve m 1
  dd if=/dev/zero of="$TMP/small/fill" bs=64k 2>/dev/null
  long=$(printf 'f%.0s' {1..190})
  for i in $(seq 1400); do echo "{\"model\": \"$long$i\", \"app\": 1}"; done | paste -sd, | sed 's/^/[/; s/$/]/' >"$TMP/1400.json"
  expect_error 1 "the disk that holds it is full .* nothing was committed" --store "$TMP/small/s" reserve --batch "$TMP/1400.json"
  rm -f "$TMP/small/fill"
  expect_ok --store "$TMP/small/s" check
  umount "$TMP/small"
else
  echo "note: no tmpfs mount here; the full-disk check was skipped"
fi

# --- 17. Every value is checked where it is parsed ----------------------------------------------
expect_error 2 "--store is empty" --store '' list
BERTH_STORE= expect_error 2 "BERTH_STORE is set but empty" list
BERTH_NOW=99999999999999 expect_error 2 "BERTH_NOW '99999999999999' is not a time" --store "$S" lease acquire a
BERTH_NOW=' 5' expect_error 2 "BERTH_NOW ' 5' is not a time" --store "$S" lease acquire a
expect_error 2 "--ttl '' is not a duration" --store "$S" lease acquire a --ttl ''
expect_error 2 "--older-than '' is not a duration" --store "$S" prune --older-than ''
expect_error 2 "--range 'web=-5-10' is not NAME=FIRST-LAST" --store "$S" pool set w --range web=-5-10
for value in '{EVIL: 1}' 'a: b' '"x"' 'x\' '*x' ''; do
  expect_error 2 "variable 'k8s_service_type' value .* does not match its pattern" --store "$S" scaffold y 1 --out "$TMP/y" --set "k8s_service_type=$value"
  expect_error 2 "variable 'k8s_tag' value .* does not match its pattern" --store "$S" scaffold y 1 --out "$TMP/y" --set "k8s_tag=$value"
done
expect_error 2 "variable 'k8s_registry' value 'a: b' does not match" --store "$S" scaffold y 1 --out "$TMP/y" --set "k8s_registry=a: b"
expect_error 2 "variable 'python_image' value" --store "$S" scaffold y 1 --out "$TMP/y" --set 'python_image=python:3.12 # x'
expect_error 2 "variable 'k8s_memory_limit' value '1Gi.*' does not match" --store "$S" scaffold y 1 --out "$TMP/y" --set 'k8s_memory_limit=1Gi\n'
[ ! -e "$TMP/y" ] && pass || fail "family 17: a refused scaffold wrote its folder"
store_unchanged "family 17 (values)"
# Template manifests: a variable that is no placeholder key, a mode with a space, `needs` paths
# out of the app, two variants giving one file.
mk_template() {  # mk_template DIR JSON: a manifest beside one file
  mkdir -p "$1"
  echo "$2" >"$1/template.json"
  echo 'x={{app_num}}' >"$1/a.txt"
}
mk_template "$TMP/tv" '{"name": "tv", "variables": {"a-b": {"default": "1"}}}'
expect_error 2 "variable 'a-b' is not a placeholder key" --store "$S" scaffold y 1 --out "$TMP/y" --template "$TMP/tv"
mk_template "$TMP/tm" '{"name": "tm", "modes": {"a.txt": " 0755"}}'
expect_error 2 "mode \" 0755\" for 'a.txt' is not an octal mode" --store "$S" scaffold y 1 --out "$TMP/y" --template "$TMP/tm"
mk_template "$TMP/tn" '{"name": "tn", "needs": {"a.txt": {"../deps.txt": ["x"]}}}'
expect_error 2 "needs dependency list '../deps.txt' holds an empty, '.' or '..' component" --store "$S" scaffold y 1 --out "$TMP/y" --template "$TMP/tn"
mk_template "$TMP/tn2" '{"name": "tn2", "needs": {"/etc/passwd": {"a.txt": ["x"]}}}'
expect_error 2 "needs file '/etc/passwd' is empty or absolute" --store "$S" scaffold y 1 --out "$TMP/y" --template "$TMP/tn2"
mk_template "$TMP/td" '{"name": "td", "variables": {"v": {"default": "on"}, "w": {"default": "on"}},
  "variants": {"one": {"when": {"v": "on"}}, "two": {"when": {"w": "on"}}}}'
mkdir -p "$TMP/td/variants/one" "$TMP/td/variants/two"
echo one >"$TMP/td/variants/one/b.txt"
echo two >"$TMP/td/variants/two/b.txt"
expect_error 2 "variants 'one' and 'two' both apply and both provide 'b.txt'" --store "$S" scaffold y 1 --out "$TMP/y" --template "$TMP/td"
# A key given twice in one JSON object.
echo '[{"model": "d", "app": 1, "app": 2}]' >"$TMP/dup.json"
expect_error 2 "key 'app' appears twice in one object" --store "$S" reserve --batch "$TMP/dup.json"
# A key given twice, then a syntax error later in the file: the syntax error is the one reported.
echo '[{"model": "d", "app": 1, "app": 2}' >"$TMP/dup-broken.json"
expect_error 2 "is not valid JSON \(at byte" --store "$S" reserve --batch "$TMP/dup-broken.json"
mk_template "$TMP/tk" '{"name": "tk", "name": "tk2"}'
expect_error 2 "key 'name' appears twice" --store "$S" scaffold y 1 --out "$TMP/y" --template "$TMP/tk"
# A dangling symlink in an overlay is named as such.
mkdir -p "$TMP/ov"
ln -s "$TMP/nowhere" "$TMP/ov/gone.py"
expect_error 2 "overlay entry 'gone.py' .* is a dangling symlink" --store "$S" scaffold y 1 --out "$TMP/y" --overlay "$TMP/ov"
# Control bytes of a user's value are shown escaped, never sent to the terminal.
expect_error 2 "x1b" --store "$S" reserve $'m\x1b[31m' 1
store_unchanged "family 17 (files)"

# --- 18. Commands that only read work on a read-only store --------------------------------------
mkdir -p "$TMP/ro"
if mount --bind -o ro "$S" "$TMP/ro" 2>/dev/null && ! touch "$TMP/ro/probe" 2>/dev/null; then
  for cmd in list check stats export show\ owner\ 1 "reserve owner 1" "lease list" "pool show" \
             "prune --dry-run" doctor proxy; do
    expect_ok --store "$TMP/ro" $cmd
  done
  expect_error 1 "is open read-only \(Read-only file system\)" --store "$TMP/ro" reserve ro 1
  umount "$TMP/ro"
else
  umount "$TMP/ro" 2>/dev/null
  echo "note: read-only mount not possible here; family 18 was skipped"
fi

# --- Every command, hostile values ---------------------------------------------------------------
# code|arguments (split on spaces; '' marks an empty argument): each must exit with that code and
# a berth error, and change nothing.
huge=$(printf 'x%.0s' {1..5000})
mkdir -p "$TMP/bfroot"
while IFS='|' read -r code args; do
  [ -z "$code" ] && continue
  eval "set -- $args"
  expect_error "$code" "." --store "$S" "$@"
done <<CASES
2|reserve '' 1
2|reserve m 0
2|reserve m 1000001
2|reserve m -1
2|reserve m 1.5
2|reserve m 1 --port backend=70000
2|reserve m 1 --port backend=
2|reserve m 1 --port =5001
2|reserve m 1 --pool ''
2|reserve m 1 --extra ''
2|reserve $huge 1
2|release '' 1
2|release m x
2|show m ''
2|show '' 1
2|scaffold m 1 --out ''
2|scaffold m 1 --out $TMP/y --set =x
2|scaffold m 1 --out $TMP/y --set nope=1
2|scaffold m 1 --out $TMP/y --template ''
2|lease acquire ''
2|lease acquire a --ttl -5
2|lease acquire a --ttl 5y
2|lease acquire a --ttl 99999999999
2|lease acquire a --owner-pid 0
2|lease acquire a --owner-pid x
2|lease acquire a --pool apps
2|lease renew ''
2|lease expire --pool nope
2|pool set '' --range a=1-2
2|pool set p --range a=0-5
2|pool set p --range a=5-1
2|pool set p --range a=1-70000
2|pool set p --range a=x-y
2|pool set p --range a=1000-1100 --step 0
2|pool set p --range a=1000-1100 --step 70000
2|pool set p --extra --lease --range a=1000-1100
2|pool set p --extra --range a=1000-1100 --range b=2000-2100
2|pool exclude 0
2|pool exclude 70000
2|pool include x
2|pool remove ''
2|proxy --listen 0
2|proxy --listen 70000
2|proxy --format caddy
2|prune --older-than 5y
2|prune --model ''
2|config skip-busy maybe
2|config nope on
2|backfill $TMP/nothing-here
2|backfill $TMP/bfroot --jobs 0
2|backfill $TMP/bfroot --jobs 65
2|backfill $TMP/bfroot --app 0
2|backfill $TMP/bfroot --parts ,,
2|template init $TMP/nothing-here
2|templates --bogus
1|import $TMP/nothing-here.json
1|import --sqlite $TMP/nothing-here.db
2|plan $TMP/nothing-here.json --locked
2|doctor --build $TMP
CASES
store_unchanged "every command"

finish
