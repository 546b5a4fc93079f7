# Helpers shared by the benchmark scripts: a temporary folder removed on exit, a clock that
# does not fork, medians and milliseconds.
#   source "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
now_ns() { local t=${EPOCHREALTIME/./}; echo "${t}000"; }  # no fork, unlike date
median() { sort -g | awk '{a[NR]=$1} END {printf "%.0f\n", (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
ms() { awk -v n="$1" 'BEGIN {printf "%.1f", n / 1e6}'; }
