#!/usr/bin/env bash
# The react-flask template's files under real linters, for every shape of app: the default, the
# NodePort variant, a backend-only and a frontend-only app (adopted by backfill).
#   lint_test.sh <berth>        yamllint -s (tests/lint/yamllint.yml) on every compose and k8s file
#   lint_test.sh <berth> npm    also dockerfile-utils lint on every Dockerfile (needs the npm
#                               registry: it installs dockerfile-utils into a temporary folder)
LINT="$(cd "$(dirname "$0")/../lint" && pwd)"
source "$(dirname "$0")/lib.sh" "$1"
S="$TMP/store"
expect_ok --store "$S" scaffold m 1 --out "$TMP/apps/default"
expect_ok --store "$S" scaffold m 2 --set k8s_service_type=NodePort --out "$TMP/apps/nodeport"
mkdir -p "$TMP/tree/b/app1/backend" "$TMP/tree/f/app1/frontend"
expect_ok --store "$S" backfill "$TMP/tree"
mv "$TMP/tree/b/app1" "$TMP/apps/backend-only" && mv "$TMP/tree/f/app1" "$TMP/apps/frontend-only"
expect_eq "compose files" "$(find "$TMP/apps" -name docker-compose.yml | wc -l)" 4

mapfile -t yaml < <(find "$TMP/apps" -name '*.yml' -o -name '*.yaml' | sort)
[ "${#yaml[@]}" -ge 20 ] && pass || fail "only ${#yaml[@]} YAML files"
yamllint -s -f parsable -c "$LINT/yamllint.yml" "${yaml[@]}" >"$OUT" 2>&1 && pass ||
  fail "yamllint: $(sed "s|$TMP/apps/||" "$OUT")"
# The check can fail: a file yamllint rejects is reported.
printf 'a: 1\na: 2\n' >"$TMP/dup.yml"
yamllint -s -c "$LINT/yamllint.yml" "$TMP/dup.yml" >/dev/null 2>&1 && fail "yamllint passed a duplicate key" || pass

if [ "${2:-}" = npm ]; then
  (cd "$TMP" && npm install --no-audit --no-fund --silent dockerfile-utils@0.16 >"$OUT" 2>&1) && pass ||
    fail "npm install dockerfile-utils"
  lint="$TMP/node_modules/.bin/dockerfile-utils"
  mapfile -t dockerfiles < <(find "$TMP/apps" -name Dockerfile | sort)
  expect_eq "Dockerfiles" "${#dockerfiles[@]}" 6
  for f in "${dockerfiles[@]}"; do
    # -j: every diagnostic, warnings too, as JSON; none is expected.
    "$lint" lint -j "$f" >"$OUT" 2>&1
    [ "$(cat "$OUT")" = "[]" ] && pass || fail "dockerfile-utils lint ${f#"$TMP/apps/"}: $(cat "$OUT")"
  done
  printf 'FROM\nEXPOSE abc\n' >"$TMP/Dockerfile.bad"
  "$lint" lint "$TMP/Dockerfile.bad" >/dev/null 2>&1 && fail "dockerfile-utils passed a broken file" || pass
fi
finish
