#!/usr/bin/env bash
# The host store: `berth init --host` makes one store that every user of a group writes,
# whatever their umask; it is then every user's default store, so two users never get the same
# port. Runs with two real Unix users (created here, removed at the end); skipped (exit 77) where
# users cannot be created. Never touches /var/lib/berth: the store's place is $BERTH_HOST_STORE.
#   host_store_test.sh <path to berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
if [ "$(id -u)" -ne 0 ] || ! command -v useradd >/dev/null || ! command -v runuser >/dev/null; then
  echo "SKIP: needs root, useradd and runuser to create two test users"
  exit 77
fi
G="berth-t$$"
U1="bt1-$$"
U2="bt2-$$"
U3="bt3-$$"
cleanup() {
  for u in "$U1" "$U2" "$U3"; do userdel "$u" 2>/dev/null; done
  groupdel "$G" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
chmod 755 "$TMP"
groupadd "$G" || { echo "SKIP: groupadd failed"; exit 77; }
for u in "$U1" "$U2" "$U3"; do
  useradd -M -d "$TMP/home-$u" -s /bin/sh "$u" || { echo "SKIP: useradd failed"; exit 77; }
  mkdir -p "$TMP/home-$u" && chown "$u" "$TMP/home-$u"
done
usermod -aG "$G" "$U1"
usermod -aG "$G" "$U2"
mkdir -p "$TMP/bin" && cp "$BERTH" "$TMP/bin/berth" && chmod 755 "$TMP/bin/berth"
HOST="$TMP/host"
export BERTH_HOST_STORE="$HOST"
# as USER UMASK ARGS...: berth run by USER with that umask, its own HOME and no store given.
as() {
  local user=$1 mask=$2
  shift 2
  runuser -u "$user" -- env -i PATH=/usr/bin:/bin HOME="$TMP/home-$user" BERTH_HOST_STORE="$HOST" \
    sh -c 'umask "$0"; exec "$@"' "$mask" "$TMP/bin/berth" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}

# No such group: a clear error naming the fix, and nothing created.
expect_fail 2 "group 'no-such-group-$$' does not exist; create it and add the users who share the store: \`groupadd no-such-group-$$\`" init --host --group "no-such-group-$$"
[ ! -e "$HOST" ] && pass || fail "a refused init left $HOST"
expect_fail 2 "give --host or --store, not both" --store "$TMP/x" init --host --group "$G"
expect_fail 2 "--group is for --host" init --group "$G"

expect_ok init --host --group "$G"
expect_out "^host store '$HOST' is ready, shared by group '$G'"
expect_eq "folder mode and group" "$(stat -c '%a %G' "$HOST")" "2775 $G"
expect_eq "data file mode and group" "$(stat -c '%a %G' "$HOST/data.mdb")" "660 $G"
expect_eq "lock file mode and group" "$(stat -c '%a %G' "$HOST/lock.mdb")" "660 $G"
expect_ok init --host --group "$G"  # again: mends the modes, changes nothing else

# Two users with different umasks reserve into it, at once; neither gets a port the other holds.
for n in 1 2 3 4 5; do
  as "$U1" 077 reserve one/model "$n" &
  as "$U2" 022 reserve two/model "$n" &
done
wait
as "$U1" 077 reserve one/model 6
expect_eq "user 1 reserves with umask 077" "$RC" 0
as "$U2" 022 list
expect_eq "user 2 lists" "$RC" 0
expect_eq "both users' apps in one store" "$(grep -cE '^(one|two)/model ' "$OUT")" 11
dupes=$(awk 'NR > 1 { print $3; print $4 }' "$OUT" | sort | uniq -d)
expect_eq "no port held twice" "$dupes" ""
as "$U2" 022 check
expect_eq "berth check passes" "$RC" 0
expect_eq "data file still shared" "$(stat -c '%a %G' "$HOST/data.mdb")" "660 $G"
# A user outside the group cannot open it, and is told how to join.
as "$U3" 022 reserve three/model 1
expect_eq "a user outside the group is refused" "$RC" 1
grep -q "this store is shared by the group '$G', which you are not in: ask for \`usermod -aG $G $U3\`" "$ERR" &&
  pass || fail "the refusal does not say how to join: $(cat "$ERR")"

# A user's own store, from before the host store, is reported by doctor as a risk.
runuser -u "$U1" -- env -i PATH=/usr/bin:/bin HOME="$TMP/home-$U1" BERTH_HOST_STORE="$TMP/none" \
  "$TMP/bin/berth" reserve old/model 1 >/dev/null
expect_ok doctor
expect_out "^store: $HOST "
expect_out "^warning: another berth store on this host: user '$U1''s store '$TMP/home-$U1/.local/state/berth'"
finish
