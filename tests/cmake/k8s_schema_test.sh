#!/usr/bin/env bash
# Opt-in (needs the npm registry): every object kubectl renders from an app's k8s/ folder, with
# ClusterIP and with NodePort, validates against the Kubernetes API schemas (npm's
# kubernetes-models); a broken copy is rejected, so the validator is really looking.
# Enable with: cmake -B build -DBERTH_TEST_NPM=ON && ctest --test-dir build -R k8s_schema
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
source "$REPO/tests/e2e/lib.sh" "$1"
expect_ok --store "$TMP/store" scaffold m 1 --out "$TMP/a1"
expect_ok --store "$TMP/store" scaffold m 2 --out "$TMP/a2" --set k8s_service_type=NodePort
mkdir -p "$TMP/npm" && cp "$REPO/tests/cmake/k8s_validate.mjs" "$TMP/npm/"
cd "$TMP/npm" || exit 1
if timeout 600 npm install --no-audit --no-fund kubernetes-models@5 >"$TMP/npm.log" 2>&1; then pass; else fail "npm install: $(tail -5 "$TMP/npm.log")"; fi
for app in a1 a2; do
  kubectl kustomize "$TMP/$app/k8s" | python3 -c 'import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))' >"$TMP/$app.json"
  node k8s_validate.mjs "$TMP/$app.json" >"$OUT" 2>&1 && pass || fail "schema validation of $app: $(cat "$OUT")"
done
python3 -c 'import json, sys; o = json.load(open(sys.argv[1])); [d for d in o if d["kind"] == "Service"][-1]["spec"]["ports"][0]["nodePort"] = "x"; json.dump(o, open(sys.argv[2], "w"))' "$TMP/a2.json" "$TMP/broken.json"
if node k8s_validate.mjs "$TMP/broken.json" >"$OUT" 2>&1; then fail "a nodePort that is not a number passed"; else grep -q "nodePort must be integer" "$OUT" && pass || fail "unexpected: $(cat "$OUT")"; fi
finish
