#!/usr/bin/env bash
# Installs everything netlab needs to build, test and run, from Debian 12
# packages only. Idempotent: already-installed packages are left alone.
# --test: also what only the tests need (scripts/test.sh passes it): Chromium,
# for the live graph's browser test and scripts/live-screenshots.sh (which also
# shrinks its PNGs with pngquant); ansible-core and openssh-server, for the tests of
# contrib/ansible, which run sshd only inside their sandbox (tests/ansible/). The
# machine itself does not become an SSH server: the package's service is neither
# started by the install nor started at boot (below).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libnl-3-dev libnl-route-3-dev libnftables-dev libyaml-dev libspdlog-dev libpcap-dev libjemalloc-dev
  libcli11-dev nlohmann-json3-dev catch2 libgraphviz-dev libcpp-httplib-dev
  iproute2 nftables iptables iputils-ping
  dpkg-dev bash-completion groff-base zsh fish
  python3 python3-yaml python3-jsonschema
)
test_packages=(chromium pngquant ansible-core openssh-server)
case "${1:-}" in
  --test) packages+=("${test_packages[@]}") ;;
  "") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
new_sshd=""
if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
  new_sshd=yes
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # invoke-rc.d asks this before starting a service: 101, "not allowed", so the
    # package's postinst does not start an sshd on port 22 of this machine.
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ -n "$new_sshd" ]; then
  # Debian's ssh service (init script and systemd unit, ssh.socket too) does not
  # start while this file exists; the tests run /usr/sbin/sshd themselves. Only when
  # this script installed the package: a machine that already had sshd keeps it.
  $SUDO touch /etc/ssh/sshd_not_to_be_run
  echo "install-deps: openssh-server installed for the tests; its service stays off (/etc/ssh/sshd_not_to_be_run)"
fi
