#!/usr/bin/env bash
# The bash (and, where installed, zsh and fish) completion offers every verb and flag the binary's --help lists, *.yaml
# files and shipped labs for FILE, the nodes of a file for exec/shell -f, NODE:IF for capture, the labs
# of `netlab list` for -l, and the command's own completion after --.
# Usage: completion_test.sh SOURCE_DIR NETLAB_BINARY
set -uo pipefail
src=$(realpath "$1")
exe=$(realpath "$2")
[[ -r /usr/share/bash-completion/bash_completion ]] || { echo "bash-completion not installed: skipped"; exit 77; }
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion
source "$src/completions/netlab.bash"
source "$src/tests/install/complete.bash"
failures=0
tmp=$(mktemp -d /tmp/netlab-completion-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

mapfile -t verbs < <(help_verbs "$exe")
((${#verbs[@]} >= 10)) || { echo "FAIL: only ${#verbs[@]} verbs parsed from $exe --help"; exit 1; }
mapfile -t got < <(complete_words "$exe" "")
for v in "${verbs[@]}"; do expect_in "$v" "verbs" "${got[@]}"; done
mapfile -t got < <(complete_words "$exe" --)
expect_in --json "global flags" "${got[@]}"
for v in "${verbs[@]}"; do
    mapfile -t got < <(complete_words "$exe" "$v" -)
    mapfile -t flags < <(help_long_flags "$exe" "$v")
    for f in "${flags[@]}"; do expect_in "$f" "$v flags" "${got[@]}"; done
done

cd "$tmp" || exit 1
mkdir sub && touch mine.yaml notes.txt
cat >lab.yaml <<'YAML'
name: two
nodes:
  host:
    kind: host
  ns-a:
    interfaces:
      v1: {}
  ns-b: {}
links:
  - [ns-a:v1, ns-b:v2]
YAML
mapfile -t got < <(NETLAB_PATH=$src/topologies complete_words "$exe" up "")
expect_in mine.yaml "up FILE" "${got[@]}"
expect_in sub "up FILE (a directory)" "${got[@]}"
expect_in bridge-gateway "up FILE (a shipped lab)" "${got[@]}"
mapfile -t got < <(NETLAB_PATH=$src/topologies complete_words "$exe" watch --resync 5 "")
expect_in bridge-gateway "watch --resync 5 FILE (SECONDS is no FILE)" "${got[@]}"
mapfile -t got < <(NETLAB_PATH=$src/topologies complete_words "$exe" up -i s01 "")
expect_in bridge-gateway "up -i NAME FILE (NAME is no FILE)" "${got[@]}"
mapfile -t got < <(complete_words "$exe" up -)
expect_in --instance "up flags" "${got[@]}"
mapfile -t got < <(complete_words "$exe" exec -f lab.yaml -i s01 "")
expect_in ns-b "exec -f FILE -i NAME NODE" "${got[@]}"
printf '%s\n' "${got[@]}" | grep -qx notes.txt && { echo "FAIL: up FILE offers notes.txt"; failures=$((failures + 1)); }
mapfile -t got < <(complete_words "$exe" exec -f lab.yaml "")
for n in host ns-a ns-b; do expect_in "$n" "exec -f FILE NODE" "${got[@]}"; done
mapfile -t got < <(complete_words "$exe" shell --file lab.yaml ns-)
expect_in ns-b "shell --file FILE NODE" "${got[@]}"
mapfile -t got < <(complete_words "$exe" exec ns-a -- ech)
expect_in echo "exec NODE -- CMD" "${got[@]}"
mapfile -t got < <(complete_words "$exe" capture lab.yaml "")
for w in 'ns-a:*' ns-a:v1 ns-b:v2; do expect_in "$w" "capture FILE NODE:IF" "${got[@]}"; done
mapfile -t got < <(complete_words "$exe" capture lab.yaml ns-a:v1 -w out.pcapng --both-ends ns-)
expect_in ns-b:v2 "capture FILE NODE:IF NODE:IF" "${got[@]}"
mapfile -t got < <(complete_words "$exe" graph --format "")
expect_in dot "graph --format" "${got[@]}"
mapfile -t got < <(complete_words "$exe" --lang "")
expect_in zh "--lang CODE" "${got[@]}"
mapfile -t got < <(NETLAB_PATH=$src/topologies complete_words "$exe" --lang zh exercise list "")
expect_in loopback "--lang zh exercise list FILE (CODE is no verb)" "${got[@]}"

# Labs: a stand-in binary whose `list` prints what netlab list prints.
cat >"$tmp/netlab" <<STUB
#!/bin/sh
[ "\$1" = list ] && { printf '%-24s %6s  %s\n' LAB NODES SOURCE lab-one 3 /x.yaml lab-two 2 /y.yaml; exit 0; }
exec "$exe" "\$@"
STUB
chmod +x "$tmp/netlab"
mapfile -t got < <(complete_words "$tmp/netlab" down -l "")
expect_in lab-one "down -l LAB" "${got[@]}"
expect_in lab-two "down -l LAB" "${got[@]}"
printf '%s\n' "${got[@]}" | grep -qx LAB && { echo "FAIL: down -l offers the header"; failures=$((failures + 1)); }

# zsh and fish, where installed: the same verbs, flags, shipped labs, nodes and labs.
if command -v zsh >/dev/null; then
    zc() { zsh -f "$src/tests/install/zsh_harness.zsh" "$src/completions/_netlab" "$@" 2>&1; }
    mapfile -t got < <(zc "$exe" "")
    for v in "${verbs[@]}"; do expect_in "$v" "zsh verbs" "${got[@]}"; done
    mapfile -t got < <(zc "$exe" up -)
    expect_in --explain "zsh up flags" "${got[@]}"
    expect_in --json "zsh up flags" "${got[@]}"
    mapfile -t got < <(NETLAB_PATH=$src/topologies zc "$exe" up "")
    expect_in bridge-gateway "zsh up FILE" "${got[@]}"
    mapfile -t got < <(zc "$exe" exec -f lab.yaml "")
    expect_in ns-b "zsh exec -f FILE NODE" "${got[@]}"
    mapfile -t got < <(zc "$exe" capture lab.yaml "")
    expect_in ns-b:v2 "zsh capture FILE NODE:IF" "${got[@]}"
    mapfile -t got < <(zc "$tmp/netlab" status -l "")
    expect_in lab-two "zsh status -l LAB" "${got[@]}"
fi
if command -v fish >/dev/null; then
    fc() { PATH=$tmp:$PATH NETLAB_PATH=$src/topologies fish -c "source $src/completions/netlab.fish; complete -C'$*'" 2>&1 |
        sed 's/\t.*//'; }
    mapfile -t got < <(fc "netlab ")
    for v in "${verbs[@]}"; do expect_in "$v" "fish verbs" "${got[@]}"; done
    mapfile -t got < <(fc "netlab up -")
    expect_in --explain "fish up flags" "${got[@]}"
    mapfile -t got < <(fc "netlab up ")
    expect_in bridge-gateway "fish up FILE" "${got[@]}"
    expect_in mine.yaml "fish up FILE" "${got[@]}"
    mapfile -t got < <(fc "netlab up -")
    expect_in --instance "fish up flags" "${got[@]}"
    mapfile -t got < <(fc "netlab watch ")
    expect_in bridge-gateway "fish watch FILE" "${got[@]}"
    mapfile -t got < <(fc "netlab exec -f lab.yaml ")
    expect_in ns-b "fish exec -f FILE NODE" "${got[@]}"
    mapfile -t got < <(fc "netlab capture lab.yaml ")
    expect_in ns-a:v1 "fish capture FILE NODE:IF" "${got[@]}"
    mapfile -t got < <(fc "netlab down -l ")
    expect_in lab-one "fish down -l LAB" "${got[@]}"
fi
((failures == 0)) && echo "completion (bash$(command -v zsh >/dev/null && echo ", zsh")$(command -v fish >/dev/null && echo ", fish")): ${#verbs[@]} verbs, their flags, files, labs and nodes offered"
exit $((failures > 0))
