// A channel permutation given as an argument (lowbit-run --input).
func.func @f(%q: tensor<2x4xi8>, %perm: tensor<4xi32>) -> tensor<2x4xi8, #lowbit.layout<channel_permute>> {
  %p = lowbit.pack %q permutation(%perm : tensor<4xi32>) : tensor<2x4xi8> -> tensor<2x4xi8, #lowbit.layout<channel_permute>>
  return %p : tensor<2x4xi8, #lowbit.layout<channel_permute>>
}
