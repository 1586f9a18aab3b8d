#!/usr/bin/env bash
# Builds netlab in Release and packs it as a Debian package (cpack -G DEB):
# build/package/netlab_<version>-1_<arch>.deb, binary stripped, Depends from
# dpkg-shlibdeps. Install it with: sudo apt install ./build/package/netlab_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/package -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DNETLAB_TESTS=OFF -DNETLAB_BENCH=OFF
cmake --build build/package
(cd build/package && cpack -G DEB)
ls build/package/netlab_*.deb
