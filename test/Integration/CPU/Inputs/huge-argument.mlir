// An argument of 400 GB (lowbit-run draws generated arguments in memory).
func.func @f(%x: tensor<100000000000xf32>) -> tensor<100000000000xf32> {
  return %x : tensor<100000000000xf32>
}
