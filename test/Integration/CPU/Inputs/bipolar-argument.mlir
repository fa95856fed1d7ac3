// A bipolar argument, returned as it is (lowbit-run --nonnegative draws it).
func.func @planes(%p: tensor<4x64x!lowbit.bipolar<3>>) -> tensor<4x64x!lowbit.bipolar<3>> {
  return %p : tensor<4x64x!lowbit.bipolar<3>>
}
