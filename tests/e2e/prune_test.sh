#!/usr/bin/env bash
# Where each reservation is used (show, list --json) and berth prune: deleted app folders, build
# trees and lock files; --dry-run, --unused, --older-than, --model; expired leases; a re-run
# that records nothing new writes nothing; prune racing scaffold and reserve.
#   prune_test.sh <path to berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
S="$TMP/store"
export BERTH_STORE="$S"
held() { "$BERTH" list | tail -n +2 | awk '{print $1 "/" $2}' | sort | tr '\n' ' '; }

# 1. Uses are recorded by scaffold and shown.
mkdir -p "$TMP/apps"
for n in 1 2 3 4; do expect_ok scaffold m "$n" --out "apps/app$n" -q; done
expect_ok reserve r 1
expect_ok show m 1
expect_out "^ports: +backend 5001, frontend 8001$"
expect_out "^created: +20[0-9-]+T"
expect_out "^  app +$TMP/apps/app1 +exists +seen "
expect_ok show r 1
expect_out "^uses: +none recorded"
expect_ok --json show m 2
expect_json "\"uses\":[{\"exists\":true,\"kind\":\"app\",\"path\":\"$TMP/apps/app2\""
expect_ok --json list --model m
expect_json "\"kind\":\"app\",\"path\":\"$TMP/apps/app4\""
expect_fail 2 "'m' app 9 is not reserved; see \`berth list\`" show m 9
expect_fail 2 "app number 'x' is not a number" show m x

# 2. A re-run with nothing new opens no write transaction: the data file is not touched.
before=$(stat -c %y "$S/data.mdb")
sleep 0.05
expect_ok scaffold m 2 --out apps/app2 -q
expect_eq "data file untouched by a scaffold re-run" "$(stat -c %y "$S/data.mdb")" "$before"

# 3. Deleted folders: exactly those apps are released; --dry-run changes nothing.
rm -rf apps/app1 apps/app3
expect_ok prune --dry-run
expect_out "^would release 'm' app 1 \(backend 5001, frontend 8001; m-app1\): gone: $TMP/apps/app1$"
expect_out "^would release 2 reservation\(s\) and 0 lease\(s\); nothing changed \(--dry-run\)$"
expect_out "^1 reservation\(s\) have no recorded use and were left alone; --unused releases them"
expect_eq "dry run kept all" "$(held)" "m/1 m/2 m/3 m/4 r/1 "
expect_ok --json prune
expect_json '"released":[{"app":1,"gone":["'"$TMP"'/apps/app1"],"model":"m"'
expect_json '"reason":"gone"'
expect_eq "deleted folders released" "$(held)" "m/2 m/4 r/1 "
expect_ok prune
expect_out "^nothing to prune$"
expect_ok check

# 4. --older-than: measured from when a gone app was last seen, or an unused one was made.
now=$(date +%s)
expect_ok scaffold old 1 --out apps/old1 -q
rm -rf apps/old1
BERTH_NOW=$((now + 3600)) expect_ok prune --older-than 1d
expect_out "^nothing to prune$"
BERTH_NOW=$((now + 2 * 86400)) expect_ok prune --older-than 1d
expect_out "^released 'old' app 1 "
BERTH_NOW=$((now + 10 * 86400)) expect_ok prune --unused --older-than 30d
expect_out "^nothing to prune$"
BERTH_NOW=$((now + 31 * 86400)) expect_ok prune --unused --older-than 30d --model r
expect_out "^released 'r' app 1 \(backend [0-9]+, frontend [0-9]+; r-app1\): no recorded use$"
expect_fail 2 "--older-than '3 days' is not a duration" prune --older-than "3 days"
expect_fail 2 "model name" prune --model ""

# 5. --model limits prune to one model's apps, and leaves leases alone.
expect_ok scaffold a 1 --out apps/a1 -q
expect_ok scaffold b 1 --out apps/b1 -q
rm -rf apps/a1 apps/b1
BERTH_NOW=1000 expect_ok lease acquire pr-7 --ttl 60 --no-skip-busy
BERTH_NOW=2000 expect_ok prune --model a
expect_out "^released 'a' app 1 "
expect_eq "only model a" "$(held)" "b/1 m/2 m/4 "
expect_ok lease list
expect_out "pr-7"
BERTH_NOW=2000 expect_ok prune
expect_out "^released 'b' app 1 "
expect_out "^freed lease 'pr-7' \(pool 'preview', port 32100, last active 1970-01-01T00:16:40Z\)$"

