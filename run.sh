#!/usr/bin/env bash
# berth's two Quick start commands, for a fresh Debian 12 machine (as root, or with sudo):
#   bash run.sh example   install what is missing, build, configure and build examples/llm-apps
#   bash run.sh test      install what is missing, build, run every test with ctest
set -euo pipefail
cd "$(dirname "$0")"

# Build dependencies, all from Debian's packages.
packages=(g++ cmake ninja-build pkg-config nlohmann-json3-dev liblmdb-dev liblmdb++-dev
  libcli11-dev libsqlite3-dev catch2 lmdb-utils)
# What the tests use: docker-compose (file validation only, no engine), nginx (nginx -t, and the
# front door for real), chromium (headless, the front door's page), yamllint, Debian's Python
# with Flask, gunicorn (the generated backends' server) and curl to check generated apps for real
# (and PyYAML to read the Kubernetes manifests kubectl renders); make for the Unix Makefiles
# generator; dpkg-dev (dpkg-shlibdeps) and file, which CPack uses, for the Debian package; git,
# which FetchContent fetches berth with in the consumer test; clang-14, libFuzzer and its
# runtimes (with the sanitizers) for the fuzz targets.
test_packages=(docker-compose nginx chromium yamllint python3 python3-flask gunicorn python3-yaml
  curl make dpkg-dev file git clang-14 libfuzzer-14-dev libclang-rt-14-dev)

install_missing() {
  local missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "run.sh: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {  # build [cmake options]: a Release build of berth (and of what the options ask for)
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build build -j2
}

case "${1:-}" in
  example)
    install_missing
    build -DBERTH_BUILD_TESTS=OFF  # berth alone
    bash examples/llm-apps/run.sh build/generator/berth build/llm-apps
    ;;
  test)
    packages+=("${test_packages[@]}")
    # kubectl renders the Kubernetes manifests offline (kubectl kustomize). Debian's
    # kubernetes-client conflicts with a kubectl installed from elsewhere: only when there is none.
    command -v kubectl >/dev/null || packages+=(kubernetes-client)
    install_missing
    build -DBERTH_BUILD_TESTS=ON
    ctest --test-dir build --output-on-failure -j2
    ;;
  *)
    echo "usage: bash run.sh example|test" >&2
    exit 2
    ;;
esac
