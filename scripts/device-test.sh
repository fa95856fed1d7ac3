#!/usr/bin/env bash
# On the GPU machine, from the repository root: runs every case of
# device-bundle/ (see scripts/device-bundle.sh) against its CPU reference and
# prints a table. Logs go to the folder given as the argument.
set -uo pipefail
out=${1:-device-test-output}
mkdir -p "$out"
bundle=device-bundle
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
failures=0
# LOWBIT_CASES=0 skips the correctness cases (LOWBIT_CASES_FILTER=REGEX runs
# those whose folder matches), LOWBIT_BENCH=0 the benchmark, LOWBIT_JIT=0 the
# autotuner and Python checks. LOWBIT_DEADLINE=SECONDS starts no benchmark
# or profile after that many seconds of this script, so that a run under a
# wall-clock limit still merges and archives what it measured;
# LOWBIT_BENCH_TIMEOUT=SECONDS (default 300) stops one benchmark that runs
# longer (a kernel that hangs).
if [ "${LOWBIT_CASES:-1}" != 0 ]; then
# A bundle built with LOWBIT_BUNDLE_INPUTS=device carries each case's IR and a
# static lowbit-run: draw the inputs and the CPU reference here, all cores.
if [ -f "$bundle/bin/lowbit-run.xz" ]; then
  xz -dc "$bundle/bin/lowbit-run.xz" > "$bundle/bin/lowbit-run" && chmod +x "$bundle/bin/lowbit-run"
  # Filtered by case name, as the run below is; a case whose reference
  # fails fails below (no expected result).
  find "$bundle/cases" -name case.mlir -printf '%h\n' |
    while read -r dir; do [[ $(basename "$dir") =~ ${LOWBIT_CASES_FILTER:-.} ]] && echo "$dir"; done |
    xargs -P "$(nproc)" -I{} "$(dirname "$0")/case-reference.sh" "$bundle/bin/lowbit-run" \
      {}/case.mlir {}
fi
printf '%-34s %-6s %s\n' case result comparison > "$out/table.txt"
for dir in "$bundle"/cases/*/; do
  [ -d "$dir" ] || continue # a bundle built without cases
  name=$(basename "$dir")
  [[ $name =~ ${LOWBIT_CASES_FILTER:-.} ]] || continue
  tolerance=$(cat "$dir/compare.args" 2>/dev/null)
  # shellcheck disable=SC2086 # the tolerance is a list of flags
  # A kernel that never finishes (a lost barrier arrival) fails its case
  # instead of the run.
  if timeout 120 "$bundle/bin/lowbit-gpu-run" "$dir/manifest.json" --input-dir="$dir" \
       --output="$out/$name.npy" --expect="$dir/expected.npy" \
       ${tolerance:---rtol=1e-3 --atol=0.05} > "$out/$name.log" 2>&1; then
    result=PASS
  else
    result=FAIL
    failures=$((failures + 1))
  fi
  comparison=$(grep -h '^compare:\|lowbit-gpu-run:' "$out/$name.log" | head -1)
  echo "case $name $result"
  printf '%-34s %-6s %s\n' "$name" "$result" "$comparison" >> "$out/table.txt"
  # The SASS of each kernel, for the record, and its tensor-core, copy and
  # barrier opcodes counted in sass.txt (HGMMA/IGMMA/QGMMA: wgmma; HMMA/IMMA:
  # mma.sync; BMMA: 1-bit mma.sync; UTMALDG/UTMASTG: TMA loads/stores; LDGSTS: cp.async; LDSM: ldmatrix; SYNCS:
  # mbarrier; LDL/STL: local memory).
  if command -v cuobjdump > /dev/null && command -v ptxas > /dev/null; then
    ptxas -arch=sm_90a "$dir/kernel.ptx" -o "$out/$name.cubin" 2>> "$out/$name.log" &&
      cuobjdump -sass "$out/$name.cubin" > "$out/$name.sass" 2>&1 &&
      printf '%-34s %s\n' "$name" "$(grep -oE '\b(HGMMA|IGMMA|QGMMA|HMMA|IMMA|BMMA|UTMALDG|UTMASTG|LDGSTS|LDSM|SYNCS|LDL|STL)\b' \
        "$out/$name.sass" | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}')" >> "$out/sass.txt"
  fi
done
# Per-case logs, outputs and SASS in one archive now (a tool that brings
# back a limited number of files then still brings the summaries).
(cd "$out" && tar czf cases.tar.gz --remove-files -- *.log *.npy *.cubin *.sass 2>/dev/null)
fi
late() { [ -n "${LOWBIT_DEADLINE:-}" ] && [ "$SECONDS" -ge "$LOWBIT_DEADLINE" ]; }
# Benchmarks: lowbit-bench times every compiled benchmark kernel against
# cuBLAS bf16 in the same process (cuBLAS comes with the CUDA toolkit or torch).
if [ -z "${LOWBIT_CUBLAS:-}" ]; then
  found=$(find /usr/local/cuda*/ /usr/lib /usr/local/lib -name 'libcublas.so.1[0-9]*' 2>/dev/null | head -1)
  [ -n "$found" ] || found=$(python3 -c "import nvidia.cublas, os, glob; print(glob.glob(os.path.join(os.path.dirname(nvidia.cublas.__file__), 'lib', 'libcublas.so*'))[0])" 2>/dev/null)
  [ -n "$found" ] || found=$(find / -xdev -name 'libcublas.so.1[0-9]*' 2>/dev/null | head -1)
  [ -n "$found" ] && export LOWBIT_CUBLAS=$found
  echo "cuBLAS: ${LOWBIT_CUBLAS:-not found}" >> "$out/gpu.txt"
