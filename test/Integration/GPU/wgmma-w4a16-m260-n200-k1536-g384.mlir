// RUN: lowbit-compile %s --arch=sm_90a -o %t.ptx | FileCheck %s
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ ptxas -arch=sm_90a -v %t.ptx -o %t.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS --implicit-check-not="instructions are serialized" %}
// CHECK: 1 kernel(s)

// W4A16 with scales per group of 384 codes, three of the 128-code K tiles
// the selector takes from M = 256 (the default config here: 256 tokens,
// stream-K): 260 tokens (a whole and a partial token tile), 200 weight
// rows, K = 1536 (twelve K tiles, four groups), signed codes, bf16 scales.
// PTX-DAG: wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// GPU-COMPARE: --rtol=1e-2 --atol=0.5
func.func @w4a16_g384(%x: tensor<260x1536xbf16>, %w: tensor<200x1536xi4, #lowbit.layout<packed>>, %s: tensor<200x4xbf16>) -> tensor<260x200xbf16> {
  %y = lowbit.matmul %x, %w
      weight_scheme #lowbit.quant<storage = i4, granularity = per_group, axis = 1, group_size = 384, scale_type = bf16>
      weight_scales(%s)
      : (tensor<260x1536xbf16>, tensor<200x1536xi4, #lowbit.layout<packed>>, tensor<200x4xbf16>) -> tensor<260x200xbf16>
  return %y : tensor<260x200xbf16>
}
