//===- Passes.td - lowbit conversion passes -------------------*- tablegen -*-===//
#ifndef LOWBIT_CONVERSION_PASSES_TD
#define LOWBIT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLowBitToLinalgPass : Pass<"convert-lowbit-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower every lowbit op to its reference semantics in linalg";
  let description = [{
    The reference lowering: each `lowbit` op becomes `linalg.generic` ops over
    `arith`, `math` and `tensor`, computing in f32 exactly what the op's
    definition says. It is the project's numerics oracle: simple, complete and
    independent of any kernel strategy.

    - Layout encodings are dropped: a layout changes where codes sit, not which
      codes there are, so `pack`, `unpack` and `relayout` are identities on
      logical codes (a `channel_permute` permutation gathers channels).
    - `!lowbit.bipolar<b>` becomes `i<b>` holding the bits `x_i`.
    - Small-float, bipolar and codebook codes are decoded through a table
      built with LLVM's APFloat; quantizing to them picks the nearest finite
      table entry (ties to the even code), saturating.
    - Integer codes quantize as `clamp(roundeven(x / s + z))`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

#endif // LOWBIT_CONVERSION_PASSES_TD
