#!/usr/bin/env bash
# Installs dependencies, builds with ASan+UBSan and runs every test via ctest.
# Integration tests need root; each runs in its own network+mount namespace sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test # Chromium too: the live graph is tested in a browser
cmake -S . -B build/test -G Ninja -DCMAKE_BUILD_TYPE=Debug -DNETLAB_SANITIZE=ON -DNETLAB_BENCH=OFF
cmake --build build/test
ctest --test-dir build/test --output-on-failure -j2 "$@"
