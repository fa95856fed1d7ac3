#!/usr/bin/env bash
# Builds everything and runs every test through ctest (what CI runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
build=$("$root/scripts/configure.sh")
ninja -C "$build"
cd "$build"
ctest -j"$(nproc)" --output-on-failure
