// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: FileCheck %s --check-prefix=MANIFEST < %t.json
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s
// RUN: %if ptxas %{ ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin %}
// CHECK: 1 kernel(s)

// LUT-based decode: four f16 tokens' symmetric tables (8 entries per group
// of 4 activations), 2-bit bipolar weights as two planes of 4-bit indices,
// f16 scales per group of 128 along K, f16 result. N = 200 leaves the last
// block of 128 rows part empty.
// PTX: .visible .entry lut_lut0(
// PTX-DAG: ld.global.{{(nc.)?}}b8
// PTX-DAG: shfl.sync.bfly.b32
// MANIFEST: "config": "#lowbit_gpu.config<strategy = lut,
// MANIFEST: "bits": 4,
// MANIFEST-NEXT: "dtype": "u1",
// MANIFEST-NEXT: "layout": "bytes",
// MANIFEST-NEXT: "role": "weight",
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// (f16 result: one rounding of sums up to ~100.)
// GPU-COMPARE: --rtol=2e-3 --atol=0.1
func.func @lut(%t: tensor<4x256x8xf16>, %w: tensor<2x200x256xi4>, %s: tensor<200x8xf16>)
    -> tensor<4x200xf16> {
  %y = lowbit.lut_matmul %t, %w
      weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>, granularity = per_group,
                                  axis = 1, group_size = 128>
      scales(%s) {group_size = 4, symmetric}
      : (tensor<4x256x8xf16>, tensor<2x200x256xi4>, tensor<200x8xf16>) -> tensor<4x200xf16>
  return %y : tensor<4x200xf16>
}
