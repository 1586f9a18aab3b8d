#!/bin/sh
# scripts/uml.sh [-t SECONDS] 'COMMANDS'
#
# Runs COMMANDS as root inside user-mode Linux: a Linux kernel of its own, run as
# a process, with Debian's configuration (CONFIG_VLAN_8021Q,
# CONFIG_BRIDGE_VLAN_FILTERING, dummy, veth, macvlan, vxlan, tun; but no nftables
# inet family, so NAT does not work in it). It lets the tests of kinds this
# machine's kernel lacks run fully here, e.g.
#
#   scripts/uml.sh 'build/tests/netlab_integration "bridge VLANs*"'
#
# Inside: the host's / read-only (hostfs), the working directory is the repository,
# and /proc, /sys, /run, /tmp are the guest's own; nothing the commands do reaches
# the host's network. Prints their output and exits with their status.
# Needs the Debian packages user-mode-linux and kmod.
set -eu
timeout=600
if [ "${1:-}" = "-t" ]; then timeout=$2; shift 2; fi
[ $# -eq 1 ] || { echo "usage: $0 [-t SECONDS] 'COMMANDS'" >&2; exit 2; }
command -v linux.uml >/dev/null || { echo "uml.sh: needs user-mode-linux (apt-get install user-mode-linux kmod)" >&2; exit 77; }

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/netlab-uml.XXXXXX)
trap 'rm -rf "$work"' EXIT
printf '%s\n' "$1" > "$work/cmd"
cat > "$work/init.sh" <<EOF
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t hostfs none /mnt -o $work
mount -t tmpfs tmpfs /run
mkdir -p /run/netns /run/netlab
mount -t tmpfs tmpfs /tmp
# Debian ships the guest's modules under /usr/lib/uml; modprobe -d wants DIR/lib/modules/VERSION.
mkdir -p /tmp/modroot/lib/modules
ln -s /usr/lib/uml/modules/\$(uname -r) /tmp/modroot/lib/modules/\$(uname -r)
# The kernel cannot load modules on demand here (no /lib/modules): load what labs use up front.
for m in veth bridge 8021q macvlan vxlan tun dummy nfnetlink nf_tables; do
  modprobe -d /tmp/modroot \$m 2>/dev/null || true
done
ip link set lo up
cd $repo
sh /mnt/cmd > /mnt/out 2>&1 < /dev/null
echo \$? > /mnt/rc
sync
poweroff -f
EOF
chmod +x "$work/init.sh"
timeout "$timeout" linux.uml mem=768M root=/dev/root rootfstype=hostfs rootflags=/ ro \
  init="$work/init.sh" con=null con0=fd:0,fd:1 > "$work/console" 2>&1 < /dev/null || true
if [ ! -f "$work/rc" ]; then
  echo "uml.sh: the guest did not finish; its console:" >&2
  tail -30 "$work/console" >&2
  exit 1
fi
cat "$work/out"
exit "$(cat "$work/rc")"
