#!/usr/bin/env bash
# Builds what the GPU machine needs into device-bundle/ (ignored by git, carried
# by the device tool): a static lowbit-gpu-run, and for every case in
# test/Integration/GPU/*.mlir its PTX and manifest (lowbit-compile), inputs
# drawn with a fixed seed and the CPU reference result (lowbit-run). Nothing is
# built on the GPU machine; scripts/device-test.sh runs the bundle there.
#
# The whole bundle (every case, every benchmark kernel, the JIT) is larger than
# the device tool carries (64 MiB): LOWBIT_BUNDLE_CASES=REGEX and
# LOWBIT_BUNDLE_BENCH=REGEX keep the cases / benchmark kernels whose names
# match (an empty expression keeps none), LOWBIT_BUNDLE_JIT=0 leaves the JIT
# out. Most of the bundle is the cases' inputs and reference results:
# LOWBIT_BUNDLE_INPUTS=device carries a static lowbit-run instead (about 15 MB,
# compressed), and device-test.sh draws them on the GPU machine, so that every
# case fits one bundle.
set -euo pipefail
keep_cases=${LOWBIT_BUNDLE_CASES-.}
keep_bench=${LOWBIT_BUNDLE_BENCH-.}
with_jit=${LOWBIT_BUNDLE_JIT:-1}
inputs_on=${LOWBIT_BUNDLE_INPUTS:-here}
case $inputs_on in here | device) ;; *)
  echo "LOWBIT_BUNDLE_INPUTS must be 'here' or 'device', not '$inputs_on'" >&2
  exit 1 ;;
esac
keeps() { [ -n "$1" ] && [[ $2 =~ $1 ]]; }
root=$(cd "$(dirname "$0")/.." && pwd)
arch=${LOWBIT_DEVICE_ARCH:-sm_90a}
build=$("$root/scripts/configure.sh")
host_targets=(lowbit-compile)
[ "$inputs_on" = here ] && host_targets+=(lowbit-run)
ninja -C "$build" "${host_targets[@]}"

# Release, LLVM linked statically: the GPU machine has no LLVM.
static=$root/build-device
if [ ! -f "$static/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$static" -DCMAKE_BUILD_TYPE=Release \
    -DLOWBIT_STATIC_LLVM=ON -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit > "$static.configure.log"
fi
static_targets=(lowbit-gpu-run lowbit-bench)
[ "$with_jit" != 0 ] && static_targets+=(lowbit-tune LowbitC)
[ "$inputs_on" = device ] && static_targets+=(lowbit-run)
ninja -C "$static" "${static_targets[@]}"

bundle=$root/device-bundle
rm -rf "$bundle"
mkdir -p "$bundle/bin" "$bundle/cases"
strip -o "$bundle/bin/lowbit-gpu-run" "$static/bin/lowbit-gpu-run"
strip -o "$bundle/bin/lowbit-bench" "$static/bin/lowbit-bench"
# The JIT (MLIR and LLVM inside): compressed, unpacked by device-test.sh.
if [ "$with_jit" != 0 ]; then
  mkdir -p "$bundle/jit"
  strip -o "$bundle/jit/lowbit-tune" "$static/bin/lowbit-tune"
  strip -o "$bundle/jit/libLowbitC.so" "$static/lib/libLowbitC.so"
  xz -T2 -6 "$bundle/jit/lowbit-tune" "$bundle/jit/libLowbitC.so"
fi
if [ "$inputs_on" = device ]; then
  strip -o "$bundle/bin/lowbit-run" "$static/bin/lowbit-run"
  xz -T2 -6 "$bundle/bin/lowbit-run"
fi
for case in "$root"/test/Integration/GPU/*.mlir; do
  name=$(basename "$case" .mlir)
  [ "$name" = unsupported ] && continue
  keeps "$keep_cases" "$name" || continue
  dir=$bundle/cases/$name
  mkdir -p "$dir"
  # A case may name its target (`// GPU-ARCH: sm_90` keeps mma_sync on the
  # H100, where sm_90a selects wgmma for 8-bit operands).
  case_arch=$(sed -n 's|^// GPU-ARCH: *||p' "$case")
  "$build/bin/lowbit-compile" "$case" --arch="${case_arch:-$arch}" -o "$dir/kernel.ptx" \
    --manifest="$dir/manifest.json" > /dev/null
  sed -i "s|\"image\": \".*\"|\"image\": \"kernel.ptx\"|" "$dir/manifest.json"
  # A case may shape its inputs (`// GPU-INPUTS: --nonnegative=0`: lowbit-run's
  # options for the generated arguments).
  # Drawn here, or on the GPU machine from the case's IR (device-test.sh runs
  # the same script there).
  sed -n 's|^// GPU-INPUTS: *||p' "$case" > "$dir/inputs.args"
  if [ "$inputs_on" = device ]; then
    cp "$case" "$dir/case.mlir"
  else
    "$root/scripts/case-reference.sh" "$build/bin/lowbit-run" "$case" "$dir"
  fi
  # A case may state its tolerance (`// GPU-COMPARE: --rtol=... --atol=...`).
  sed -n 's|^// GPU-COMPARE: *||p' "$case" > "$dir/compare.args"
done
# Timing cases: compiled only (operands are drawn on the GPU machine).
"$root/bench/decode-w4a16.sh" "$bundle/bench-src"
"$root/bench/decode-w4a8.sh" "$bundle/bench-src"
"$root/bench/prefill.sh" "$bundle/bench-src"
"$root/bench/bitplane.sh" "$bundle/bench-src"
"$root/bench/decode-formats.sh" "$bundle/bench-src"
for case in "$bundle"/bench-src/*.mlir; do
  name=$(basename "$case" .mlir)
  keeps "$keep_bench" "$name" || continue
  dir=$bundle/bench/$name
  mkdir -p "$dir"
  "$build/bin/lowbit-compile" "$case" --arch="$arch" -o "$dir/kernel.ptx" \
    --manifest="$dir/manifest.json" > /dev/null
  sed -i "s|\"image\": \".*\"|\"image\": \"kernel.ptx\"|" "$dir/manifest.json"
done
# The benchmark sources stay here (3 MB the GPU machine does not read).
rm -rf "$build/device-bench-src"
mv "$bundle/bench-src" "$build/device-bench-src"
du -sh "$bundle"
