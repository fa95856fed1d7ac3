//===- Spec.h - one-line op specs ------------------------------------------===//
//
// The JIT's and the C API's way to name a kernel without writing MLIR:
//
//   matmul m=1 n=8192 k=8192 a=f16 w=u4:g128:zp out=f32
//   matmul m=4096 n=8192 k=8192 a=i8 w=i8 out=bf16
//
// Fields (any order; m, n, k, a and w required):
//   a=   activations: f16 | bf16 (real), or quantized i8 | e4m3 | s4, with
//        `:per_token` (default) or `:per_tensor` f32 scales
//   w=   weight codes u2 | s2 | u3 | s3 | u4 | s4 | u5 | s5 | u6 | s6 |
//        u8 | s8 (`i2` ... `i8` mean signed), nf4 (QLoRA's codebook over
//        4-bit indices), e2m1 (FP4, also `fp4`), e3m2 | e2m3 (FP6; `fp6` is
//        e3m2), e4m3 | e5m2 (FP8), with `:per_channel` (default),
//        `:per_tensor` or `:g<size>` (groups along K) and `:zp` for integer
//        zero points (integer codes only); codes narrower than 8 bits are
//        packed
//   layout= how the weight codes are laid out in memory: packed (default),
//        or half_fragment, 4-bit integer codes (u4, s4) with f16/bf16
//        activations interleaved in quant::kHalfFragmentOrder (what the
//        wgmma W4A16 kernels read fastest and the TMA GEMV reads too;
//        sm_90a only; K a multiple of 32; scales per channel, per tensor or
//        per group of 32, 64, 128 or a multiple of 256 codes, of the
//        activations' type below 128; the kernel's manifest names the
//        order, and lowbitPackInterleaved packs codes in it); or
//        sign_magnitude, s4 weights of -7..7 with e4m3 activations, per
//        channel or per tensor scales (up to m=16 also groups of a
//        multiple of 128), no zero points, stored as e4m3 bytes
//        (#lowbit.layout<sign_magnitude>: what the wgmma W4A8 e4m3 kernels
//        read fastest, and tma_gemv as fast as packed codes; sm_90a only; K a
//        multiple of 32;
//        lowbitPackSignMagnitude packs codes so)
//   scale= weight scale type (default: the activation type if real, else f32)
//   out=  result type f16 | bf16 | f32 (default: bf16, f16 for f16 inputs)
// A spec has one canonical spelling (all defaults explicit but
// layout=packed, which specs written before layouts existed leave out),
// which is what the kernel cache keys on.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_JIT_SPEC_H
#define LOWBIT_JIT_SPEC_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::lowbit::jit {

struct MatmulSpec {
  int64_t m = 0, n = 0, k = 0;
  std::string act;            // f16, bf16, i8, e4m3, s4
  bool actPerToken = true;    // quantized activations
  std::string weight;         // u4, s4, u8, s8, e4m3, ... (Spec.cpp's kWeightCodes)
  std::string weightScales;   // per_channel, per_tensor, group
  int64_t groupSize = 0;
  bool zeroPoints = false;
  /// How 4-bit weights are stored: packed in order, interleaved in
  /// quant::kHalfFragmentOrder, or sign_magnitude.
  enum class Layout { Packed, HalfFragment, SignMagnitude };
  Layout layout = Layout::Packed;
  std::string scaleType, out;
  /// `launch=programmatic`: the kernel will run in chains of programmatic
  /// launches, and takes the configs measured fastest that way
  /// (lowbit_gpu.programmatic_launch).
  bool programmaticLaunch = false;

  bool quantizedActivations() const { return act != "f16" && act != "bf16"; }
  /// Bits of one weight code (2 to 8).
  unsigned weightBits() const;
  /// The weight codes' quant::CodeType name (u4, i3, f6E3M2FN, ...; nf4's
  /// indices are u4).
  std::string weightCodeType() const;
  /// Codes narrower than a byte are packed several to a byte
  /// (#lowbit.layout<packed>, interleaved or sign_magnitude: `layout`).
  bool packedWeight() const { return weightBits() < 8; }
  /// Integer codes (the ones that may have zero points).
  bool integerWeight() const {
    return weight[0] == 'u' || (weight[0] == 's' && weight.size() == 2);
  }
  /// An error where the spec's layout has no kernel on `arch`.
  llvm::Error checkArch(llvm::StringRef arch) const;
  /// The canonical one-line spelling.
  std::string str() const;
  /// A module with one public function `@lowbit_matmul` computing the spec
  /// with `lowbit.matmul` (arguments: input, weight, weight scales, then
  /// zero points and input scales where the spec has them).
  std::string toMLIR() const;
};

/// Parses a spec; the error names the field that is wrong.
llvm::Expected<MatmulSpec> parseSpec(const std::string &text);

} // namespace mlir::lowbit::jit

#endif // LOWBIT_JIT_SPEC_H
