#!/usr/bin/env bash
# Regenerates docs/img/<lab>-live.png, a screenshot of the live graph
# (`netlab graph --serve`) of every shipped lab in headless Chromium. Needs root:
# each lab is brought up in a sandbox of its own network and mount namespaces
# (tests/browser/sandbox.py); nothing is left on the machine.
#   scripts/live-screenshots.sh [NETLAB_BINARY] [LAB...]   (default: build/release/apps/netlab)
set -euo pipefail
cd "$(dirname "$0")/.."
netlab=${1:-build/release/apps/netlab}
shift || true
scripts/install-deps.sh --test
exec python3 tests/browser/screenshots.py . "$netlab" "$@"
