#!/usr/bin/env bash
# Installs dependencies, builds netlab (Release; the binary is
# build/release/apps/netlab), brings up the default lab and runs its checks.
# Needs root. Usage: scripts/demo.sh [TOPOLOGY]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETLAB_TESTS=OFF -DNETLAB_BENCH=OFF
cmake --build build/release
topo=${1:-topologies/bridge-gateway.yaml}
netlab=build/release/apps/netlab
"$netlab" up "$topo"
"$netlab" test "$topo"
