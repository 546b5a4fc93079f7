# What the hostile suite's CLI scripts share: the e2e helpers, a store holding one app, its
# snapshot, and expect_error.
#   source "$(dirname "$0")/lib.sh" <path to berth>
TEMPLATE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../templates/react-flask" && pwd)"
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh" "$1"
S="$TMP/store"
expect_ok --store "$S" reserve owner 1
snapshot() { "$BERTH" --store "$S" export; }
before=$(snapshot)
store_unchanged() { expect_eq "$1: store unchanged" "$(snapshot)" "$before"; }

# expect_error CODE REGEX ARGS...: exits CODE (never a signal) with a berth error whose text
# carries no raw control byte.
expect_error() {
  expect_fail "$@"
  [ "$RC" -lt 128 ] && pass || fail "berth ${*:3} died with signal $((RC - 128))"
  ! grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$ERR" && pass || fail "berth ${*:3}: raw control bytes in stderr"
}
