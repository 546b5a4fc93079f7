#!/usr/bin/env bash
# One store per build tree: the store a tree uses is fixed at its first configure, whatever the
# environment says later; another $BERTH_STORE is refused naming both; -DBERTH_STORE moves it.
#   store_test.sh <berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
mkdir -p "$TMP/p"
printf 'cmake_minimum_required(VERSION 3.20)\nproject(p NONE)\ninclude("%s/cmake/Berth.cmake")\nadd_generated_app(m 1)\n' \
  "$REPO" >"$TMP/p/CMakeLists.txt"
configure() { cmake -S "$TMP/p" -B "$TMP/b" -G Ninja -DBERTH_EXECUTABLE="$BERTH" "$@" >"$OUT" 2>"$ERR"; RC=$?; }
build() { cmake --build "$TMP/b" >"$OUT" 2>&1; RC=$?; }

# First configure with $BERTH_STORE=/x: the tree's store is /x from now on.
BERTH_STORE="$TMP/x" configure
expect_eq "configure with \$BERTH_STORE" "$RC" 0
expect_ok --store "$TMP/x" show m 1
grep -q "^_BERTH_STORE_USED:INTERNAL=$TMP/x$" "$TMP/b/CMakeCache.txt" && pass || fail "the store is not kept in the cache"
# Built and configured again with it unset: still /x, and the default store is never created.
touch "$TMP/p/CMakeLists.txt"
build
expect_eq "build with \$BERTH_STORE unset" "$RC" 0
configure
expect_eq "configure with \$BERTH_STORE unset" "$RC" 0
[ ! -e "$HOME/.local/state/berth" ] && pass || fail "the default store was used"
# Another $BERTH_STORE: refused, naming both; nothing made there.
BERTH_STORE="$TMP/y" configure
[ "$RC" -ne 0 ] && pass || fail "configure with another \$BERTH_STORE succeeded"
tr -s ' \n' ' ' <"$ERR" | grep -q "this build tree uses the store '$TMP/x' (fixed at its first configure), but \$BERTH_STORE names '$TMP/y'" &&
  pass || fail "the refusal does not name both stores: $(cat "$ERR")"
tr -s ' \n' ' ' <"$ERR" | grep -q "cmake -DBERTH_STORE=$TMP/y" && pass || fail "the refusal does not say how to move"
[ ! -e "$TMP/y" ] && pass || fail "the refused configure created the other store"
# -DBERTH_STORE moves the tree, saying so.
configure -DBERTH_STORE="$TMP/y"
expect_eq "move with -DBERTH_STORE" "$RC" 0
grep -q "this build tree now uses the store '$TMP/y' (it used '$TMP/x')" "$OUT" && pass || fail "the move is not announced"
expect_ok --store "$TMP/y" show m 1
# The build's "not reserved" names the store it looked in.
expect_fail 3 "still used on this host \(build $TMP/b\)" --store "$TMP/y" release m 1
expect_ok --store "$TMP/y" release m 1 --force
rm -f "$TMP/b/berth/apps/"*.done
cmake --build "$TMP/b" --target berth_m_app1 >"$OUT" 2>&1
grep -q "'m' app 1 is no longer reserved in the store '$TMP/y'" "$OUT" && pass || fail "build-time message: $(tail -5 "$OUT")"
# An empty $BERTH_STORE at a first configure is an error, never the default store.
rm -rf "$TMP/b"
BERTH_STORE= configure
[ "$RC" -ne 0 ] && grep -q 'BERTH_STORE is set but empty' "$ERR" && pass || fail "empty \$BERTH_STORE accepted"
# A host store, when one exists, is the default before the user's own store.
"$BERTH" --store "$TMP/host" reserve other/model 1 >/dev/null
BERTH_HOST_STORE="$TMP/host" configure
expect_eq "configure with a host store" "$RC" 0
grep -q "^_BERTH_STORE_USED:INTERNAL=$TMP/host$" "$TMP/b/CMakeCache.txt" && pass || fail "the host store is not the default"
expect_ok --store "$TMP/host" show m 1
[ ! -e "$HOME/.local/state/berth" ] && pass || fail "the user's store was used beside the host store"
finish
