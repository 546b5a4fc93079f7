#!/usr/bin/env bash
# docs/ci.md's two CI jobs, run as their runners would, in a fresh Debian 12 root (a container or
# a chroot, as root, from a clone of this repository). The jobs install packages, berth under
# /usr/local, and write /opt/berth-src and /opt/berth-build: never run it on a machine you use.
#   bash tests/package/ci_recipe_test.sh
# BERTH_REPOSITORY is a local git repository of this tree tagged v<version>; the project is a
# copy of examples/llm-apps. In order:
#   1. the GitHub job, before the project has a lock file: fails at configure, saying so;
#   2. a developer starts the lock (an empty berth.lock.json and a configure, own store);
#   3. the GitLab job, from scratch: passes, and the apps have the locked ports;
#   4. the GitHub job's configure and build steps, in a new build folder: pass;
#   5. an app missing from the lock, then a port held twice in the lock: configure fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
  echo "ci_recipe_test.sh: run as root in a fresh Debian 12 root" >&2
  exit 2
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-yaml git ca-certificates >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash tests/package/local_repo.sh "$work/berth.git" >/dev/null
export BERTH_REPOSITORY="file://$work/berth.git"
job() { python3 "$repo/tests/docs/ci_check.py" "$repo/docs/ci.md" --script "$1"; }
job github >"$work/github.sh"
job gitlab >"$work/gitlab.sh"
step() { echo "ci_recipe_test: $*"; }
runner() {  # a fresh runner: an empty home, so an empty berth store
  HOME=$(mktemp -d -p "$work")
  export HOME
}
says() { tr -s ' \n' ' ' <"$work/out" | grep -q "$1"; }  # CMake wraps its messages
fail() {
  echo "ci_recipe_test: FAIL: $*" >&2
  exit 1
}
cp -r examples/llm-apps "$work/project"
cd "$work/project"

step "1. the GitHub job, no lock file yet"
runner
if bash "$work/github.sh" >"$work/out" 2>&1; then fail "passed without a lock file"; fi
says "lock file .* does not exist" || fail "no missing lock: $(tail "$work/out")"
command -v berth >/dev/null || fail "the job did not install berth"

step "2. a developer starts the lock"
touch berth.lock.json
cmake -S . -B dev-build -G Ninja -DBERTH_STORE="$work/dev-store" >/dev/null
rm -rf dev-build
[ "$(grep -c '"model"' berth.lock.json)" = 6 ] || fail "the lock does not hold 6 apps"

step "3. the GitLab job"
runner
rm -rf /opt/berth-src /opt/berth-build build
bash "$work/gitlab.sh" >"$work/out" 2>&1 || fail "the GitLab job failed: $(tail -20 "$work/out")"
env=build/apps/openai_gpt-5-mini-2025-08-07/app3/.env
port=$(python3 -c 'import json, sys
print([a for a in json.load(open("berth.lock.json"))["apps"]
       if a["model"] == "openai_gpt-5-mini-2025-08-07" and a["app"] == 3][0]["ports"]["backend"])')
grep -qx "BACKEND_PORT=$port" "$env" || fail "$env does not hold the locked port $port"

step "4. the GitHub job's configure and build, in a new build folder"
runner
rm -rf build
tail -2 "$work/github.sh" >"$work/project-steps.sh"
bash -eo pipefail "$work/project-steps.sh" >"$work/out" 2>&1 ||
  fail "the GitHub job failed: $(tail -20 "$work/out")"
[ "$(find build/apps -name docker-compose.yml | wc -l)" = 6 ] || fail "not 6 apps built"

configure_fails() {  # configure_fails WHAT MESSAGE: the locked configure must fail, saying MESSAGE
  rm -rf build
  runner
  if bash -eo pipefail <(tail -2 "$work/github.sh" | head -1) >"$work/out" 2>&1; then
    fail "$1: the locked configure passed"
  fi
  says "$2" || fail "$1: no '$2': $(tail "$work/out")"
}
step "5. an app missing from the lock, a port held twice in it"
cp CMakeLists.txt "$work/CMakeLists.txt.orig"
echo 'add_generated_app(unlocked/model 1)' >>CMakeLists.txt
configure_fails "an app missing from the lock" "not in the lock file"
cp "$work/CMakeLists.txt.orig" CMakeLists.txt
python3 - <<'PY'
import json
lock = json.load(open("berth.lock.json"))
lock["apps"][1]["ports"]["backend"] = lock["apps"][0]["ports"]["backend"]
json.dump(lock, open("berth.lock.json", "w"), indent=2)
PY
configure_fails "a port held twice in the lock" "port $(python3 -c 'import json
print(json.load(open("berth.lock.json"))["apps"][0]["ports"]["backend"])') (backend)"
step "passed"
