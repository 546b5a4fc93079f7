#!/usr/bin/env bash
# A small consumer project uses berth the ways the README promises:
#   consumer_test.sh <berth> install <berth build dir>   find_package(Berth CONFIG) after cmake --install
#   consumer_test.sh <berth> subdirectory                add_subdirectory() of this repository
#   consumer_test.sh <berth> fetchcontent                FetchContent of this repository
#   consumer_test.sh <berth> include                     include(Berth.cmake) with BERTH_EXECUTABLE
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
MODE=$2
BERTH_BUILD=$( [ -n "${3:-}" ] && realpath "$3" )
source "$REPO/tests/e2e/lib.sh" "$1"
mkdir -p "$TMP/consumer"
case "$MODE" in
  install)
    cmake --install "$BERTH_BUILD" --prefix "$TMP/prefix" >"$OUT" 2>"$ERR" && pass || fail "cmake --install failed"
    for f in bin/berth lib/cmake/Berth/BerthConfig.cmake lib/cmake/Berth/BerthConfigVersion.cmake \
             lib/cmake/Berth/Berth.cmake lib/cmake/Berth/BerthTargets.cmake \
             share/berth/templates/react-flask/template.json share/man/man1/berth.1 \
             share/bash-completion/completions/berth share/zsh/vendor-completions/_berth \
             share/fish/vendor_completions.d/berth.fish; do
      [ -e "$TMP/prefix/$f" ] && pass || fail "not installed: $f"
    done
    "$TMP/prefix/bin/berth" --json templates >"$OUT"
    expect_json '"search_path":["'"$TMP"'/prefix/share/berth/templates"]'
    use='find_package(Berth 0.4 CONFIG REQUIRED)'
    args=(-DCMAKE_PREFIX_PATH="$TMP/prefix")
    ;;
  subdirectory)
    use="add_subdirectory(\"$REPO\" berth)"
    args=()
    ;;
  fetchcontent)
    # docs/cmake.md's FetchContent block as written, its GIT_REPOSITORY a local repository of
    # this working tree's files (tracked and new, not ignored), tagged with berth's version.
    tag=$(bash "$REPO/tests/package/local_repo.sh" "$TMP/berth.git") && pass ||
      fail "no local berth repository"
    use=$(awk '/^```cmake$/ {block = ""; inside = 1; next} /^```$/ {inside = 0; if (block ~ /GIT_TAG/) print block; next}
               inside {block = block $0 "\n"}' "$REPO/docs/cmake.md" |
          sed -e "s|GIT_REPOSITORY [^ ]*|GIT_REPOSITORY file://$TMP/berth.git|" -e '/add_generated_app/d')
    grep -q "GIT_TAG *$tag)" <<<"$use" && pass || fail "docs/cmake.md pins no $tag: $use"
    args=()
    ;;
  include)
    use="include(\"$REPO/cmake/Berth.cmake\")"
    args=(-DBERTH_EXECUTABLE="$BERTH")
    ;;
esac
cat >"$TMP/consumer/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(consumer NONE)
$use
add_generated_app(consumer/model 1 VARS app_title=Consumer)
add_custom_target(show COMMAND \${CMAKE_COMMAND} -E echo "exe=\$<TARGET_FILE:Berth::berth>" VERBATIM)
CMAKE
[ "$MODE" = include ] && sed -i '/add_custom_target(show/d' "$TMP/consumer/CMakeLists.txt"
cmake -S "$TMP/consumer" -B "$TMP/build" -G Ninja -DBERTH_STORE="$TMP/store" "${args[@]}" >"$OUT" 2>"$ERR"
expect_eq "consumer configure ($MODE)" "$?" 0
grep -q "berth: 1 app(s) reserved" "$OUT" && pass || fail "no reservation at configure: $(tail -20 "$ERR")"
cmake --build "$TMP/build" >"$OUT" 2>&1 && pass || fail "consumer build failed: $(tail -20 "$OUT")"
app="$TMP/build/apps/consumer_model/app1"
expect_eq "consumer app files" "$(find "$app" -type f ! -name .berth-manifest.json | wc -l)" 25
grep -q 'APP_TITLE = "Consumer"' "$app/backend/app.py" && pass || fail "VARS not applied"
exe=$(grep '^BERTH_EXECUTABLE:FILEPATH=' "$TMP/build/CMakeCache.txt" | cut -d= -f2)
case "$MODE" in
  install)
    expect_eq "installed berth used" "$exe" "$TMP/prefix/bin/berth"
    grep -q "\"template_dir\": \"$TMP/prefix/share/berth/templates/react-flask\"" "$TMP/build/berth/apps.json" \
      && pass || fail "installed templates not used: $(grep template_dir "$TMP/build/berth/apps.json")"
    cmake --build "$TMP/build" --target show >"$OUT" 2>&1
    grep -q "exe=$TMP/prefix/bin/berth" "$OUT" && pass || fail "Berth::berth target: $(cat "$OUT")"
    # The version is checked: the same major version, this one or older.
    "$TMP/prefix/bin/berth" --version >"$OUT"
    version=$(sed -n 's/^berth //p' "$OUT")
    mkdir -p "$TMP/v1"
    printf 'cmake_minimum_required(VERSION 3.20)\nproject(v1 NONE)\nfind_package(Berth 1.0 CONFIG REQUIRED)\n' \
      >"$TMP/v1/CMakeLists.txt"
    cmake -S "$TMP/v1" -B "$TMP/v1/build" -DCMAKE_PREFIX_PATH="$TMP/prefix" >"$OUT" 2>"$ERR"
    [ $? -ne 0 ] && tr -s ' \n' ' ' <"$ERR" | grep -q "version: $version" && pass ||
      fail "find_package(Berth 1.0) accepted berth $version: $(cat "$ERR")"
    # Uninstall: every file the install wrote is listed in install_manifest.txt.
    xargs rm -f <"$BERTH_BUILD/install_manifest.txt"
    expect_eq "files left after uninstall" "$(find "$TMP/prefix" -type f | wc -l)" 0
    ;;
  fetchcontent)
    expect_eq "berth built at configure" "$exe" "$TMP/build/_deps/berth-build/host/generator/berth"
    [ -x "$exe" ] && pass || fail "no berth binary in the FetchContent build"
    ;;
  subdirectory)
    expect_eq "berth built at configure" "$exe" "$TMP/build/berth/host/generator/berth"
    [ -x "$exe" ] && pass || fail "no berth binary in the subproject build"
    cmake --build "$TMP/build" --target show >"$OUT" 2>&1
    grep -q "exe=$TMP/build/berth/host/generator/berth" "$OUT" && pass || fail "Berth::berth target"
    # A second configure does not rebuild berth from scratch, and the build stays a no-op.
    cmake "$TMP/build" >"$OUT" 2>"$ERR" && pass || fail "reconfigure failed"
    cmake --build "$TMP/build" >"$OUT" 2>&1
    grep -q "berth: scaffolding" "$OUT" && fail "reconfigure re-scaffolded" || pass
    ;;
esac
finish
