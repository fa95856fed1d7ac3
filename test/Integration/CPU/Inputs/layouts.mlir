// %back: the codes after a tour of every layout (must equal %q).
// %permuted: the channel_permute-encoded codes (channel i holds channel perm[i]).
func.func @layouts(%q: tensor<16x32xi8>, %perm: tensor<32xi32>)
    -> (tensor<16x32xi8>, tensor<16x32xi8, #lowbit.layout<channel_permute, outliers = 4>>, tensor<16x32xi8>) {
  %p = lowbit.pack %q : tensor<16x32xi8> -> tensor<16x32xi8, #lowbit.layout<packed>>
  %m = lowbit.relayout %p : tensor<16x32xi8, #lowbit.layout<packed>> -> tensor<16x32xi8, #lowbit.layout<mma_fragment, mma = [16, 8, 32], tile = [16, 32]>>
  %i = lowbit.relayout %m : tensor<16x32xi8, #lowbit.layout<mma_fragment, mma = [16, 8, 32], tile = [16, 32]>> -> tensor<16x32xi8, #lowbit.layout<interleave, order = [0, 2, 1, 3]>>
  %u = lowbit.unpack %i : tensor<16x32xi8, #lowbit.layout<interleave, order = [0, 2, 1, 3]>> -> tensor<16x32xi8>
  %c = lowbit.pack %u permutation(%perm : tensor<32xi32>) : tensor<16x32xi8> -> tensor<16x32xi8, #lowbit.layout<channel_permute, outliers = 4>>
  %mixed = lowbit.relayout %c permutation(%perm : tensor<32xi32>) : tensor<16x32xi8, #lowbit.layout<channel_permute, outliers = 4>> -> tensor<16x32xi8, #lowbit.layout<mixed_4_8, block = [4, 8]>>
  %back = lowbit.unpack %mixed : tensor<16x32xi8, #lowbit.layout<mixed_4_8, block = [4, 8]>> -> tensor<16x32xi8>
  return %back, %c, %q : tensor<16x32xi8>, tensor<16x32xi8, #lowbit.layout<channel_permute, outliers = 4>>, tensor<16x32xi8>
}
