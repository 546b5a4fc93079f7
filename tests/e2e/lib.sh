# Helpers for berth's end-to-end tests, in the style of ccache's test suite: each test script
# runs the real binary in a fresh temporary folder and counts its expectations.
#   source lib.sh <path to berth>
set -u
BERTH=$(realpath "$1")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/berth-e2e-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
# Never touch the user's own store: HOME and the store variables point into TMP.
export HOME="$TMP/home"
unset XDG_STATE_HOME BERTH_STORE
# ... and never the host store of the machine the tests run on.
export BERTH_HOST_STORE="$TMP/no-host-store"
mkdir -p "$HOME"
cd "$TMP" || exit 1

passed=0
failed=0
OUT="$TMP/.out"
ERR="$TMP/.err"

pass() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  echo "FAIL: $*"
  echo "  stdout: $(head -c 2000 "$OUT" 2>/dev/null)"
  echo "  stderr: $(head -c 2000 "$ERR" 2>/dev/null)"
}

# berth ARGS...: runs the binary; sets RC, output in $OUT and $ERR.
berth() {
  "$BERTH" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}

# expect_ok ARGS...: berth ARGS must exit 0.
expect_ok() {
  berth "$@"
  if [ "$RC" -eq 0 ]; then pass; else fail "berth $* exited $RC, expected 0"; fi
}

# expect_fail CODE REGEX ARGS...: berth ARGS must exit CODE, with stderr matching REGEX
# (grep -E) and starting with "berth: error: ".
expect_fail() {
  local code=$1 regex=$2
  shift 2
  berth "$@"
  if [ "$RC" -ne "$code" ]; then
    fail "berth $* exited $RC, expected $code"
  elif ! head -n1 "$ERR" | grep -q '^berth: error: '; then
    fail "berth $*: stderr does not start with 'berth: error: '"
  elif ! grep -qE -- "$regex" "$ERR"; then
    fail "berth $*: stderr does not match /$regex/"
  else
    pass
  fi
}

# expect_out REGEX: the last command's stdout matches REGEX (grep -E).
expect_out() {
  if grep -qE -- "$1" "$OUT"; then pass; else fail "stdout does not match /$1/"; fi
}

# expect_json TEXT: the last command's stdout, without spaces and newlines, contains TEXT.
expect_json() {
  if tr -d ' \n' <"$OUT" | grep -qF -- "$1"; then pass; else fail "stdout does not contain $1"; fi
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
  if [ "$2" == "$3" ]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
