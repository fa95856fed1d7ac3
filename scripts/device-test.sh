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
printf '%-28s %-6s %s\n' case result comparison > "$out/table.txt"
for dir in "$bundle"/cases/*/; do
  name=$(basename "$dir")
  inputs=()
  for arg in "$dir"/arg*.npy; do inputs+=("--input=$arg"); done
  if "$bundle/bin/lowbit-gpu-run" "$dir/manifest.json" "${inputs[@]}" \
       --output="$out/$name.npy" --expect="$dir/expected.npy" \
       --rtol=1e-3 --atol=0.05 --time=20 > "$out/$name.log" 2>&1; then
    result=PASS
  else
    result=FAIL
    failures=$((failures + 1))
  fi
  comparison=$(grep -h '^compare:\|lowbit-gpu-run:' "$out/$name.log" | head -1)
  printf '%-28s %-6s %s\n' "$name" "$result" "$comparison" >> "$out/table.txt"
  # The SASS of each kernel, for the record.
  if command -v cuobjdump > /dev/null && command -v ptxas > /dev/null; then
    ptxas -arch=sm_90a "$dir/kernel.ptx" -o "$out/$name.cubin" 2>> "$out/$name.log" &&
      cuobjdump -sass "$out/$name.cubin" > "$out/$name.sass" 2>&1
  fi
done
# Informal timing of the decode kernels (no vendor baseline in this run).
printf '\n%-28s %s\n' timing "median of 200 launches, operands rotated past L2" > "$out/timing.txt"
for dir in "$bundle"/bench/*/; do
  name=$(basename "$dir")
  "$bundle/bin/lowbit-gpu-run" "$dir/manifest.json" --random-inputs --time=200 \
    > "$out/bench-$name.log" 2>&1
  printf '%-28s %s\n' "$name" "$(grep -h '^time:\|lowbit-gpu-run:' "$out/bench-$name.log" | head -1)" >> "$out/timing.txt"
done
echo "GPU: $(cat "$out/gpu.txt")"
cat "$out/table.txt" "$out/timing.txt"
echo "$failures failed"
[ "$failures" -eq 0 ]
