#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install what is missing, configure,
# build, and run the built-in W4A16 example through the passes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
build=$("$root/scripts/configure.sh")
echo "setup: building in $build"
start=$(date +%s)
ninja -C "$build" lowbit-opt
echo "setup: build took $(( $(date +%s) - start )) s"
"$root/scripts/run-example.sh" "$build/bin/lowbit-opt"
