#!/usr/bin/env bash
# The Debian package as a new user meets it, in a fresh Debian 12 root (a container or a chroot,
# as root, from a clone of this repository): builds the package, removes every package the build
# installed, then installs berth's package with apt-get alone and uses it with nothing from the
# source tree: berth --version, a scaffold, and a CMake project with find_package(Berth) and no
# hints. It removes packages: never run it on a machine you use.
#   bash tests/package/fresh_root_test.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "fresh_root_test.sh: run as root in a fresh Debian 12 root" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
version=$(sed -n 's/^project(berth VERSION \([0-9.]*\) .*/\1/p' CMakeLists.txt)
installed() { dpkg-query -W -f='${Package}\n' | sort; }
before=$(installed)

# Build the package, then take away everything the build brought.
apt-get update -qq
apt-get install -y -qq --no-install-recommends g++ cmake ninja-build pkg-config \
  nlohmann-json3-dev liblmdb-dev liblmdb++-dev libcli11-dev libsqlite3-dev dpkg-dev file >/dev/null
cmake -S . -B /tmp/berth-build -G Ninja >/dev/null
cmake --build /tmp/berth-build -j2 >/dev/null
cpack -G DEB --config /tmp/berth-build/CPackConfig.cmake -B /tmp/berth-pkg >/dev/null
deb=$(echo /tmp/berth-pkg/berth_"$version"_*.deb)
mv "$deb" /tmp/ && deb=/tmp/$(basename "$deb")
rm -rf /tmp/berth-build /tmp/berth-pkg
# shellcheck disable=SC2046
apt-get purge -y -qq $(comm -13 <(echo "$before") <(installed)) >/dev/null
echo "fresh_root_test: the build's packages are gone; installing $(basename "$deb")"

# apt-get alone: berth's dependencies (and cmake, recommended) from the package's control file.
apt-get install -y -qq "$deb" >/dev/null
cd /tmp
test "$(berth --version)" = "berth $version"
export BERTH_STORE=/tmp/store
berth scaffold fresh/model 1 --out /tmp/app -q
test -f /tmp/app/docker-compose.yml
mkdir -p /tmp/consumer
cat >/tmp/consumer/CMakeLists.txt <<CMAKE
cmake_minimum_required(VERSION 3.20)
project(consumer NONE)
find_package(Berth $version CONFIG REQUIRED)
add_generated_app(fresh/model 2)
CMAKE
cmake -S /tmp/consumer -B /tmp/consumer/build >/dev/null
cmake --build /tmp/consumer/build >/dev/null
test -f /tmp/consumer/build/apps/fresh_model/app2/docker-compose.yml
grep -q "^BERTH_EXECUTABLE:FILEPATH=/usr/bin/berth$" /tmp/consumer/build/CMakeCache.txt
echo "fresh_root_test: passed (berth $version from $(basename "$deb"): --version, scaffold, find_package)"
