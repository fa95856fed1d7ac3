// RUN: lowbit-opt %s --lowbit-lower-matmul-to-gpu -verify-diagnostics

// With the target known (lowbit-select-kernel-config records it), configs
// the chip cannot run are named before any kernel is built.
module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90">} {
func.func @wgmma_not_sm90a(%x: tensor<256x512xi8>, %xs: tensor<256x1xf32>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>) -> tensor<256x256xf16> {
  // expected-error @+1 {{the wgmma strategy needs sm_90a, the target is sm_90}}
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) {lowbit_gpu.config = #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 128], warp = [64, 256], mma = [64, 256, 32], mma_type = i8, stages = 4>} : (tensor<256x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<256x1xf32>) -> tensor<256x256xf16>
  return %y : tensor<256x256xf16>
}
}