fi
# LOWBIT_BENCH=0 runs the cases only.
if [ "${LOWBIT_BENCH:-1}" != 0 ]; then
  # One process per kernel, so that a run cut short keeps what it measured;
  # LOWBIT_BENCH_FILTER (a regular expression) picks kernels by folder name.
  : > "$out/timing.txt"
  mkdir -p "$out/bench-json"
  for dir in "$bundle"/bench/*/; do
    [ -d "$dir" ] || continue # a bundle built without benchmark kernels
    name=$(basename "$dir")
    [[ $name =~ ${LOWBIT_BENCH_FILTER:-.} ]] || continue
    if late; then
      echo "not timed (LOWBIT_DEADLINE): $name" | tee -a "$out/timing.txt"
      continue
    fi
    # The table line also on stdout, which survives a cut-short run.
    timeout "${LOWBIT_BENCH_TIMEOUT:-300}" "$bundle/bin/lowbit-bench" "$dir/manifest.json" --runs=200 \
      --json="$out/bench-json/$name.json" > "$out/bench-one.txt" 2>&1 ||
      failures=$((failures + 1))
    cat "$out/bench-one.txt" >> "$out/timing.txt"
    grep -v '^card\|^kernel ' "$out/bench-one.txt" | sed "s|^|$name: |"
  done
  python3 - "$out" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
runs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(out, "bench-json", "*.json")))]
merged = dict(runs[0]) if runs else {}
if runs:
    merged["results"] = [r for run in runs for r in run.get("results", [])]
json.dump(merged, open(os.path.join(out, "bench.json"), "w"), indent=1)
PY
  rm -rf "$out/bench-json" "$out/bench-one.txt"
else
  echo "benchmarks skipped (LOWBIT_BENCH=0)" > "$out/timing.txt"
fi
# Profiles: LOWBIT_NCU=REGEX runs Nsight Compute once on the kernel of each
# benchmark folder the expression matches (clocks left alone), into
# OUT/ncu-NAME.txt: speed of light, occupancy, warp stalls, memory; or,
# where LOWBIT_NCU_METRICS names metrics (comma-separated), those only (e.g.
# sm__cycles_active.min,sm__cycles_active.max: how evenly the SMs are busy).
if [ -n "${LOWBIT_NCU:-}" ] && command -v ncu > /dev/null; then
  what=(--section SpeedOfLight --section Occupancy --section WarpStateStats
        --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis)
  [ -n "${LOWBIT_NCU_METRICS:-}" ] && what=(--metrics "$LOWBIT_NCU_METRICS")
  for dir in "$bundle"/bench/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    [[ $name =~ $LOWBIT_NCU ]] || continue
    late && { echo "not profiled (LOWBIT_DEADLINE): $name"; continue; }
    kernel=$(sed -n 's/.*"name": *"\([^"]*\)".*/\1/p' "$dir/manifest.json" | head -1)
    timeout 120 ncu --clock-control none -k "regex:^$kernel\$" --launch-count 1 "${what[@]}" \
      "$bundle/bin/lowbit-bench" "$dir/manifest.json" --runs=3 > "$out/ncu-$name.txt" 2>&1 ||
      echo "ncu failed on $name" >> "$out/gpu.txt"
  done
