#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` on berth's build folder makes berth_<version>_<arch>.deb
# with its dependencies declared; unpacked into an empty root (dpkg-deb -x), its berth runs,
# finds its templates there, scaffolds an app, and a CMake project finds it with
# find_package(Berth <version>) and builds. (tests/package/fresh_root_test.sh installs it with
# apt-get in a fresh Debian 12 root.)
#   package_test.sh <berth> <berth build dir>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD_DIR=$(realpath "$2")
source "$REPO/tests/e2e/lib.sh" "$1"
version=$(sed -n 's/^project(berth VERSION \([0-9.]*\) .*/\1/p' "$REPO/CMakeLists.txt")
deb="$TMP/pkg/berth_${version}_$(dpkg --print-architecture).deb"
cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$TMP/pkg" >"$OUT" 2>"$ERR" && pass ||
  fail "cpack failed: $(cat "$OUT" "$ERR")"
[ -f "$deb" ] && pass || fail "no $deb: $(ls "$TMP/pkg")"

# The control file: name, version, dependencies found by dpkg-shlibdeps: the package of every
# shared library the program loads. Built with BERTH_STATIC_DEPS (the default), that is libc alone.
dpkg-deb -f "$deb" Package Version Depends Recommends >"$OUT"
grep -q "^Package: berth$" "$OUT" && pass || fail "package name: $(cat "$OUT")"
grep -q "^Version: $version$" "$OUT" && pass || fail "package version: $(cat "$OUT")"
needed=$(readelf -d "$BUILD_DIR/generator/berth" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
for lib in $needed; do
  case "$lib" in
  libc.so.* | libm.so.* | ld-linux*) pkg=libc6 ;;
  liblmdb.so.*) pkg=liblmdb0 ;;
  libsqlite3.so.*) pkg=libsqlite3-0 ;;
  libstdc++.so.*) pkg=libstdc++6 ;;
  libgcc_s.so.*) pkg=libgcc-s1 ;;
  *) pkg="(a library this test does not know: $lib)" ;;
  esac
  grep "^Depends:" "$OUT" | grep -qF "$pkg" && pass || fail "Depends lacks $pkg: $(cat "$OUT")"
done
if grep -q '^BERTH_STATIC_DEPS:BOOL=ON' "$BUILD_DIR/CMakeCache.txt"; then
  echo "$needed" | grep -E 'lmdb|sqlite|stdc|gcc_s' && fail "BERTH_STATIC_DEPS, yet: $needed" || pass
  grep "^Depends:" "$OUT" | grep -qE 'lmdb|sqlite|stdc' && fail "Depends: $(cat "$OUT")" || pass
fi
# Packed relative relocations (docs/cmake.md) need glibc 2.36: Depends says so.
if readelf -d "$BUILD_DIR/generator/berth" | grep -q '(RELR)'; then
  grep "^Depends:" "$OUT" | grep -qE 'libc6 \(>= 2\.(3[6-9]|[4-9][0-9])' && pass ||
    fail "packed relocations, yet Depends: $(cat "$OUT")"
fi
grep -q "^Recommends: cmake" "$OUT" && pass || fail "Recommends: $(cat "$OUT")"
# The files, under /usr; the program stripped.
dpkg-deb -c "$deb" | awk '{print $6}' >"$OUT"
for f in ./usr/bin/berth ./usr/lib/cmake/Berth/BerthConfig.cmake \
  ./usr/lib/cmake/Berth/BerthConfigVersion.cmake ./usr/lib/cmake/Berth/Berth.cmake \
  ./usr/share/berth/templates/react-flask/template.json ./usr/share/doc/berth/copyright \
  ./usr/share/man/man1/berth.1 ./usr/share/bash-completion/completions/berth \
  ./usr/share/zsh/vendor-completions/_berth ./usr/share/fish/vendor_completions.d/berth.fish; do
  grep -qx "$f" "$OUT" && pass || fail "not in the package: $f"
done
grep -v '^\./usr/' "$OUT" && fail "files outside /usr" || pass
dpkg-deb -x "$deb" "$TMP/root"
readelf -S "$TMP/root/usr/bin/berth" | grep -qE '\.symtab|\.debug_' &&
  fail "berth is not stripped" || pass

# The unpacked berth: its version, its templates (beside it, nothing from the source tree).
PKG="$TMP/root/usr/bin/berth"
"$PKG" --version >"$OUT"
expect_eq "the package's berth --version" "$(cat "$OUT")" "berth $version"
"$PKG" --json templates >"$OUT"
expect_json '"search_path":["'"$TMP"'/root/usr/share/berth/templates"]'
"$PKG" --store "$TMP/store" scaffold pkg/model 1 --out "$TMP/app" -q >"$OUT" 2>"$ERR" && pass ||
  fail "scaffold with the package's berth: $(cat "$ERR")"
[ -f "$TMP/app/docker-compose.yml" ] && pass || fail "the package's berth wrote no compose file"

# A CMake project finds the package by version and builds an app with it.
mkdir -p "$TMP/consumer"
cat >"$TMP/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(consumer NONE)
find_package(Berth $version CONFIG REQUIRED)
add_generated_app(pkg/model 2)
CMAKE
cmake -S "$TMP/consumer" -B "$TMP/cb" -G Ninja -DCMAKE_PREFIX_PATH="$TMP/root/usr" \
  -DBERTH_STORE="$TMP/store" >"$OUT" 2>"$ERR" && pass || fail "consumer configure: $(cat "$ERR")"
grep -q "^BERTH_EXECUTABLE:FILEPATH=$TMP/root/usr/bin/berth$" "$TMP/cb/CMakeCache.txt" && pass ||
  fail "the consumer does not use the package's berth"
cmake --build "$TMP/cb" >"$OUT" 2>&1 && pass || fail "consumer build: $(tail -5 "$OUT")"
[ -f "$TMP/cb/apps/pkg_model/app2/docker-compose.yml" ] && pass || fail "the consumer built no app"
finish
