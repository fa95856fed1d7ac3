#!/usr/bin/env bash
# Draws a GPU case's inputs (seed 1, with the options of DIR/inputs.args: the
# case's `// GPU-INPUTS:` line) and its CPU reference result into DIR with the
# lowbit-run at LOWBIT_RUN. device-bundle.sh runs it on this machine, or
# device-test.sh on the GPU machine for a bundle built with
# LOWBIT_BUNDLE_INPUTS=device: one command, wherever it runs.
#   case-reference.sh LOWBIT_RUN CASE.mlir DIR
set -uo pipefail
run=$1 case=$2 dir=$3
read -ra input_args < "$dir/inputs.args" || true # no line: no options
if ! "$run" "$case" --seed=1 "${input_args[@]}" --save-inputs="$dir" \
     --output="$dir/expected.npy" > "$dir/reference.txt" 2>&1; then
  echo "lowbit-run failed on $case: $(grep -m1 error "$dir/reference.txt" ||
    tail -1 "$dir/reference.txt")" >&2
  exit 1
fi
