#!/usr/bin/env bash
# The berth CLI against fresh stores: the seed table, idempotence, release, list, check, stats,
# import/export, pools, and where the store lives.
source "$(dirname "$0")/lib.sh" "$1"

S="$TMP/store"
A=anthropic_claude-4.5-haiku-20251001
O=openai_gpt-5-mini-2025-08-07

# Seed 000's table, in reservation order.
for m in $A $O; do for n in 1 2 3; do expect_ok --store "$S" reserve "$m" "$n"; done; done
berth --store "$S" list
cat >"$TMP/expected" <<TABLE
Model                                App  Backend  Frontend  Project
$A  1    5001     8001      anthropic-claude-4-5-haiku-20251001-app1
$A  2    5003     8003      anthropic-claude-4-5-haiku-20251001-app2
$A  3    5005     8005      anthropic-claude-4-5-haiku-20251001-app3
$O         1    5007     8007      openai-gpt-5-mini-2025-08-07-app1
$O         2    5009     8009      openai-gpt-5-mini-2025-08-07-app2
$O         3    5011     8011      openai-gpt-5-mini-2025-08-07-app3
TABLE
if diff "$TMP/expected" "$OUT" >/dev/null; then pass; else fail "seed table differs: $(diff "$TMP/expected" "$OUT")"; fi

# Global options may come before or after the command.
expect_ok list --store "$S" --json
expect_out '"model": "openai_gpt-5-mini-2025-08-07"'
expect_out '"backend": 5011'
expect_out '"project": "openai-gpt-5-mini-2025-08-07-app3"'
expect_out '"pool": "apps"'
expect_out '"app": 3'
expect_ok --store "$S" list --model "$O"
expect_eq "rows for one model" "$(wc -l <"$OUT")" 4

# Reserving again returns the same record; the store is not written.
before=$(stat -c %Y.%s "$S/data.mdb")
expect_ok --store "$S" --json reserve "$A" 2
expect_out '"created": false'
expect_out '"backend": 5003'
expect_eq "data.mdb untouched by a repeated reserve" "$(stat -c %Y.%s "$S/data.mdb")" "$before"

# Pins, and a pinned reservation shown in the table.
expect_ok --store "$S" --json reserve pinned/model 1 --port backend=20001 --port frontend=20002
expect_out '"pinned": \['
expect_out '"backend": 20001'

# Release, gap filling, release --all.
expect_ok --store "$S" release "$A" 2
expect_out "released '$A' app 2 \(anthropic-claude-4-5-haiku-20251001-app2\)"
expect_ok --store "$S" reserve newcomer 1
expect_out 'newcomer +1 +5003 +8003 +newcomer-app1'
expect_ok --store "$S" --json release "$O" --all
expect_out '"app": 3'
expect_ok --store "$S" list --model "$O"
expect_out '^no reservations$'

# check and stats.
expect_ok --store "$S" check
expect_out '^ok: 4 reservation\(s\)'
expect_ok --store "$S" --json check
expect_out '"ok": true'
expect_out '"reservations": 4'
expect_ok --store "$S" stats
expect_out '^apps +1500 +4 +1494 +2 +0$'
expect_ok --store "$S" --json stats
expect_out '"highest_slot": 2'

# export is byte-stable, and import turns it back into the same reservations.
expect_ok --store "$S" export -o "$TMP/export1.json"
expect_ok --store "$S" export
cmp -s "$OUT" "$TMP/export1.json" && pass || fail "export to stdout and to a file differ"
expect_ok --store "$TMP/copy" import "$TMP/export1.json"
expect_out '^imported 4 reservation\(s\), 0 already present$'
expect_ok --store "$TMP/copy" export -o "$TMP/export2.json"
cmp -s "$TMP/export1.json" "$TMP/export2.json" && pass || fail "export -> import -> export is not byte-identical"
expect_ok --store "$TMP/copy" import "$TMP/export1.json"
expect_out '^imported 0 reservation\(s\), 4 already present$'

# Seed 001's port_config.json.
cat >"$TMP/port_config.json" <<'JSON'
[
  {"model": "anthropic_claude-3.7-sonnet", "app_number": 1, "backend_port": 5001, "frontend_port": 8001},
  {"model": "anthropic_claude-3.7-sonnet", "app_number": 2, "backend_port": 5003, "frontend_port": 8003},
  {"model": "legacy/odd", "app_number": 7, "backend_port": 6101, "frontend_port": 9101}
]
JSON
expect_ok --store "$TMP/seed" import "$TMP/port_config.json"
expect_out 'imported 3'
expect_ok --store "$TMP/seed" reserve fresh 1
expect_out 'fresh +1 +5005 +8005'
expect_ok --store "$TMP/seed" check

