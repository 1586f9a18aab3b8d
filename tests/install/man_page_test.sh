#!/usr/bin/env bash
# docs/netlab.1 covers every verb and long flag that `netlab --help` lists, and
# groff reads it without a warning.
# Usage: man_page_test.sh SOURCE_DIR NETLAB_BINARY
set -uo pipefail
src=$(realpath "$1")
exe=$(realpath "$2")
page=$src/docs/netlab.1
source "$src/tests/install/complete.bash"
failures=0
mapfile -t verbs < <(help_verbs "$exe")
((${#verbs[@]} >= 10)) || { echo "FAIL: only ${#verbs[@]} verbs parsed from $exe --help"; exit 1; }
for v in "${verbs[@]}"; do
    grep -q "^\.SS $v\( \|$\)" "$page" || { echo "FAIL: no '.SS $v' section in docs/netlab.1"; failures=$((failures + 1)); }
    while read -r f; do
        [[ $f == --help ]] && continue
        grep -qF -- "${f//-/\\-}" "$page" || { echo "FAIL: $v $f is not in docs/netlab.1"; failures=$((failures + 1)); }
    done < <(help_long_flags "$exe" "$v"; help_long_flags "$exe")
done
if command -v groff >/dev/null; then
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [[ -z $warnings ]] || { echo "FAIL: groff: $warnings"; failures=$((failures + 1)); }
fi
((failures == 0)) && echo "docs/netlab.1: all ${#verbs[@]} verbs and their flags"
exit $((failures > 0))
