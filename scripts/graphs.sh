#!/usr/bin/env bash
# Regenerates docs/img/<lab>.svg, the picture of every shipped lab, with
# `netlab graph --format svg` (Graphviz's dot layout). Run after editing a lab;
# the graph_images_check test fails while a picture is stale.
#   scripts/graphs.sh [NETLAB_BINARY]   (default: build/release/apps/netlab)
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=${1:-build/release/apps/netlab}
mkdir -p docs/img
for lab in topologies/*.yaml; do
  name=$(basename "$lab" .yaml)
  "$netlab" graph "$lab" --format svg -o "docs/img/$name.svg"
  echo "docs/img/$name.svg"
done