# Pools and excluded ports.
P="$TMP/pools"
expect_fail 2 "no berth store in '$P'" --store "$P" pool
expect_ok --store "$P" config skip-busy off  # any command that writes creates the store
expect_ok --store "$P" pool
expect_out '^apps +backend=5001-7999 frontend=8001-10999 +2 +1500 +apps$'
expect_out '^preview +port=32100-32200 +1 +101 +lease$'
expect_out '^Excluded: .*5432.*8080'
expect_ok --store "$P" pool set side --range web=31100-31200
expect_out '^side +web=31100-31200 +1 +101 +apps$'
expect_ok --store "$P" --json reserve app-56 1 --pool side
expect_out '"web": 31100'
expect_ok --store "$P" pool exclude 31101
expect_ok --store "$P" reserve app-57 1 --pool side
expect_out '31102'
expect_ok --store "$P" pool include 31101
expect_ok --store "$P" reserve app-58 1 --pool side
expect_out '31101'
expect_ok --store "$P" list
expect_out '^Model +App +Web +Project$'
expect_ok --store "$P" reserve default-pool 1
expect_ok --store "$P" list
expect_out '^Model +App +Pool +Web +Backend +Frontend +Project$'
expect_out '^app-56 +1 +side +31100 +- +- +app-56-app1$'
expect_ok --store "$P" pool set spare --range a=40000-40010 --allow-ephemeral
expect_ok --store "$P" pool remove spare
expect_ok --store "$P" --json pool show
expect_out '"name": "side"'
expect_out '"kind": "lease"'

# Where the store lives: --store, then $BERTH_STORE, $XDG_STATE_HOME/berth, ~/.local/state/berth.
expect_ok reserve home 1
[ -f "$HOME/.local/state/berth/data.mdb" ] && pass || fail "default store not under ~/.local/state/berth"
XDG_STATE_HOME="$TMP/xdg" "$BERTH" reserve xdg 1 >/dev/null
[ -f "$TMP/xdg/berth/data.mdb" ] && pass || fail "\$XDG_STATE_HOME/berth not used"
BERTH_STORE="$TMP/env-store" XDG_STATE_HOME="$TMP/xdg" "$BERTH" reserve env 1 >/dev/null
[ -f "$TMP/env-store/data.mdb" ] && pass || fail "\$BERTH_STORE not used"
expect_eq "\$BERTH_STORE wins over XDG" "$(BERTH_STORE="$TMP/env-store" "$BERTH" list --model xdg)" "no reservations"

# A batch prints its releases as releases, not as reservation rows.
echo '[{"model": "batch", "app": 1}, {"model": "batch", "app": 2}]' >"$TMP/b1.json"
expect_ok --store "$TMP/bs" reserve --batch "$TMP/b1.json"
echo '[{"model": "batch", "app": 3}, {"model": "batch", "app": 1, "op": "release"}]' >"$TMP/b2.json"
expect_ok --store "$TMP/bs" reserve --batch "$TMP/b2.json"
expect_out '^batch +3 '
expect_out "^released 'batch' app 1 \(batch-app1\)$"
! grep -q '^batch +1 ' "$OUT" && pass || fail "a released entry is shown as a reservation"
echo '[{"model": "batch", "app": 2, "op": "release"}]' >"$TMP/b3.json"
expect_ok --store "$TMP/bs" --json reserve --batch "$TMP/b3.json"
expect_json '"op":"release"'

# Namespaces: the same model and number, kept apart; the empty namespace is today's apps.
N="$TMP/ns"
expect_ok --store "$N" reserve m 1
expect_ok --store "$N" --namespace task-b reserve m 1
expect_out '^task-b +m +1 +5003 +8003 +task-b-m-app1$'
expect_ok --store "$N" reserve m 1 --namespace task-b  # after the command too
expect_out 'task-b-m-app1$'
echo '[{"model": "m", "app": 2}, {"model": "m", "app": 2, "namespace": "task-c"}]' >"$TMP/ns.json"
expect_ok --store "$N" --namespace task-b reserve --batch "$TMP/ns.json"
expect_out '^task-b +m +2 .* task-b-m-app2$'
expect_out '^task-c +m +2 .* task-c-m-app2$'
expect_ok --store "$N" list --namespace task-b
expect_eq "list --namespace" "$(grep -c ' m ' "$OUT")" 2
expect_ok --store "$N" --json list --namespace task-c
expect_json '"namespace":"task-c"'
# `list --json` is written an object at a time: the bytes of the whole array indented by two,
# keys sorted (what Python's json module prints for the same data), empty arrays as `[]`.
expect_ok --store "$N" --json list
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False, sort_keys=True) + "\n")' "$OUT" |
  cmp -s - "$OUT" && pass || fail "list --json is not the indented array: $(head -5 "$OUT")"
