#!/usr/bin/env bash
# The renderer's time per byte on the input shapes that once made it quadratic (unterminated
# defaults `{{a|` and `{{a|{{`, bare `{{`) and on plain text, at 1x and 8x the size: a linear
# renderer prints a ratio near 1. Each time is one `berth scaffold --dry-run` of a bare template
# holding that one file, minus the same scaffold of an empty file (process start, store).
#   bench/render_bench.sh <path to berth> [MiB at 1x] [runs]
set -eu
BERTH=$(realpath "$1")
MIB=${2:-1}
RUNS=${3:-3}
source "$(dirname "$0")/lib.sh"
S="$TMP/store"
"$BERTH" --store "$S" reserve warm/up 1 >/dev/null

# fill FILE PATTERN BYTES: PATTERN repeated to BYTES bytes.
fill() { awk -v p="$2" -v n="$3" 'BEGIN { s = p; while (length(s) < n) s = s s; printf "%s", substr(s, 1, n) }' >"$1"; }
# time_ns DIR: median time of a dry-run scaffold of the bare template in DIR.
time_ns() {
  for _ in $(seq "$RUNS"); do
    t=$(now_ns)
    "$BERTH" --store "$S" scaffold r 1 --template "$1" --out "$TMP/out" --dry-run -q >/dev/null 2>&1
    echo $(($(now_ns) - t))
  done | median
}
mkdir -p "$TMP/empty"
: >"$TMP/empty/f.txt"
base=$(time_ns "$TMP/empty")
echo "berth render benchmark (${MIB} MiB and $((8 * MIB)) MiB, median of $RUNS; process start subtracted)"
printf '%-14s %14s %14s %8s\n' shape "ns/byte 1x" "ns/byte 8x" "8x/1x"
for shape in '{{a|' '{{a|{{' '{{' 'plain text '; do
  per=()
  for factor in 1 8; do
    bytes=$((factor * MIB * 1024 * 1024))
    mkdir -p "$TMP/t$factor"
    fill "$TMP/t$factor/f.txt" "$shape" "$bytes"
    t=$(time_ns "$TMP/t$factor")
    per+=("$(awk -v t="$t" -v b="$base" -v n="$bytes" 'BEGIN {d = t - b; if (d < 0) d = 0; printf "%.2f", d / n}')")
  done
  ratio=$(awk -v a="${per[0]}" -v b="${per[1]}" 'BEGIN {printf "%.2f", (a > 0) ? b / a : 0}')
  printf '%-14s %14s %14s %7sx\n' "$shape" "${per[0]}" "${per[1]}" "$ratio"
done
