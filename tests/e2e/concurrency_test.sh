#!/usr/bin/env bash
# Many processes at once, and a writer killed in the middle of a batch.
source "$(dirname "$0")/lib.sh" "$1"

S="$TMP/store"
procs=8
apps=25

# 8 processes start together. Each reserves the same shared keys (in a different order) and
# its own keys, one process per reservation, interleaved with the others.
start="$TMP/start"
for p in $(seq 1 $procs); do
  (
    while [ ! -e "$start" ]; do sleep 0.01; done
    for n in $(seq 1 $apps); do
      shared=$(((n + p * 3) % apps + 1))
      "$BERTH" --store "$S" --json reserve shared/model "$shared" >"$TMP/shared.$p.$shared" || echo "shared $shared failed" >>"$TMP/errors"
      "$BERTH" --store "$S" --json reserve "own/model-$p" "$n" >/dev/null || echo "own $p $n failed" >>"$TMP/errors"
    done
  ) &
done
touch "$start"
wait
[ ! -e "$TMP/errors" ] && pass || fail "some reservations failed: $(cat "$TMP/errors")"

expect_ok --store "$S" check
expect_out "^ok: $((apps + procs * apps)) reservation\(s\)"

# Every process saw the same answer for each shared key.
for n in $(seq 1 $apps); do
  distinct=$(cat "$TMP"/shared.*."$n" | grep -E '"(backend|frontend|project)"' | sort | uniq | wc -l)
  [ "$distinct" -eq 3 ] || { fail "shared key $n got different answers"; break; }
done
pass

# No port and no project name is held twice, and the slots are dense (no lost allocation).
"$BERTH" --store "$S" list | tail -n +2 >"$TMP/table"
expect_eq "distinct backend ports" "$(awk '{print $3}' "$TMP/table" | sort -u | wc -l)" "$((apps + procs * apps))"
expect_eq "distinct frontend ports" "$(awk '{print $4}' "$TMP/table" | sort -u | wc -l)" "$((apps + procs * apps))"
expect_eq "distinct project names" "$(awk '{print $5}' "$TMP/table" | sort -u | wc -l)" "$((apps + procs * apps))"
expect_eq "ports held across both roles" "$(awk '{print $3; print $4}' "$TMP/table" | sort -u | wc -l)" "$((2 * (apps + procs * apps)))"
expect_ok --store "$S" --json stats
# 225 slots held, dense except slot 221, whose frontend port 8443 is excluded.
expect_out "\"highest_slot\": $((apps + procs * apps))"
expect_out '"holes": 1,'

# A writer killed with SIGKILL in the middle of a batch leaves the store exactly as before.
expect_ok --store "$S" export -o "$TMP/before.json"
{
  echo '['
  for n in $(seq 1 400); do echo "{\"model\": \"killed\", \"app\": $n},"; done
  echo '{"model": "shared/model", "app": 1, "op": "release"}]'
} >"$TMP/batch.json"
BERTH_FAULT=stall-before-commit "$BERTH" --store "$S" reserve --batch "$TMP/batch.json" 2>"$TMP/stall.err" >/dev/null &
writer=$!
for _ in $(seq 1 500); do
  grep -q 'stalling before commit' "$TMP/stall.err" && break
  sleep 0.01
done
grep -q 'stalling before commit' "$TMP/stall.err" && pass || fail "the writer never reached its commit"
kill -9 "$writer"
wait "$writer" 2>/dev/null
expect_ok --store "$S" export -o "$TMP/after.json"
cmp -s "$TMP/before.json" "$TMP/after.json" && pass || fail "the killed batch left changes behind"
expect_ok --store "$S" check
# The writer lock died with the writer: the next writer goes on at once.
expect_ok --store "$S" reserve --batch "$TMP/batch.json"
expect_ok --store "$S" list --model killed
expect_eq "rows after the batch ran" "$(tail -n +2 "$OUT" | wc -l)" 400
expect_ok --store "$S" check

finish
