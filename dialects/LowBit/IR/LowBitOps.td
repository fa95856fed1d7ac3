//===- LowBitOps.td - lowbit operations ----------------------*- tablegen -*-===//
#ifndef LOWBIT_OPS_TD
#define LOWBIT_OPS_TD

include "LowBit/IR/LowBitBase.td"
include "LowBit/IR/LowBitAttrs.td"
include "LowBit/IR/LowBitTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def LowBit_ScaleTensor : RankedTensorOf<[F16, BF16, F32, F8E4M3FN, F8E8M0FNU,
                                         I8]>;
def LowBit_ZeroPointTensor : RankedTensorOf<[AnySignlessInteger, F16, BF16, F32]>;
def LowBit_RealTensor : RankedTensorOf<[F16, BF16, F32]>;
def LowBit_IndexTensor : 1DTensorOf<[I32, I64, Index]>;

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def LowBit_QuantizeOp : LowBit_Op<"quantize",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "round real values to low-bit codes";
  let description = [{
    Quantizes `input` with `scheme`, round-to-nearest-even:
    `q = clamp(round(x / s) + z)` for integer codes, `q = round_to_type(x / s)`
    for floating-point codes, the nearest codebook entry for codebooks, and the
    nearest odd value for bipolar codes. Scales (and zero points) are given:
    computing them is a calibration decision, not part of the op. The result
    has the input's shape and the scheme's storage type.

    ```mlir
    %q = lowbit.quantize %w
           as #lowbit.quant<storage = i4, signedness = unsigned, zero_point = int,
                            granularity = per_group, axis = 1, group_size = 128>
           scales(%s) zero_points(%z)
           : (tensor<4096x4096xf16>, tensor<4096x32xf16>, tensor<4096x32xi4>)
           -> tensor<4096x4096xi4>
    ```
  }];
  let arguments = (ins LowBit_RealTensor:$input, LowBit_ScaleTensor:$scales,
                   Optional<LowBit_ZeroPointTensor>:$zero_points,
                   Optional<LowBit_ScaleTensor>:$outer_scales,
                   LowBit_QuantSchemeAttr:$scheme);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `as` qualified($scheme) `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)?
    (`outer_scales` `(` $outer_scales^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LowBit_DequantizeOp : LowBit_Op<"dequantize",
    [Pure, AttrSizedOperandSegments]> {
  let summary = "map low-bit codes back to real values";
  let description = [{
    The exact inverse map of `lowbit.quantize`'s codes:
    `x = (q - z) * s` (times the outer scale for two-level schemes),
    `x = codebook[q] * s` for codebooks and `x = value(q) * s` for float and
    bipolar codes. `dequantize(quantize(x))` is not `x` and is never folded.
    `input` may carry any `#lowbit.layout` encoding: the op reads logical codes.

    ```mlir
    %w = lowbit.dequantize %q
           as #lowbit.quant<storage = f8E4M3FN, granularity = per_channel, axis = 0>
           scales(%s)
           : (tensor<256x512xf8E4M3FN>, tensor<256x1xf16>) -> tensor<256x512xbf16>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, LowBit_ScaleTensor:$scales,
                   Optional<LowBit_ZeroPointTensor>:$zero_points,
                   Optional<LowBit_ScaleTensor>:$outer_scales,
                   LowBit_QuantSchemeAttr:$scheme);
  let results = (outs LowBit_RealTensor:$result);
  let assemblyFormat = [{
    $input `as` qualified($scheme) `scales` `(` $scales `)`
    (`zero_points` `(` $zero_points^ `)`)?
    (`outer_scales` `(` $outer_scales^ `)`)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

def LowBit_PackOp : LowBit_Op<"pack", [Pure]> {
  let summary = "arrange logical codes in a memory layout";
  let description = [{
    Takes codes without an encoding and returns the same codes in the
    `#lowbit.layout` of the result type. Shape and code type do not change.
    A `channel_permute` layout takes the channel permutation as `permutation`
    (`result channel i` holds `source channel permutation[i]`).

    ```mlir
    %p = lowbit.pack %q : tensor<128x256xi4>
           -> tensor<128x256xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$source,
                   Optional<LowBit_IndexTensor>:$permutation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $source (`permutation` `(` $permutation^ `:` type($permutation) `)`)?
    attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

def LowBit_UnpackOp : LowBit_Op<"unpack", [Pure]> {
  let summary = "read codes out of a memory layout";
  let description = [{
    The inverse of `lowbit.pack`: returns the logical codes, without an
    encoding. `unpack(pack(x))` folds to `x`.

    ```mlir
    %q = lowbit.unpack %p
           : tensor<128x256xi4, #lowbit.layout<packed>> -> tensor<128x256xi4>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$source,
                   Optional<LowBit_IndexTensor>:$permutation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $source (`permutation` `(` $permutation^ `:` type($permutation) `)`)?
    attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowBit_RelayoutOp : LowBit_Op<"relayout", [Pure]> {
  let summary = "move codes from one memory layout to another";
  let description = [{
    Equivalent to `pack(unpack(source))` with the two layouts of the operand
    and result types. Offline weight prepacking (for example row-major GPTQ
    codes into an MMA-fragment layout) is a relayout. A relayout to the same
    layout folds away, and a chain of relayouts folds into one.

    ```mlir
    %m = lowbit.relayout %p
           : tensor<4096x4096xi4, #lowbit.layout<packed>>
          -> tensor<4096x4096xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$source,
                   Optional<LowBit_IndexTensor>:$permutation);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $source (`permutation` `(` $permutation^ `:` type($permutation) `)`)?
    attr-dict `:` type($source) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

def LowBit_MatmulOp : LowBit_Op<"matmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "quantized matrix product `input x weight^T`";
  let description = [{
    `result[m, n] = sum_k a[m, k] * w[n, k]`, where `w` is `dequantize(weight)`
    under `weight_scheme` and `a` is `input` itself (real activations, W*A16) or
    `dequantize(input)` under `input_scheme` (quantized activations: W8A8,
    W4A8, W4A4, FP8). `input` is `[M, K]` (M may be dynamic), `weight` is
    `[N, K]` as in `torch.nn.Linear`, and the result is `[M, N]` in `f16`,
    `bf16` or `f32`. One op covers every format pair; the verifier rejects
    pairs with no meaning (for example int8 activations with fp8 weights).

    ```mlir
    %y = lowbit.matmul %x, %w
           weight_scheme #lowbit.quant<storage = i4, signedness = unsigned,
                                       zero_point = int, granularity = per_group,
                                       axis = 1, group_size = 128, scale_type = bf16>
           weight_scales(%s) weight_zero_points(%z)
           : (tensor<?x4096xbf16>, tensor<11008x4096xi4>, tensor<11008x32xbf16>,
              tensor<11008x32xi4>) -> tensor<?x11008xbf16>
    ```
  }];
  let arguments = (ins RankedTensorOf<[AnyType]>:$input,
                   RankedTensorOf<[AnyType]>:$weight,
                   LowBit_ScaleTensor:$weight_scales,
                   Optional<LowBit_ZeroPointTensor>:$weight_zero_points,
                   Optional<LowBit_ScaleTensor>:$weight_outer_scales,
                   Optional<LowBit_ScaleTensor>:$input_scales,
                   LowBit_QuantSchemeAttr:$weight_scheme,
                   OptionalAttr<LowBit_QuantSchemeAttr>:$input_scheme);
  let results = (outs LowBit_RealTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `weight_scheme` qualified($weight_scheme)
    (`input_scheme` qualified($input_scheme)^)?
    `weight_scales` `(` $weight_scales `)`
    (`weight_zero_points` `(` $weight_zero_points^ `)`)?
    (`weight_outer_scales` `(` $weight_outer_scales^ `)`)?
    (`input_scales` `(` $input_scales^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Bipolar-INT bit planes (APT-LLM)
//===----------------------------------------------------------------------===//

def LowBit_BitplaneDecomposeOp : LowBit_Op<"bitplane_decompose", [Pure]> {
  let summary = "split bipolar codes into 1-bit planes";
  let description = [{
    `result[i, ...] = bit i of input[...]`, so that
    `input = sum_i 2^i * (2 * result[i] - 1)`. The number of planes equals the
    bipolar width.

    ```mlir
    %p = lowbit.bitplane_decompose %w
           : tensor<64x128x!lowbit.bipolar<3>> -> tensor<3x64x128xi1>
    ```
  }];
  let arguments = (ins RankedTensorOf<[LowBit_BipolarType]>:$input);
  let results = (outs RankedTensorOf<[I1]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def LowBit_BitplaneMatmulOp : LowBit_Op<"bitplane_matmul", [Pure]> {
  let summary = "bipolar-INT matrix product over bit planes";
  let description = [{
    With `A = sum_i 2^i (2 input[i] - 1)` (`[M, K]`, `P` planes) and
    `W = sum_j 2^j (2 weight[j] - 1)` (`[N, K]`, `Q` planes),
    `result = A x W^T` exactly, in `i32`. On tensor cores each plane pair is
    one 1-bit MMA (`and.popc`), `P x Q` in all, which is how arbitrary
    precisions run.

    ```mlir
    %c = lowbit.bitplane_matmul %a, %w
           : tensor<2x16x256xi1>, tensor<3x64x256xi1> -> tensor<16x64xi32>
    ```
  }];
  let arguments = (ins RankedTensorOf<[I1]>:$input,
                   RankedTensorOf<[I1]>:$weight);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` type($input) `,` type($weight) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Lookup-table mixed-precision GEMM (T-MAC, LUT Tensor Core)
//===----------------------------------------------------------------------===//

def LowBit_LutBuildOp : LowBit_Op<"lut_build", [Pure]> {
  let summary = "tables of signed partial sums of activation groups";
  let description = [{
    For each row `m` and each group `j` of `group_size` consecutive
    activations, entry `t` of the table is `sum_b (bit b of t ? +1 : -1) *
    input[m, j * group_size + b]`: every +-1 combination, `2^group_size`
    entries. With `symmetric`, only the entries with the top bit set are kept
    (`2^(group_size - 1)`), since `T[~t] = -T[t]`.

    ```mlir
    %t = lowbit.lut_build %x {group_size = 4, symmetric}
           : tensor<16x4096xf16> -> tensor<16x1024x8xf16>
    ```
  }];
  let arguments = (ins LowBit_RealTensor:$input,
                   ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                   UnitAttr:$symmetric);
  let results = (outs LowBit_RealTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def LowBit_LutMatmulOp : LowBit_Op<"lut_matmul", [Pure]> {
  let summary = "matrix product by table lookup";
  let description = [{
    `weight` holds the bipolar weights as bit planes, grouped: element
    `weight[p, n, j]` is the `group_size`-bit index formed by bits `p` of
    `w[n, j * group_size .. (j + 1) * group_size)`. The product is
    `result[m, n] = sum_p 2^p sum_j table[m, j, weight[p, n, j]]`, scaled by
    `scales` as `weight_scheme` (whose storage is `!lowbit.bipolar<P>`) says.
    With `symmetric` tables, indices whose top bit is clear read the negated
    entry of their complement.

    ```mlir
    %y = lowbit.lut_matmul %t, %w
           weight_scheme #lowbit.quant<storage = !lowbit.bipolar<2>,
                                       granularity = per_channel, axis = 0>
           scales(%s) {group_size = 4, symmetric}
           : (tensor<16x1024x8xf16>, tensor<2x4096x1024xi4>, tensor<4096x1xf16>)
           -> tensor<16x4096xf16>
    ```
  }];
  let arguments = (ins LowBit_RealTensor:$table,
                   RankedTensorOf<[AnySignlessInteger]>:$weight,
                   LowBit_ScaleTensor:$scales,
                   ConfinedAttr<I64Attr, [IntPositive]>:$group_size,
                   UnitAttr:$symmetric,
                   LowBit_QuantSchemeAttr:$weight_scheme);
  let results = (outs LowBit_RealTensor:$result);
  let assemblyFormat = [{
    $table `,` $weight `weight_scheme` qualified($weight_scheme)
    `scales` `(` $scales `)` attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // LOWBIT_OPS_TD
