#!/usr/bin/env bash
# Runtime leases (seed 004's preview ports), end to end with the real berth: every verb and
# every error, a fixed clock ($BERTH_NOW) for expiry, a real process as a lease's owner, leases
# against reservations and pins, export/import, 16 processes at once, and the v1 -> v2 store
# migration.
source "$(dirname "$0")/lib.sh" "$1"
S="$TMP/store"
export BERTH_NOW=1800000000  # 2027-01-15T08:00:00Z
# Leases step over busy ports by default; other tests serve on lease ports meanwhile, so the
# stores whose exact ports are asserted here turn that off (tests/e2e/host_test.sh covers it).
"$BERTH" --store "$S" config skip-busy off >/dev/null

# acquire: lowest free port first, idempotent, renewing.
expect_ok --store "$S" lease acquire 56
expect_eq "first lease" "$(cat "$OUT")" 32100
expect_ok --store "$S" lease acquire 57
expect_eq "second lease" "$(cat "$OUT")" 32101
BERTH_NOW=1800000100 "$BERTH" --store "$S" lease acquire 56 >"$OUT"
expect_eq "the same id, the same port" "$(cat "$OUT")" 32100
expect_ok --store "$S" --json lease list
expect_json '"appId":"56","expires":"2027-01-15T08:16:40Z","lastActive":"2027-01-15T08:01:40Z","port":32100'
expect_json '"allocatedCount":2,"availableCount":99,"pool":"preview"'
# Odd ids are ids.
expect_ok --store "$S" lease acquire 'app/ünï cöde "x"'
expect_eq "odd id" "$(cat "$OUT")" 32102
expect_fail 2 "lease id is empty" --store "$S" lease acquire ''
expect_fail 2 "lease id .* contains a control character" --store "$S" lease acquire "$(printf 'a\tb')"
expect_fail 2 "lease id .* is 201 bytes; the limit is 200" --store "$S" lease acquire "$(printf 'x%.0s' {1..201})"
# release, and reuse lowest first.
expect_ok --store "$S" lease release 57
expect_out "released '57' \(port 32101\)"
expect_ok --store "$S" lease acquire 58
expect_eq "a released port is reused first" "$(cat "$OUT")" 32101
expect_fail 2 "no lease 'nope'; see .berth lease list." --store "$S" lease release nope
expect_fail 2 "no lease 'nope'" --store "$S" lease renew nope
# ttl: durations, renew, expiry against the fixed clock.
expect_ok --store "$S" lease acquire forever --ttl 0
expect_ok --store "$S" lease acquire short --ttl 90s
expect_fail 2 "--ttl '5x' is not a duration" --store "$S" lease acquire other --ttl 5x
BERTH_NOW=1800000200 "$BERTH" --store "$S" lease renew short --ttl 1h >/dev/null
expect_ok --store "$S" lease expire --dry-run
expect_out "dry run: 0 lease\(s\) would be freed"
BERTH_NOW=1800001000 "$BERTH" --store "$S" lease expire >"$OUT"
expect_out "expired '56' \(pool 'preview', port 32100"
grep -q "'short'\|'forever'" "$OUT" && fail "expire freed a lease still alive" || pass
BERTH_NOW=1800004000 "$BERTH" --store "$S" lease expire >"$OUT"
expect_out "expired 'short'"
grep -q "'forever'" "$OUT" && fail "a ttl-0 lease expired" || pass
# A dead owner: a real process, started and killed.
sleep 300 &
owner=$!
expect_ok --store "$S" lease acquire owned --owner-pid "$owner" --ttl 0
expect_ok --store "$S" lease expire
grep -q "'owned'" "$OUT" && fail "a live owner's lease expired" || pass
kill "$owner"
wait "$owner" 2>/dev/null
expect_ok --store "$S" lease expire
expect_out "expired 'owned'"
expect_fail 2 "--owner-pid '0' is not a process id" --store "$S" lease acquire x --owner-pid 0
BERTH_NOW=soon "$BERTH" --store "$S" lease acquire x >"$OUT" 2>"$ERR"
expect_eq "a bad BERTH_NOW exits 2" "$?" 2
grep -q "BERTH_NOW 'soon' is not a time in Unix seconds" "$ERR" && pass || fail "bad BERTH_NOW message"

# Leases, reservations and pins never share a port.
expect_ok --store "$S" lease acquire forever
port=$(cat "$OUT")
expect_fail 3 "port $port \(backend\) for 'm' app 1 is held by lease 'forever' \(pool 'preview'\)" --store "$S" reserve m 1 --port backend="$port"
expect_ok --store "$S" pool set pins --lease --range port=31501-31503
expect_ok --store "$S" reserve pinned 1 --port backend=31501
expect_ok --store "$S" lease acquire next --pool pins
expect_eq "a lease skips a pinned port" "$(cat "$OUT")" 31502
expect_fail 2 "pool 'preview' is a lease pool" --store "$S" reserve m 2 --pool preview
expect_fail 2 "pool 'apps' is not a lease pool; lease pools: pins, preview" --store "$S" lease acquire y --pool apps
expect_fail 3 "lease 'next' is held in pool 'pins', not 'preview'" --store "$S" lease acquire next --pool preview

