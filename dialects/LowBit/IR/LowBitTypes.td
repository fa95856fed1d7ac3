//===- LowBitTypes.td - lowbit types -------------------------*- tablegen -*-===//
#ifndef LOWBIT_TYPES_TD
#define LOWBIT_TYPES_TD

include "LowBit/IR/LowBitBase.td"

def LowBit_BipolarType : LowBit_Type<"Bipolar", "bipolar"> {
  let summary = "bipolar-INT code of `bits` bits (APT-LLM)";
  let description = [{
    A `b`-bit bipolar integer stores bits `x_0 .. x_{b-1}` and means
    `sum_i 2^i * (2 * x_i - 1)`: every value is odd and lies in
    `[-(2^b - 1), 2^b - 1]`, and zero is not representable. Each bit plane
    multiplies as a +-1 matrix, which is what lets `lowbit.bitplane_matmul`
    run any precision on 1-bit tensor cores.

    ```mlir
    %planes = lowbit.bitplane_decompose %w
        : tensor<64x128x!lowbit.bipolar<3>> -> tensor<3x64x128xi1>
    ```
  }];
  let parameters = (ins "unsigned":$bits);
  let assemblyFormat = "`<` $bits `>`";
  let genVerifyDecl = 1;
}

#endif // LOWBIT_TYPES_TD
