//===- LowBitAttrs.td - lowbit attributes --------------------*- tablegen -*-===//
#ifndef LOWBIT_ATTRS_TD
#define LOWBIT_ATTRS_TD

include "LowBit/IR/LowBitBase.td"
include "LowBit/IR/LowBitEnums.td"
include "mlir/IR/TensorEncoding.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def LowBit_QuantSchemeAttr : LowBit_Attr<"QuantScheme", "quant"> {
  let summary = "how real values map to low-bit codes";
  let description = [{
    A quantization scheme: the code (storage) type, how integer codes are read,
    whether there are zero points, which elements share a scale, and the type
    of the scales.

    - `storage`: `i1`..`i8`, `f8E4M3FN`, `f8E5M2`, `f6E2M3FN`, `f6E3M2FN`,
      `f4E2M1FN`, or `!lowbit.bipolar<b>`.
    - `signedness` (integer storage only): `signed` (default) or `unsigned`.
    - `zero_point`: `none` (symmetric, default), `int` (integer zero points
      in the storage type, as GPTQ/AWQ) or `float` (zero points in the scale
      type, as HQQ). Integer storage only.
    - `granularity`: `per_tensor` (default); `per_channel` with `axis` (one
      scale per index along `axis`); `per_group` with `axis` and `group_size`
      (groups of `group_size` consecutive elements along `axis`); `per_block`
      with a 2-D `block` shape; `mx_block` with `axis` and `group_size`, a
      shared power-of-two exponent (`scale_type = f8E8M0FNU`) per block as in
      the OCP MX formats.
    - `scale_type`: `f16` (default), `bf16`, `f32`, `f8E4M3FN` (NVFP4-style
      group scales) or `f8E8M0FNU` (MX only). With two-level scales it is the
      integer type of the group scales.
    - `outer_scale_type`: two-level (progressive, QServe) scales: an outer
      per-channel floating-point scale times an inner integer group scale.
    - `codebook`: a table of `2^bits` reals (NF4 and other codebooks); codes
      are unsigned indices into it.

    Scales have the rank of the quantized tensor; their shape is the tensor
    shape divided by the block that shares one scale (see
    `getScaleShape`). For a `[N, K]` weight with `per_group, axis = 1,
    group_size = 128` the scales are `[N, K / 128]`.

    ```mlir
    #w4g128 = #lowbit.quant<storage = i4, signedness = unsigned,
                            zero_point = int, granularity = per_group,
                            axis = 1, group_size = 128, scale_type = bf16>
    #nf4 = #lowbit.quant<storage = i4, signedness = unsigned,
                         granularity = per_group, axis = 1, group_size = 64,
                         codebook = [-1.0, -0.6962, ..., 1.0]>
    #mxfp4 = #lowbit.quant<storage = f4E2M1FN, granularity = mx_block, axis = 1,
                           group_size = 32, scale_type = f8E8M0FNU>
    ```
  }];
  let parameters = (ins
    "::mlir::Type":$storage,
    LowBit_DefaultEnumParameter<LowBit_Signedness, "Signed">:$signedness,
    LowBit_DefaultEnumParameter<LowBit_ZeroPointKind, "None">:$zero_point,
    LowBit_DefaultEnumParameter<LowBit_Granularity, "PerTensor">:$granularity,
    DefaultValuedParameter<"int64_t", "-1",
        "axis of per_channel / per_group / mx_block scales">:$axis,
    DefaultValuedParameter<"int64_t", "0", "elements per group">:$group_size,
    LowBit_IntListParameter<"2-D block sharing one scale">:$block,
    DefaultValuedParameter<"::mlir::Type", "::mlir::Float16Type::get($_ctxt)",
        "type of the (group) scales">:$scale_type,
    OptionalParameter<"::mlir::Type",
        "outer per-channel scale type of two-level scales">:$outer_scale_type,
    OptionalParameter<"::mlir::DenseF32ArrayAttr",
        "codebook values indexed by the codes">:$codebook);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Number of bits one code occupies.
    unsigned getBitWidth() const;
    bool hasIntegerStorage() const;
    bool hasFloatStorage() const;
    bool hasBipolarStorage() const;
    bool hasZeroPoints() const { return getZeroPoint() != ZeroPointKind::None; }
    /// One scale per row (per channel along axis 0: per token for
    /// activations, per output channel for weights) or one per tensor: the
    /// scales the tensor-core epilogues apply.
    bool hasRowOrTensorScales() const {
      return getGranularity() == Granularity::PerTensor ||
             (getGranularity() == Granularity::PerChannel && getAxis() == 0);
    }
    /// Signed int8 or e4m3 codes, one level of scales per row or per tensor
    /// and no zero points: the quantized activations the tensor-core
    /// kernels take as bytes (wgmma, tma_gemv).
    bool isByteCodeScaledPerRowOrTensor() const;
    /// Shape of the elements that share one scale, for a tensor of `shape`.
    /// Fails with a diagnostic when the scheme does not fit the shape.
    ::llvm::FailureOr<::llvm::SmallVector<int64_t>> getScaleShape(
        ::llvm::ArrayRef<int64_t> shape,
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError) const;
    /// Shape of the outer (per-channel) scales of a two-level scheme.
    ::llvm::SmallVector<int64_t> getOuterScaleShape(
        ::llvm::ArrayRef<int64_t> shape) const;
    /// The value of every raw code when codes index a table: the codebook,
    /// the decoded small-float codes (NaN for non-finite ones) or the odd
    /// bipolar values; none for plain integer codes.
    ::std::optional<::llvm::SmallVector<float>> getCodeValues() const;
  }];
}