fi
# The JIT on this GPU: tune the shapes of bench/tune-shapes.json into a fresh
# cache (then again: all cached), time a disk hit, and run the Python package's
# torch tests against the compiled kernels.
if [ "${LOWBIT_JIT:-1}" != 0 ] && [ -f "$bundle/jit/lowbit-tune.xz" ]; then
  jit=$(mktemp -d)
  xz -dc "$bundle/jit/lowbit-tune.xz" > "$jit/lowbit-tune" && chmod +x "$jit/lowbit-tune"
  xz -dc "$bundle/jit/libLowbitC.so.xz" > "$jit/libLowbitC.so"
  export LOWBIT_CACHE_DIR="$jit/cache"
  { "$jit/lowbit-tune" --shapes=bench/tune-shapes.json --json="$out/tune.json" &&
    "$jit/lowbit-tune" --shapes=bench/tune-shapes.json; } > "$out/tune.txt" 2>&1 ||
    failures=$((failures + 1))
  # The GPU going away mid-tune (launches fail after the 40th): a clear
  # error, the default kernel cached, no tuned entry; then a normal run
  # tunes into the same cache.
  gone="matmul m=1 n=4096 k=4096 a=f16 w=u4:g128:zp out=f32"
  if LOWBIT_CUDA_FAIL_AFTER_LAUNCHES=40 "$jit/lowbit-tune" --spec="$gone" \
       --cache-dir="$jit/gone" > "$out/gone.txt" 2>&1; then
    echo "FAIL: tuning succeeded with the GPU gone" >> "$out/gone.txt"
    failures=$((failures + 1))
  fi
  entries=$(ls "$jit/gone"/*.lbk 2>/dev/null | wc -l)
  echo "cache entries after the failed tune: $entries (expected 1: the default)" >> "$out/gone.txt"
  grep -q "the device is gone" "$out/gone.txt" && [ "$entries" = 1 ] || failures=$((failures + 1))
  "$jit/lowbit-tune" --spec="$gone" --cache-dir="$jit/gone" >> "$out/gone.txt" 2>&1 ||
    failures=$((failures + 1))
  cat "$out/gone.txt" >> "$out/tune.txt"
  LOWBIT_LIBRARY="$jit/libLowbitC.so" PYTHONPATH=python LOWBIT_TORCH_TESTS=1 \
    python3 -m pytest python/tests -q -p no:cacheprovider > "$out/python.txt" 2>&1 ||
    failures=$((failures + 1))
  cat "$out/tune.txt" "$out/python.txt" >> "$out/timing.txt"
fi
echo "GPU: $(cat "$out/gpu.txt")"
cat "$out/table.txt" "$out/sass.txt" "$out/timing.txt" 2>/dev/null
echo "$failures failed"
# The device tool brings back a limited number of files: the logs go into
# one archive beside the case archive, the results table and bench.json.
(cd "$out" && tar czf logs.tar.gz --remove-files -- gpu.txt sass.txt timing.txt tune.txt \
  tune.json gone.txt python.txt ncu-*.txt 2>/dev/null)
[ "$failures" -eq 0 ]