# A full pool: reclaimable leases are reclaimed first (oldest first), else a clear error.
expect_ok --store "$S" pool set tiny --lease --range port=31001-31002
expect_ok --store "$S" lease acquire t1 --pool tiny --ttl 60
BERTH_NOW=1800000010 "$BERTH" --store "$S" lease acquire t2 --pool tiny --ttl 0 >/dev/null
expect_fail 1 "lease pool 'tiny' is full: all 2 ports are held and none may be reclaimed yet; the longest idle is 't1' \(port 31001" --store "$S" lease acquire t3 --pool tiny
BERTH_NOW=1800000100 "$BERTH" --store "$S" lease acquire t3 --pool tiny >"$OUT" 2>"$ERR"
expect_eq "a full pool reclaims an expired lease" "$(tail -n1 "$OUT")" 31001
grep -q "berth: reclaimed 't1'" "$OUT" && pass || fail "reclaimed lease not reported"
expect_fail 3 "pool 'tiny' holds 2 reservation\(s\) or lease\(s\)" --store "$S" pool remove tiny
expect_fail 3 "lease 't2': port 31002 would be outside the pool" --store "$S" pool set tiny --lease --range port=31001-31001
expect_fail 2 "a lease pool has one range" --store "$S" pool set two --lease --range a=31101-31102 --range b=31201-31202

# check and stats cover leases; export and import round-trip them.
expect_ok --store "$S" check
expect_ok --store "$S" stats
expect_out '^tiny +2 +2 +0 +- +0$'
expect_ok --store "$S" export -o "$TMP/export.json"
grep -q '"leases"' "$TMP/export.json" && pass || fail "export has no leases"
expect_ok --store "$TMP/copy" import "$TMP/export.json"
expect_ok --store "$TMP/copy" export
expect_eq "export, import, export" "$(cat "$OUT")" "$(cat "$TMP/export.json")"
"$BERTH" --store "$TMP/other" reserve taker 1 --port backend=32100 >/dev/null
echo '{"berth_export": 1, "leases": [{"id": "x", "pool": "preview", "port": 32100, "acquired": 1, "last_active": 1, "ttl": 0, "owner_pid": 0}]}' >"$TMP/lease-import.json"
expect_fail 3 "lease 'x': port 32100 \(backend\) is held by 'taker' app 1|lease 'x': port 32100 is held by 'taker' app 1" --store "$TMP/other" import "$TMP/lease-import.json"
echo '{"berth_export": 1, "leases": [{"id": "y", "pool": "preview", "port": 40000, "acquired": 1, "last_active": 1, "ttl": 0, "owner_pid": 0}]}' >"$TMP/lease-import.json"
expect_fail 3 "lease 'y': port 40000 is not in pool 'preview'" --store "$TMP/other" import "$TMP/lease-import.json"

# 16 processes at once: leases with overlapping and distinct ids, reservations in between.
C="$TMP/concurrent"
expect_ok --store "$C" config skip-busy off  # the store exists before the race
for p in $(seq 1 16); do
  (
    for i in 1 2 3 4 5 6; do
      "$BERTH" --store "$C" lease acquire "shared-$((i % 3))" >/dev/null 2>&1
      "$BERTH" --store "$C" lease acquire "own-$p-$i" >/dev/null 2>&1
      [ $((i % 2)) -eq 0 ] && "$BERTH" --store "$C" lease release "own-$p-$((i - 1))" >/dev/null 2>&1
      [ "$i" -eq 3 ] && "$BERTH" --store "$C" reserve "app-$p" 1 >/dev/null 2>&1
    done
  ) &
done
wait
expect_ok --store "$C" check
expect_ok --store "$C" --json lease list
expect_json '"allocatedCount":51'
"$BERTH" --store "$C" export | grep -o '"port": [0-9]*' | sort | uniq -d >"$TMP/dups"
expect_eq "no lease port held twice" "$(cat "$TMP/dups")" ""
expect_ok --store "$C" list
expect_eq "reservations made meanwhile" "$(tail -n +2 "$OUT" | wc -l)" 16

# A store from before leases (schema 1, no preview pool) is upgraded by a command that writes.
M="$TMP/v1"
expect_ok --store "$M" reserve old 1
expect_ok --store "$M" pool remove preview
printf 'schema\n\\00\\00\\00\\01\n' | mdb_load -T -s meta "$M"
# A command that only reads refuses it (an older berth could no longer read it afterwards);
# `berth migrate` upgrades it, keeping a copy of the store as it was.
expect_fail 1 "store '$M' has schema version 1, from an older berth; this berth upgrades it to 3 at the first command that writes, or with .berth migrate." --store "$M" list
expect_ok --store "$M" migrate
expect_out "^store '$M' is at schema 3 \(upgraded\)$"
grep -q "^berth: upgraded store '$M' from schema 1 to 3; the store as it was is kept in '$M/schema-1-backup'" "$ERR" &&
  pass || fail "no upgrade note: $(cat "$ERR")"
[ -f "$M/schema-1-backup/data.mdb" ] && pass || fail "no copy of the old store"
expect_eq "the copy is the old store" "$(mdb_dump -s meta "$M/schema-1-backup" | grep -A1 '^ 736368656d61$' | tail -1)" " 00000001"
expect_ok --store "$M" migrate
expect_out "^store '$M' is at schema 3, this berth's: nothing to do$"
expect_fail 2 "no berth store in '$TMP/none': nothing to upgrade" --store "$TMP/none" migrate
[ ! -e "$TMP/none" ] && pass || fail "migrate made a store"
expect_ok --store "$M" --json pool show
expect_json '"kind":"lease","name":"preview"'
expect_ok --store "$M" lease acquire 1 --no-skip-busy
expect_eq "a lease in a migrated store" "$(cat "$OUT")" 32100
expect_ok --store "$M" check

finish
