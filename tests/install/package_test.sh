#!/usr/bin/env bash
# Builds the .deb from this build tree (cpack), checks its Depends and contents,
# unpacks it into a fresh root and runs the unpacked binary from an empty directory:
# --version, validate of every shipped lab (one by name), then, as root in a sandbox
# (new net + mount namespaces, tmpfs on /run/netns and /run/netlab), up, status,
# list, the installed bash completion for labs and nodes, and down.
# Usage: package_test.sh BUILD_DIR SOURCE_DIR [jemalloc|libc-malloc]
# (jemalloc: the build links it, NETLAB_JEMALLOC; the ASan build does not)
set -euo pipefail
build=$(realpath "$1")
src=$(realpath "$2")
allocator=${3:-libc-malloc}
tmp=$(mktemp -d /tmp/netlab-package-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The package.
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
    { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
debs=("$tmp"/out/*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || fail "cpack made no single .deb: ${debs[*]}"
deb=${debs[0]}
depends=$(dpkg-deb -f "$deb" Depends)
echo "$(basename "$deb"): Depends: $depends"
libs=(libc6 libstdc++6 libnl-3-200 libnl-route-3-200 libnftables1 libyaml-0-2 libpcap0.8)
[[ $allocator == jemalloc ]] && libs+=(libjemalloc2)
for lib in "${libs[@]}"; do
    [[ ", $depends," == *", $lib "* || ", $depends," == *", $lib,"* ]] || fail "Depends lacks $lib"
done
contents=$(dpkg-deb -c "$deb" | awk '{print $NF}')
for f in ./usr/bin/netlab ./usr/bin/tunping ./usr/share/man/man1/netlab.1.gz ./usr/share/bash-completion/completions/netlab \
    ./usr/share/zsh/vendor-completions/_netlab ./usr/share/fish/vendor_completions.d/netlab.fish \
    ./usr/share/netlab/schema/topology.schema.json ./usr/share/netlab/ansible/site.yml \
    ./usr/share/netlab/ansible/library/netlab.py; do
    grep -qxF "$f" <<<"$contents" || fail "the package lacks $f"
done
for lab in "$src"/topologies/*.yaml; do
    grep -qxF "./usr/share/netlab/topologies/${lab##*/}" <<<"$contents" || fail "the package lacks lab ${lab##*/}"
done

# 2. Unpacked into a fresh root; run from an empty directory with nothing but that root.
root=$tmp/root
dpkg -x "$deb" "$root"
netlab=$root/usr/bin/netlab
if readelf -S "$netlab" | grep -q '\.symtab'; then fail "usr/bin/netlab is not stripped"; fi
mkdir "$tmp/empty"
cd "$tmp/empty"
export NETLAB_PATH=
"$netlab" --version | grep -Eq '^netlab [0-9]+\.[0-9]+\.[0-9]+ \(commit [^)]+\)$' || fail "netlab --version"
# tunping (the tun/tap lesson's program) runs from the package: no args is its usage, exit 2.
set +e; "$root/usr/bin/tunping" 2>/dev/null; rc=$?; set -e
[[ $rc -eq 2 ]] || fail "usr/bin/tunping without arguments: exit $rc, want 2 (usage)"
"$netlab" validate bridge-gateway || fail "validate bridge-gateway (by name, from the installed labs)"
for lab in "$root"/usr/share/netlab/topologies/*.yaml; do
    "$netlab" validate "$lab" >/dev/null || fail "validate $lab"
done
zcat "$root/usr/share/man/man1/netlab.1.gz" | groff -man -Tutf8 -ww -z 2>&1 | grep . && fail "the installed man page"

if [[ $(id -u) -ne 0 ]]; then
    echo "not root: the sandboxed up/status/down is skipped"
    exit 77
fi

# 3. A sandboxed lifecycle of a shipped lab, by name, with the installed binary.
cat >"$tmp/lifecycle.sh" <<'SANDBOX'
set -euo pipefail
netlab=$1 root=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
mount --make-rprivate /
for d in /run/netns /run/netlab; do mkdir -p "$d"; mount -t tmpfs -o mode=0755 tmpfs "$d"; done
ip link set lo up
"$netlab" up bridge-gateway
"$netlab" status -l bridge-gateway
"$netlab" list | grep -qF "$root/usr/share/netlab/topologies/bridge-gateway.yaml" ||
    { "$netlab" list; fail "netlab list does not show the installed file"; }
# The installed bash completion sees the lab and its nodes.
set +eu # bash-completion is not written for errexit/nounset
source /usr/share/bash-completion/bash_completion
source "$root/usr/share/bash-completion/completions/netlab"
source "$3/tests/install/complete.bash"
failures=0
mapfile -t got < <(complete_words "$netlab" down -l "")
expect_in bridge-gateway "down -l LAB" "${got[@]}"
mapfile -t got < <(complete_words "$netlab" exec "")
expect_in ns1 "exec NODE" "${got[@]}"
mapfile -t got < <(complete_words "$netlab" up bridge-g)
expect_in bridge-gateway "up FILE (an installed lab)" "${got[@]}"
((failures == 0)) || exit 1
set -eu
"$netlab" down bridge-gateway
[[ -z $(ip netns list) ]] || fail "namespaces left: $(ip netns list)"
[[ -z $(ls -A /run/netlab | grep -vx -e '\.lock' -e '\.locks') ]] || fail "state left in /run/netlab: $(ls -A /run/netlab)"
SANDBOX
unshare -n -m bash "$tmp/lifecycle.sh" "$netlab" "$root" "$src" || fail "the sandboxed lifecycle"
echo "package: $(basename "$deb") installs, validates and runs bridge-gateway from $root"
