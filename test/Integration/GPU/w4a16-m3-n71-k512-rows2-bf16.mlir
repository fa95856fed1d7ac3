// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx --manifest=%t.json | FileCheck %s --check-prefix=COMPILE
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: lowbit-compile %s --arch=sm_80 -o %t.sm80.ptx | FileCheck %s --check-prefix=COMPILE80
// COMPILE: lowbit-compile: 1 kernel(s) for sm_90a
// COMPILE80: lowbit-compile: 1 kernel(s) for sm_80
// PTX: .visible .entry w4a16_gemv0(
// PTX-DAG: ld.global.v4.b32
// PTX-DAG: shfl.sync.bfly.b32
// PTXAS: 0 bytes spill stores, 0 bytes spill loads

// Two rows per warp with three tokens (each token's activations reloaded
// per row, from L1), bf16 activations and result, signed codes with scales
// per group of 64, no K split; N = 71 is not a multiple of the 16-row block,
// and the warp of rows 70..71 straddles it.
// GPU-COMPARE: --rtol=1e-2 --atol=0.05
func.func @w4a16(%x: tensor<3x512xbf16>, %w: tensor<71x512xi4, #lowbit.layout<packed>>,
                 %s: tensor<71x8xbf16>) -> tensor<3x71xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 64,
                                  scale_type = bf16>
      weight_scales(%s)
      {lowbit_gpu.config = #lowbit_gpu.config<strategy = splitk_gemv, block = [16, 16, 128],
                                              warp = [16, 16], mma = [16, 8, 16], mma_type = bf16,
                                              stages = 4>}
      : (tensor<3x512xbf16>, tensor<71x512xi4, #lowbit.layout<packed>>, tensor<71x8xbf16>)
        -> tensor<3x71xbf16>
  return %y : tensor<3x71xbf16>
}
