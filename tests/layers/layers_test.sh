#!/usr/bin/env bash
# The include direction of docs/ARCHITECTURE.md: a file includes headers of its own folder and
# of the folders below it, never of a folder above (or beside) it. Fails naming each include that
# points the wrong way.
#   bash tests/layers/layers_test.sh [SOURCE_DIR]
set -euo pipefail
cd "${1:-$(dirname "$0")/../..}"

# Top to bottom; folders on one line are side by side and may not include each other.
layers=(
  "generator"
  "generator/cli"
  "generator/health"
  "generator/configure"
  "generator/app"
  "generator/template"
  "generator/io generator/host"
  "store"
)

declare -A rank
for i in "${!layers[@]}"; do
  for folder in ${layers[$i]}; do
    rank[$folder]=$i
  done
done

bad=0
checked=0
while IFS= read -r file; do
  folder=$(dirname "$file")
  if [ -z "${rank[$folder]+x}" ]; then
    echo "layers: $file: folder '$folder' is in no layer; add it to tests/layers/layers_test.sh and docs/ARCHITECTURE.md"
    bad=$((bad + 1))
    continue
  fi
  while IFS= read -r header; do
    checked=$((checked + 1))
    to=$(dirname "$header")
    if [ -z "${rank[$to]+x}" ]; then
      echo "layers: $file includes \"$header\", whose folder is in no layer"
      bad=$((bad + 1))
    elif [ "$to" != "$folder" ] && [ "${rank[$to]}" -le "${rank[$folder]}" ]; then
      echo "layers: $file includes \"$header\": '$folder' may not include '$to' (it is above or beside it)"
      bad=$((bad + 1))
    fi
  done < <(sed -n 's/^#include "\(\(generator\|store\)\/[^"]*\)".*/\1/p' "$file")
done < <(find generator store -name '*.cpp' -o -name '*.hpp' | sort)

echo "layers: $checked includes checked, $bad pointing the wrong way"
[ "$bad" -eq 0 ]