# 6. Build trees and lock files, through real CMake configures and builds.
mkdir -p "$TMP/proj"
cat >"$TMP/proj/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(prune_test NONE)
add_subdirectory("$REPO" berth)
add_generated_app(c 1)
add_generated_app(c 2)
CMAKE
configure() { cmake -S "$TMP/proj" -B "$1" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$S" "${@:2}" >"$OUT" 2>"$ERR" || fail "configure $1"; }
configure "$TMP/b1"
cmake --build "$TMP/b1" >"$OUT" 2>&1 || fail "build b1: $(tail "$OUT")"
configure "$TMP/b2"
expect_ok show c 1
expect_out "^  build +$TMP/b1 +exists"
expect_out "^  build +$TMP/b2 +exists"
expect_out "^  app +$TMP/b1/apps/c/app1 +exists"
rm -rf "$TMP/b1"
expect_ok prune
expect_out "^nothing to prune$"
rm -rf "$TMP/b2"
expect_ok prune
expect_out "^released 'c' app 1 .*gone: $TMP/b1/apps/c/app1, $TMP/b1, $TMP/b2$"
expect_out "^released 'c' app 2 "
# A lock file that exists keeps the apps it pins, even when every build tree is gone.
configure "$TMP/b3" -DBERTH_LOCKFILE="$TMP/proj/apps.lock.json"
[ -f "$TMP/proj/apps.lock.json" ] && pass || fail "no lock file written"
expect_ok --json show c 2
expect_json "{\"exists\":true,\"kind\":\"lock\",\"path\":\"$TMP/proj/apps.lock.json\""
rm -rf "$TMP/b3"
expect_ok prune
expect_out "^nothing to prune$"
# A lock file that cannot be read is a warning, and its apps are kept.
cp "$TMP/proj/apps.lock.json" "$TMP/lock.good"
echo "not json" >"$TMP/proj/apps.lock.json"
expect_ok prune
grep -q "^berth: warning: .*apps.lock.json.* (the apps it lists are kept)$" "$ERR" && pass || fail "no warning for an unreadable lock file"
expect_out "^nothing to prune$"
rm "$TMP/proj/apps.lock.json"
expect_ok prune
expect_out "^released 'c' app 1 "
expect_ok check

# 7. Prune racing scaffold, reserve and release: the store stays sound, and no app whose
# folder exists is ever released.
race_scaffold() { for n in $(seq 1 30); do "$BERTH" scaffold k "$n" --out "apps/k$n" -q; [ $((n % 2)) -eq 1 ] && rm -rf "apps/k$n"; done; }
race_reserve() { for n in $(seq 1 30); do "$BERTH" reserve x "$n" >/dev/null; "$BERTH" release x "$n" >/dev/null; "$BERTH" reserve x "$n" >/dev/null; done; }
race_prune() { for _ in $(seq 1 30); do "$BERTH" prune >/dev/null; done; }
race_scaffold 2>"$TMP/race.err" &
a=$!
race_reserve 2>>"$TMP/race.err" &
b=$!
race_prune 2>>"$TMP/race.err"
wait $a $b
expect_eq "no errors while racing" "$(cat "$TMP/race.err")" ""
expect_ok check
for n in $(seq 2 2 30); do
  "$BERTH" show k "$n" >/dev/null 2>&1 || fail "k app $n (folder present) was released"
done
expect_ok prune
expect_ok list --model k
expect_eq "only the apps with folders remain" "$(tail -n +2 "$OUT" | wc -l)" 15
expect_ok list --model x
expect_eq "every x app reserved" "$(tail -n +2 "$OUT" | wc -l)" 30
expect_ok check

# release refuses an app whose folder is still here (its .env still names the ports), naming it;
# --force releases it anyway; once the folder is gone, release needs nothing.
R="$TMP/rel"
"$BERTH" --store "$R" scaffold rel/model 1 --out "$TMP/rel-app" -q
before=$("$BERTH" --store "$R" export)
expect_fail 3 "'rel/model' app 1 is still used on this host \(app $TMP/rel-app\).*--force to release it anyway" --store "$R" release rel/model 1
expect_eq "refused release: store unchanged" "$("$BERTH" --store "$R" export)" "$before"
expect_fail 3 "still used on this host" --store "$R" release rel/model --all
expect_ok --store "$R" release rel/model 1 --force
"$BERTH" --store "$R" scaffold rel/model 2 --out "$TMP/rel-app2" -q
rm -rf "$TMP/rel-app2"
expect_ok --store "$R" release rel/model 2

finish
