#!/usr/bin/env bash
# Installs dependencies, builds netlab and brings up the default lab.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DNETLAB_TESTS=OFF
cmake --build build/release
topo=${1:-topologies/bridge-gateway.yaml}
build/release/netlab up "$topo"
