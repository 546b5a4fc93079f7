#!/usr/bin/env bash
# A git repository of this working tree's files (tracked and new, not ignored), committed and
# tagged v<version> (the version of the top-level project() call): berth as a user fetches a
# release of it, for the FetchContent and CI recipe tests.
#   bash tests/package/local_repo.sh <dest>     prints the tag
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
dest=$(realpath -m "$1")
version=$(sed -n 's/^project(berth VERSION \([0-9.]*\).*/\1/p' "$repo/CMakeLists.txt")
mkdir -p "$dest"
cd "$repo"
git -c safe.directory="$repo" ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
  if [ -e "$f" ] || [ -L "$f" ]; then cp -P --parents "$f" "$dest/"; fi
done
git -C "$dest" init -q
git -C "$dest" add -A
git -C "$dest" -c user.name=berth-test -c user.email=berth-test@localhost commit -qm "berth $version"
git -C "$dest" tag "v$version"
echo "v$version"
