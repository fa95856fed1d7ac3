#!/usr/bin/env bash
# Configures the build folder (default: build/) once; later calls reuse it.
# The default build type is empty: -O0 with assertions on in lowbit's own code,
# the fastest to build on small machines and the strictest for tests.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${LOWBIT_BUILD_DIR:-$root/build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    "$@" > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
fi
echo "$build"
