#!/usr/bin/env bash
# Kubernetes manifests from the CMake example: kubectl kustomize renders every app and the build
# tree's top-level kustomization; k8s_check.py compares the objects with the store (namespaces,
# selectors, ports, probes, images, ingress hosts, NodePorts); NodePorts come back from the lock
# file in a fresh store; a NodePort another app holds fails configure at the declaration.
#   k8s_test.sh <berth>
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
CHECK=(python3 "$REPO/tests/cmake/k8s_check.py")
EXAMPLE="$REPO/examples/llm-apps"
configure() {  # configure BUILD STORE [args...]
  local bin=$1 store=$2
  shift 2
  cmake -S "$EXAMPLE" -B "$bin" -G Ninja -DBERTH_EXECUTABLE="$BERTH" -DBERTH_STORE="$store" "$@" >"$OUT" 2>"$ERR"
  RC=$?
}
render() {  # render BUILD STORE TAG [nodeport]: kustomize every app and the whole tree, then check
  local bin=$1 store=$2 tag=$3
  for k in "$bin"/apps/*/app*/k8s; do
    kubectl kustomize "$k" >"$TMP/one.yaml" 2>"$ERR" || fail "kubectl kustomize $k: $(cat "$ERR")"
  done
  kubectl kustomize "$bin/apps" >"$TMP/$tag.yaml" 2>"$ERR" && pass || fail "kubectl kustomize $bin/apps: $(cat "$ERR")"
  "$BERTH" --store "$store" --json list >"$TMP/$tag.list.json"
  "$BERTH" --store "$store" --json pool show >"$TMP/$tag.pools.json"
  "${CHECK[@]}" "$TMP/$tag.yaml" "$TMP/$tag.list.json" "$TMP/$tag.pools.json" ${4:-} >"$OUT" 2>&1 && pass || fail "manifests of $tag: $(cat "$OUT")"
}

# 1. ClusterIP (the default): every app's k8s/ and the top-level kustomization.
configure "$TMP/b1" "$TMP/s1"
expect_eq "configure" "$RC" 0
cmake --build "$TMP/b1" >"$OUT" 2>&1 || fail "build: $(tail "$OUT")"
[ -f "$TMP/b1/apps/kustomization.yaml" ] && pass || fail "no top-level kustomization.yaml"
expect_eq "top-level lists every app" "$(grep -c '/k8s"$' "$TMP/b1/apps/kustomization.yaml")" 6
render "$TMP/b1" "$TMP/s1" clusterip
# Written only when it changes: a configure that writes its outputs again (the summary is gone)
# leaves it as it was.
before=$(stat -c %y "$TMP/b1/apps/kustomization.yaml")
rm "$TMP/b1/berth/apps.json"
configure "$TMP/b1" "$TMP/s1"
[ -f "$TMP/b1/berth/apps.json" ] && pass || fail "the re-configure did not write its outputs"
expect_eq "top-level kustomization untouched by a re-configure" "$(stat -c %y "$TMP/b1/apps/kustomization.yaml")" "$before"
# Every rendered app is still a valid compose project (image names added).
d="$TMP/b1/apps/openai_gpt-5-mini-2025-08-07/app2"
(cd "$d" && docker-compose config -q) 2>"$ERR" && pass || fail "docker-compose config: $(cat "$ERR")"
grep -q "image: localhost:5000/openai-gpt-5-mini-2025-08-07-app2-backend:latest" "$d/docker-compose.yml" && pass || fail "compose image tag"

# 2. NodePorts: reserved from the pool nodeport, distinct, in the lock file.
LOCK="$TMP/apps.lock.json"
configure "$TMP/b2" "$TMP/s2" -DLLM_APPS_NODEPORT=ON -DBERTH_LOCKFILE="$LOCK"
expect_eq "configure with NodePorts" "$RC" 0
cmake --build "$TMP/b2" >"$OUT" 2>&1 || fail "build: $(tail "$OUT")"
render "$TMP/b2" "$TMP/s2" nodeport nodeport
expect_eq "NodePorts in the lock" "$(grep -c '"node": 3[0-9]*' "$LOCK")" 6
grep -q '"extra": \[' "$LOCK" && pass || fail "lock names the extra pool"
grep -o '"node": [0-9]*' "$LOCK" | sort >"$TMP/nodeports.1"
# A fresh store and a fresh build tree: the lock brings back the same NodePorts, even locked.
configure "$TMP/b3" "$TMP/s3" -DLLM_APPS_NODEPORT=ON -DBERTH_LOCKFILE="$LOCK" -DBERTH_LOCKED=ON
expect_eq "locked configure in a fresh store" "$RC" 0
cmake --build "$TMP/b3" >"$OUT" 2>&1 || fail "build: $(tail "$OUT")"
render "$TMP/b3" "$TMP/s3" locked nodeport
"$BERTH" --store "$TMP/s3" export | grep -o '"node": [0-9]*' | sort >"$TMP/nodeports.3"
expect_eq "NodePorts survive a fresh store" "$(cat "$TMP/nodeports.3")" "$(cat "$TMP/nodeports.1")"
diff -r "$TMP/b2/apps" "$TMP/b3/apps" >"$TMP/diff" 2>&1 && pass || fail "k8s trees differ: $(head "$TMP/diff")"

# 3. A NodePort the lock pins, held by another app in this store: configure fails at the line.
first=$(head -1 "$TMP/nodeports.1" | grep -o '[0-9]*$')
"$BERTH" --store "$TMP/s4" reserve other 1 --extra nodeport --port "node=$first" --port backend=7001 --port frontend=10001 >/dev/null
configure "$TMP/b4" "$TMP/s4" -DLLM_APPS_NODEPORT=ON -DBERTH_LOCKFILE="$LOCK"
expect_eq "configure refused" "$RC" 1
grep -q "port $first (node) for .* is held by 'other' app 1 (node)" "$ERR" && pass || fail "conflict message: $(cat "$ERR")"
grep -q "CMakeLists.txt:[0-9]*" "$ERR" && pass || fail "conflict not located: $(cat "$ERR")"
grep -q "pinned by the lock file" "$ERR" && pass || fail "lock not named: $(cat "$ERR")"
expect_ok --store "$TMP/s4" list
expect_eq "nothing reserved by the refused configure" "$(tail -n +2 "$OUT" | wc -l)" 1

# 4. Turning NodePorts on for apps that have ports already gives each a NodePort, keeping the rest.
"$BERTH" --store "$TMP/s1" --json list | python3 -c 'import json,sys; print(sorted((r["project"], r["ports"]["backend"], r["ports"]["frontend"]) for r in json.load(sys.stdin)))' >"$TMP/before"
configure "$TMP/b1" "$TMP/s1" -DLLM_APPS_NODEPORT=ON
expect_eq "NodePorts switched on" "$RC" 0
"$BERTH" --store "$TMP/s1" --json list | python3 -c 'import json,sys; print(sorted((r["project"], r["ports"]["backend"], r["ports"]["frontend"]) for r in json.load(sys.stdin)))' >"$TMP/after"
expect_eq "other ports kept" "$(cat "$TMP/after")" "$(cat "$TMP/before")"
cmake --build "$TMP/b1" >"$OUT" 2>&1 || fail "build: $(tail "$OUT")"
render "$TMP/b1" "$TMP/s1" switched nodeport
expect_ok --store "$TMP/s1" check

finish