expect_ok --store "$N" --json list --model nobody
expect_eq "an empty list" "$(cat "$OUT")" "[]"
# A list longer than the 64 KiB pieces it is kept in until it is whole.
python3 -c 'import json; print(json.dumps([{"model": f"org/m{i % 7}", "app": i} for i in range(1, 401)]))' >"$TMP/400.json"
expect_ok --store "$TMP/400" reserve --batch "$TMP/400.json"
expect_ok --store "$TMP/400" --json list
expect_eq "a list of 400 apps, past one piece" "$(($(wc -c <"$OUT") > 65536))" 1
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False, sort_keys=True) + "\n")' "$OUT" |
  cmp -s - "$OUT" && pass || fail "list --json of 400 apps is not the indented array"
# Every field, written without a DOM: a pin, an owner, an extra pool, a namespace, a use, and a
# model name with quotes, a backslash and UTF-8.
F="$TMP/fields"
expect_ok --store "$F" reserve 'q"uo\te/modèle' 1 --port frontend=8101 --owner proj --extra nodeport
expect_ok --store "$F" --namespace ns-a scaffold m 2 --out "$TMP/fields-app" -q
expect_ok --store "$F" --json list
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.stdout.write(json.dumps(d, indent=2, ensure_ascii=False, sort_keys=True) + "\n")' "$OUT" |
  cmp -s - "$OUT" && pass || fail "list --json with every field is not the indented array: $(cat "$OUT")"
python3 - "$OUT" "$TMP/fields-app" <<'PY' && pass || fail "list --json fields: $(cat "$OUT")"
import json, sys
apps = json.load(open(sys.argv[1]))  # in key order: the namespace first
m, q = apps if apps[0]["model"] == "m" else apps[::-1]
assert q["model"] == 'q"uo\\te/modèle' and q["owner"] == "proj" and q["extra"] == ["nodeport"], q
assert q["pinned"] == ["frontend"] and q["ports"]["frontend"] == 8101 and "node" in q["ports"], q
assert q["uses"] == [] and q["created"].endswith("Z") and isinstance(q["slot"], int), q
assert m["namespace"] == "ns-a" and m["uses"][0]["kind"] == "app", m
assert m["uses"][0]["path"] == sys.argv[2], (m["uses"][0]["path"], sys.argv[2])
assert "owner" not in m and "extra" not in m, m
PY
expect_ok --store "$N" --namespace task-b release m --all
expect_out "^released 'm' app 1 in namespace 'task-b' \(task-b-m-app1\)$"
expect_out "^released 'm' app 2 in namespace 'task-b'"
expect_ok --store "$N" show m 1  # the app of no namespace is still there
expect_ok --store "$N" export
expect_json '"namespace":"task-c"'
expect_fail 2 "namespace 'Task B' must be 1 to 24 lowercase letters" --store "$N" --namespace 'Task B' reserve m 1
expect_fail 2 "--namespace is empty" --store "$N" --namespace '' reserve m 1
echo '[{"model": "m", "app": 3, "namespace": "UP"}]' >"$TMP/ns-bad.json"
expect_fail 2 "ns-bad.json: entry 1: namespace 'UP' must be" --store "$N" reserve --batch "$TMP/ns-bad.json"
expect_fail 2 "not reserved" --store "$N" --namespace task-z show m 1

expect_ok --help
expect_out 'reserve'
# Every help ends with an example that runs; the man page and the completions are written from
# the same definitions as the help.
python3 "$(dirname "$0")/help_check.py" "$BERTH" >"$OUT" 2>&1 && pass || fail "$(cat "$OUT")"
"$BERTH" __generate bash | bash -n && pass || fail "the bash completion is not valid bash"
# `berth help X` and `berth X --help` print the same text, for every command and subcommand.
berth frobnicate
commands=$(sed -n 's/.*; commands: //p' "$ERR" | tr -d ',')
[ "$(echo "$commands" | wc -w)" -gt 20 ] && pass || fail "no command list: $(cat "$ERR")"
for c in "" $commands "pool set" "pool show" "lease acquire" "template init" "config skip-busy"; do
  # shellcheck disable=SC2086
  "$BERTH" help $c >"$TMP/help-verb" 2>&1
  # shellcheck disable=SC2086
  "$BERTH" $c --help >"$TMP/help-flag" 2>&1
  cmp -s "$TMP/help-verb" "$TMP/help-flag" && grep -q "^Usage: berth" "$TMP/help-verb" && pass ||
    fail "berth help $c differs from berth $c --help"
done
# One version, in one place: the project() call of berth's CMakeLists.
version=$(sed -n 's/^project(berth VERSION \([0-9.]*\) .*/\1/p' "$(dirname "$0")/../../CMakeLists.txt")
expect_ok --version
expect_out "^berth ${version//./\\.}\$"

finish
