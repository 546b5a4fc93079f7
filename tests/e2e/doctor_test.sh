#!/usr/bin/env bash
# berth doctor: store, map, readers, host, pools and a build tree's lock file, in one report.
#   doctor_test.sh <path to berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
PY=/usr/bin/python3
S="$TMP/store"
"$BERTH" --store "$S" pool set small --range web=29001-29005 >/dev/null
expect_ok --store "$S" doctor
expect_out "^store: $S \(schema 3; this berth reads up to 3\)$"
expect_out "^map: [0-9.]+ MiB used of [0-9.]+ MiB"
expect_out "^check: ok"
expect_out "^pool 'small': 0 of 5 held \(0%\)$"
# Other users' stores on the machine running the tests are real warnings; count them.
others=$(grep -c '^warning: another berth store on this host: user ' "$OUT")
expect_out "^doctor: 0 problem\(s\), $others warning\(s\)$"
# A host store this command does not use is named, with the fix.
"$BERTH" --store "$TMP/host" reserve x 1 >/dev/null
BERTH_HOST_STORE="$TMP/host" "$BERTH" --store "$S" doctor >"$OUT" 2>"$ERR"
expect_out "^warning: another berth store on this host: the host store '$TMP/host'; its apps may be given the same ports as this store's. Share one store: \`berth init --host\`"
expect_out "^doctor: 0 problem\(s\), $((others + 1)) warning\(s\)$"
BERTH_HOST_STORE="$TMP/host" "$BERTH" doctor >"$OUT" 2>"$ERR"
expect_out "^store: $TMP/host "  # the host store is the default store when it exists

# A reader killed inside its transaction leaves a stale slot: the next berth clears it.
# (LMDB resets the reader table when no process has the store open, so a second reader stays.)
stall() {  # stall NAME: a berth reader waiting inside its read transaction
  BERTH_FAULT=stall-in-read "$BERTH" --store "$S" list >/dev/null 2>"$TMP/stall.$1" &
  for _ in $(seq 1 100); do grep -q "stalling in a read" "$TMP/stall.$1" && return; sleep 0.05; done
  fail "reader $1 did not stall"
}
stall alive
alive=$!
stall killed
kill -9 $!
wait $! 2>/dev/null
expect_ok --store "$S" doctor
expect_out "reader slots 2 of [0-9]+; 1 stale reader slot\(s\) of killed processes cleared$"
kill -9 "$alive"
wait "$alive" 2>/dev/null

# A pool over 80% full is a warning, not a failure.
for n in 1 2 3 4 5; do "$BERTH" --store "$S" reserve w "$n" --pool small >/dev/null; done
expect_ok --store "$S" doctor
expect_out "^warning: pool 'small': 5 of 5 held \(100%\): over 80% full"
expect_out "^doctor: 0 problem\(s\), $((others + 1)) warning\(s\)$"

# A held port something else listens on is a problem (exit 3).
rm -f "$TMP/ready"
$PY -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 29003)); s.listen(); open(sys.argv[1], "w").close(); time.sleep(60)' "$TMP/ready" &
listener=$!
for _ in $(seq 1 100); do [ -e "$TMP/ready" ] && break; sleep 0.05; done
berth --store "$S" doctor
expect_eq "doctor exit code with a taken port" "$RC" 3
expect_out "^problem: host: port 29003 \(web of 'w' app 3\) is taken by python3"
berth --store "$S" --json doctor
expect_json '"ok":false'
expect_json '"taken":1'
kill "$listener"
wait "$listener" 2>/dev/null

# The app's own backend, run from its folder as its README says, is the app running: not a
# problem.
"$BERTH" --store "$S" scaffold own 1 --out "$TMP/own" -q
own=$("$BERTH" --store "$S" --json show own 1 | tr -d ' \n' | grep -o '"backend":[0-9]*' | cut -d: -f2)
rm -f "$TMP/ready"
(cd "$TMP/own/backend" && exec $PY -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[2]))); s.listen(); open(sys.argv[1], "w").close(); time.sleep(60)' "$TMP/ready" "$own") &
listener=$!
for _ in $(seq 1 100); do [ -e "$TMP/ready" ] && break; sleep 0.05; done
berth --store "$S" doctor
expect_eq "doctor exit code with the app's own backend running" "$RC" 0
expect_out "^host: port $own \(backend of 'own' app 1\) is served by the app itself \(python3 \(pid [0-9]+\), running in its folder\)"
kill "$listener"
wait "$listener" 2>/dev/null

# --build DIR: the build tree's lock file against the store.
mkdir -p "$TMP/proj"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(p NONE)\ninclude("%s/cmake/Berth.cmake")\nadd_generated_app(m 1)\nadd_generated_app(m 2)\n' "$REPO" >"$TMP/proj/CMakeLists.txt"
: >"$TMP/proj/berth.lock.json"
cmake -S "$TMP/proj" -B "$TMP/pb" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$TMP/s2" >"$TMP/cmake.out" 2>&1 || fail "configure: $(tail -5 "$TMP/cmake.out")"
expect_ok --store "$TMP/s2" doctor --build "$TMP/pb"
expect_out "^build '$TMP/pb': lock '$TMP/proj/berth.lock.json': 2 of 2 app\(s\) agree with the store$"
"$BERTH" --store "$TMP/s2" release m 2 --force >/dev/null
sed -i 's/"backend": 5001/"backend": 5051/' "$TMP/proj/berth.lock.json"
expect_fail 3 "doctor found 2 problem\(s\)" --store "$TMP/s2" doctor --build "$TMP/pb"
expect_out "^problem: lock '$TMP/proj/berth.lock.json': 'm' app 1 backend is 5051 in the lock but 5001 in the store$"
expect_out "^problem: lock '$TMP/proj/berth.lock.json': 'm' app 2 is not reserved in this store \(configure again to reserve it\)$"
berth --store "$S" doctor --build "$TMP/pb"
expect_out "^warning: build '$TMP/pb' uses the store '$TMP/s2', not this one"
rm "$TMP/proj/berth.lock.json"
expect_ok --store "$TMP/s2" doctor --build "$TMP/pb"
expect_out "^build '$TMP/pb': no lock file in use$"
expect_fail 2 "--build '$TMP/proj' is not a CMake build folder \(no CMakeCache.txt\)" --store "$S" doctor --build "$TMP/proj"

finish
