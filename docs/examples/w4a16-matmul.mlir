// W4A16: a Llama-2-7B MLP up-projection (4096 -> 11008) with 4-bit unsigned
// weights, one bf16 scale and one 4-bit zero point per group of 128 inputs
// (the AWQ/GPTQ format), in the two shapes a server runs: decode (one token)
// and prefill (any number of tokens).
//
//   lowbit-opt docs/examples/w4a16-matmul.mlir --lowbit-select-kernel-config=target=sm_90a --canonicalize

#w4g128 = #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                        granularity = per_group, axis = 1, group_size = 128,
                        scale_type = bf16>
#rowmajor = #lowbit.layout<packed>
#fragments = #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>

// Offline: checkpoint codes (row-major packed) prepacked into MMA fragments.
func.func @prepack(%w: tensor<11008x4096xi4, #rowmajor>) -> tensor<11008x4096xi4, #fragments> {
  %codes = lowbit.unpack %w : tensor<11008x4096xi4, #rowmajor> -> tensor<11008x4096xi4>
  %packed = lowbit.pack %codes : tensor<11008x4096xi4> -> tensor<11008x4096xi4, #fragments>
  return %packed : tensor<11008x4096xi4, #fragments>
}

func.func @decode(%x: tensor<1x4096xbf16>, %w: tensor<11008x4096xi4, #fragments>,
                  %s: tensor<11008x32xbf16>, %z: tensor<11008x32xi4>) -> tensor<1x11008xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #w4g128 weight_scales(%s) weight_zero_points(%z)
      : (tensor<1x4096xbf16>, tensor<11008x4096xi4, #fragments>, tensor<11008x32xbf16>,
         tensor<11008x32xi4>) -> tensor<1x11008xbf16>
  return %y : tensor<1x11008xbf16>
}

func.func @prefill(%x: tensor<?x4096xbf16>, %w: tensor<11008x4096xi4, #fragments>,
                   %s: tensor<11008x32xbf16>, %z: tensor<11008x32xi4>) -> tensor<?x11008xbf16> {
  %y = lowbit.matmul %x, %w weight_scheme #w4g128 weight_scales(%s) weight_zero_points(%z)
      : (tensor<?x4096xbf16>, tensor<11008x4096xi4, #fragments>, tensor<11008x32xbf16>,
         tensor<11008x32xi4>) -> tensor<?x11008xbf16>
  return %y : tensor<?x11008xbf16>
}
