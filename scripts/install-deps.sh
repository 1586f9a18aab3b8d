#!/usr/bin/env bash
# Installs everything netlab needs to build, test and run, from Debian 12
# packages only. Idempotent: already-installed packages are left alone.
# --test: also what only the tests need (scripts/test.sh passes it): Chromium,
# for the live graph's browser test and scripts/live-screenshots.sh (which also
# shrinks its PNGs with pngquant).
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config
  libnl-3-dev libnl-route-3-dev libnftables-dev libyaml-cpp-dev libspdlog-dev libpcap-dev
  libcli11-dev nlohmann-json3-dev catch2 libgraphviz-dev libcpp-httplib-dev
  iproute2 nftables iptables iputils-ping
  dpkg-dev bash-completion groff-base zsh fish
  python3 python3-yaml python3-jsonschema
)
test_packages=(chromium pngquant)
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
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
