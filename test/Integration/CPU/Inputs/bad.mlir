func.func @f(%x: tensor<4xi4, #lowbit.layout<split_4_2>>) { return }