def LowBit_LayoutAttr : LowBit_Attr<"Layout", "layout",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "how packed low-bit codes sit in memory (a tensor encoding)";
  let description = [{
    Used as the encoding of a ranked tensor of codes. The tensor keeps its
    logical shape and code type; the layout says how the codes are arranged
    in memory. `lowbit.pack`, `lowbit.unpack` and `lowbit.relayout` move between
    layouts; offline weight prepacking is a relayout.

    - `packed`: codes packed densely along the innermost dimension, lowest
      bits first (any width).
    - `mma_fragment` with `mma = [16, 8, k]` (k = 16 for f16/bf16 operands, 32
      for s8/e4m3) and `tile = [rows, cols]`: codes permuted so that one thread's 16-byte load yields its
      mma.sync A fragments for the next 256 / bits codes of its rows
      (Marlin/Machete prepack). 4- and 8-bit codes; rows a multiple of 16,
      cols of 256 / bits (the byte order: `include/lowbit/Quant/Layouts.h`).
    - `interleave` with `order`: the order of the codes inside each group of
      one, two or four 32-bit words, so that lop3/prmt dequantize several
      codes in parallel (QServe, FasterTransformer). `order` is a
      permutation of `32 / bits`, `64 / bits` or `128 / bits` positions
      (2-, 4- or 8-bit codes).
    - `bit_planes`: bit `i` of every code stored in plane `i` (integer and
      bipolar codes).
    - `split_4_2`: 6-bit codes split into a 4-bit and a 2-bit array (FP6-LLM).
    - `mixed_4_8` with `block = [rows, cols]`: blocks stored as 4 or 8 bits
      (COMET); the codes are `i8`.
    - `channel_permute` with `outliers`: channels permuted so that the
      `outliers` outlier channels come first (LLM.int8-style splits); the
      permutation travels as an operand of pack/unpack/relayout.
    - `sign_magnitude`: signed 4-bit codes of -7..7 (no -8) stored as the
      e4m3 bytes of code / 512 in the order of wgmma's 8-bit register A, so
      that one 32-bit load per row and K step, masked as it is and rotated
      by 4 bits, gives both registers (`include/lowbit/Quant/Layouts.h`);
      the innermost dimension a multiple of 32. Read by the wgmma W4A8 e4m3
      kernels and, with e4m3 activations, tma_gemv's tensor cores.

    ```mlir
    tensor<4096x4096xi4, #lowbit.layout<interleave, order = [0, 2, 4, 6, 1, 3, 5, 7]>>
    tensor<4096x4096xi4, #lowbit.layout<mma_fragment, mma = [16, 8, 16], tile = [16, 64]>>
    ```
  }];
  let parameters = (ins
    EnumParameter<LowBit_LayoutKind>:$kind,
    LowBit_IntListParameter<"MMA instruction shape [m, n, k]">:$mma,
    LowBit_IntListParameter<"prepacked tile [rows, cols]">:$tile,
    LowBit_IntListParameter<"code order within a 32-bit word">:$order,
    LowBit_IntListParameter<"mixed-precision block [rows, cols]">:$block,
    DefaultValuedParameter<"int64_t", "0", "outlier channel count">:$outliers);
  let assemblyFormat =
      "`<` $kind (`,` struct($mma, $tile, $order, $block, $outliers)^)? `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// `interleave` in quant::kAwqOrder: 4-bit codes of each word as AWQ
    /// packs them, [0, 2, 4, 6, 1, 3, 5, 7].
    bool isAwqInterleave() const;
    /// `interleave` in quant::kHalfFragmentOrder: 4-bit codes of which a
    /// lane of a 16-bit A fragment reads two K steps' four registers with
    /// one 32-bit load.
    bool isHalfFragmentInterleave() const;
  }];
}

#endif // LOWBIT_ATTRS_TD
