//===- SelectKernelConfig.cpp - default kernel config per target ----------===//
//
// Picks a kernel strategy, tiles and pipeline depth for each lowbit product.
// The choice depends only on the op's types and shape and on the target, so
// lit tests check it per chip without a GPU. The autotuner later replaces the
// attribute with a measured winner.
//
//===----------------------------------------------------------------------===//
#include "LowBitGPU/Transforms/Passes.h"

#include "LowBit/IR/LowBitOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::lowbit::gpu {
#define GEN_PASS_DEF_LOWBITSELECTKERNELCONFIGPASS
#include "LowBitGPU/Transforms/Passes.h.inc"
} // namespace mlir::lowbit::gpu

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::gpu;

namespace {

/// Shape of the product and the bits of its operands as stored in memory.
struct Problem {
  int64_t m; // may be ShapedType::kDynamic
  int64_t n, k;
  unsigned inputBits, weightBits;
  bool f32Result = false;
  bool realInput = false; // f16/bf16/f32 activations
  bool fourBitWgmma = false; // 4-bit weights wgmma widens as its A operand
  /// ... interleaved in the half-fragment order, which the wgmma kernels
  /// read with one load per four registers (WgmmaProblem::halfFragmentWeights)
  /// and the GEMVs as they read AWQ's order.
  bool halfFragmentWeights = false;
  /// The split-K GEMV's f16x2 path takes this product (GemvKernel.cpp's
  /// `halfProducts` with `mma_type = f16`).
  bool halfProductGemv = false;
  /// tma_gemv's tensor cores take this product's operands: f16, bf16, int8
  /// or e4m3 activations with what the f16x2 path takes of the weights
  /// (scale groups of a multiple of 32 codes), f16, bf16 or f32 scales
  /// (GemvKernel.cpp's `halfOperands`).
  bool tensorCoreGemv = false;
  /// ... and on s8 (`mma = [16, 8, 32]`): int8 activations, signed codes
  /// without zero points, scales per tensor, channel or group of a multiple
  /// of 128 (GemvKernel.cpp's `s8TensorCores`).
  bool int8TensorCoreGemv = false;
  /// One weight scale per 128 codes of a row or more (no groups, or groups
  /// of a multiple of 128: scalePerQuad).
  bool scalesPerQuad = false;
  /// The GEMVs stream this product's weight rows as whole chunks
  /// (gemvStreamsWholeChunks), which several rows per warp need...
  bool wholeChunkGemv = false;
  /// ... and its codes are 4- or 8-bit indices into a table of values (NF4,
  /// FP4 e2m1, FP8 weights), without zero points: tma_gemv's CUDA cores
  /// take them.
  bool tableGemv = false;
  /// e4m3 activations.
  bool e4m3Input = false;
  /// The kernels will be launched programmatically
  /// (LowBitGPUDialect::kProgrammaticLaunchAttrName).
  bool programmaticLaunch = false;
};

bool isHalfOrFloat(Type type) { return isa<Float16Type, BFloat16Type, Float32Type>(type); }

/// Whether the activations are int8 or e4m3 codes with one f16/bf16/f32
/// scale per token or tensor: what the wgmma and tma_gemv generators take
/// of quantized activations.
bool eightBitInputScaledPerTokenOrTensor(MatmulOp op) {
  QuantSchemeAttr in = op.getInputSchemeAttr();
  return in && in.isByteCodeScaledPerRowOrTensor() && op.getInputScales() &&
         isHalfOrFloat(cast<ShapedType>(op.getInputScales().getType()).getElementType());
}

/// The tokens per tile of the wgmma kernel for 4-bit weights, and its K
/// tile (see selectMatmulConfig).
int64_t wgmmaTokens(int64_t m, bool realInput, bool e4m3Input) {
  if (!ShapedType::isDynamic(m) && m <= 32)
    return wgmmaShortTokenTile(m);
  if (m <= 64)
    return 64;
  if (e4m3Input && m >= 4096)
    return 192;
  return realInput && m >= 256 ? 256 : 128;
}
int64_t wgmmaKTile(int64_t tokens) { return tokens == 256 ? 128 : 256; }

/// Whether the wgmma strategy takes these 4-bit weights as its register A
/// operand (the generator, WgmmaKernel.cpp, checks the full rules and names
/// what it rejects; this is the set chosen by default): packed 4-bit
/// integer codes (or, with f16/bf16 activations, interleaved in the
/// half-fragment order) with one level of f16/bf16/f32 scales, K a multiple
/// of 32, and either f16/bf16 activations (any signedness, integer zero
/// points, groups along K of a multiple of 16) or int8 / e4m3 activations with
/// per-token or per-tensor scales and signed weights with per-channel or
/// per-tensor scales. `m` (static) picks the K tile the groups must fit.
bool wgmmaTakesFourBitWeights(MatmulOp op, int64_t m) {
  RankedTensorType weight = op.getWeight().getType();
  QuantSchemeAttr scheme = op.getWeightScheme();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  // Weights in the half-fragment order are read by the W4A16 kernels
  // (WgmmaProblem::halfFragmentWeights) and the GEMVs, not by W4A8's.
  bool halfFragment = layout && layout.isHalfFragmentInterleave() &&
                      isa<Float16Type, BFloat16Type>(op.getInput().getType().getElementType());
  // Of the wgmma kernels, W4A8-e4m3 reads sign-magnitude codes
  // (WgmmaProblem::signMagnitudeWeights).
  bool signMagnitude = layout && layout.getKind() == LayoutKind::SignMagnitude &&
                       isa<Float8E4M3FNType>(op.getInput().getType().getElementType());
  if (!scheme.getStorage().isInteger(4) || !layout ||
      (layout.getKind() != LayoutKind::Packed && !halfFragment && !signMagnitude) ||
      scheme.getCodebook() || scheme.getOuterScaleType() || weight.getDimSize(1) % 32 ||
      !isHalfOrFloat(cast<ShapedType>(op.getWeightScales().getType()).getElementType()) ||
      !isHalfOrFloat(op.getResult().getType().getElementType()))
    return false;
  QuantSchemeAttr in = op.getInputSchemeAttr();
  if (!in) {
    Type act = op.getInput().getType().getElementType();
    // Groups of a multiple of 16 codes (a K step never straddles two) that
    // divide the kernel's K tile or are whole multiples of it: 128 codes
    // from M = 256 (wgmmaTokens), else 256.
    int64_t groupSize = scheme.getGroupSize();
    int64_t kTile = wgmmaKTile(wgmmaTokens(m, /*realInput=*/true, /*e4m3Input=*/false));
    bool groups = scheme.getGranularity() == Granularity::PerGroup && scheme.getAxis() == 1 &&
                  groupSize % 16 == 0 && (kTile % groupSize == 0 || groupSize % kTile == 0);
    return isa<Float16Type, BFloat16Type>(act) &&
           scheme.getZeroPoint() != ZeroPointKind::Float &&
           (scheme.hasRowOrTensorScales() || groups);
  }
  return eightBitInputScaledPerTokenOrTensor(op) && scheme.getSignedness() == Signedness::Signed &&
         !scheme.hasZeroPoints() && scheme.hasRowOrTensorScales();
}

/// Whether the weights' scales come in groups along K (MX blocks are such
/// groups too), and whether each 128-code quad of a row has one scale (no
/// groups, or groups of a multiple of 128): tma_gemv's tensor cores then
/// scale each quad's sums (GemvProblem::quadScales).
bool scaleGroups(QuantSchemeAttr scheme) {
  return scheme.getGranularity() == Granularity::PerGroup ||
         scheme.getGranularity() == Granularity::MXBlock;
}
bool scalePerQuad(QuantSchemeAttr scheme) {
  return !scaleGroups(scheme) || scheme.getGroupSize() % 128 == 0;
}

/// Whether the GEMVs' 4-bit decoders take these weights (the generator,
/// GemvKernel.cpp, decides; this mirrors it): packed 4-bit integer codes
/// (or interleaved in AWQ's order [0, 2, 4, 6, 1, 3, 5, 7] or the
/// half-fragment order, GemvProblem::codeOrder) in rows of whole
/// 16-byte chunks, one level of scales of type `scaleOk` per tensor,
/// output channel or group of whole chunks (32 codes) along K, integer or
/// no zero points. sign_magnitude codes with e4m3 activations too (signed,
/// no zero points, a scale per 128-code quad), which only tma_gemv's
/// tensor cores of the GEMVs' paths take.
bool gemvDecodesFourBitCodes(MatmulOp op, function_ref<bool(Type)> scaleOk) {
  RankedTensorType weight = op.getWeight().getType();
  QuantSchemeAttr scheme = op.getWeightScheme();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  bool groups = scaleGroups(scheme);
  bool signMagnitude = layout && layout.getKind() == LayoutKind::SignMagnitude &&
                       isa<Float8E4M3FNType>(op.getInput().getType().getElementType()) &&
                       scheme.getSignedness() == Signedness::Signed && !scheme.hasZeroPoints() &&
                       scalePerQuad(scheme);
  bool interleavedCodes =
      layout && (layout.isAwqInterleave() || layout.isHalfFragmentInterleave() || signMagnitude);
  // Scales per output channel (axis 0) or per group along K (axis 1).
  bool axisOk = scheme.getGranularity() == Granularity::PerTensor ||
                (scheme.getGranularity() == Granularity::PerChannel && scheme.getAxis() == 0) ||
                (groups && scheme.getAxis() == 1);
  return scheme.getStorage().isInteger(4) && !scheme.getCodebook() && layout &&
         (layout.getKind() == LayoutKind::Packed || interleavedCodes) &&
         weight.getDimSize(1) % 32 == 0 && axisOk && !scheme.getOuterScaleType() &&
         scheme.getZeroPoint() != ZeroPointKind::Float &&
         scaleOk(cast<ShapedType>(op.getWeightScales().getType()).getElementType()) &&
         (!groups || scheme.getGroupSize() % 32 == 0);
}

/// Whether the GEMVs stream this product's weight rows as whole chunks
/// (GemvKernel.cpp's `vectorized`; this mirrors it): packed 2- to 6-bit
/// codes or 8-bit ones, rows of whole chunks (gemvChunkCodes), activation
/// rows of whole 16-byte vectors and scale groups of whole chunks.
bool gemvStreamsWholeChunks(MatmulOp op) {
  RankedTensorType weight = op.getWeight().getType();
  QuantSchemeAttr scheme = op.getWeightScheme();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  bool packed = layout && layout.getKind() == LayoutKind::Packed;
  unsigned bits = scheme.getBitWidth();
  if (!(packed && bits >= 2 && bits <= 6) && !(bits == 8 && (!layout || packed)))
    return false;
  int64_t codesPerChunk = gemvChunkCodes(bits);
  int64_t k = weight.getDimSize(1);
  int64_t actBits = op.getInput().getType().getElementTypeBitWidth();
  return k % codesPerChunk == 0 && k % (128 / actBits) == 0 &&
         (!scaleGroups(scheme) || scheme.getGroupSize() % codesPerChunk == 0);
}

/// Whether the split-K GEMV forms this product's products in f16x2
/// (`halfProducts`): f16 activations and f16 scales.
bool gemvTakesHalfProducts(MatmulOp op) {
  return op.getInput().getType().getElementType().isF16() &&
         gemvDecodesFourBitCodes(op, [](Type t) { return t.isF16(); });
}

/// The 16-bit type tma_gemv's tensor cores multiply `act` activations in:
/// f16 or bf16 as they are, int8 and e4m3 widened exactly to f16 (as
/// GemvProblem::halfType in the generator).
Type tensorCoreGemvType(Type act) {
  return act.isBF16() ? act : Type(Float16Type::get(act.getContext()));
}

/// Whether tma_gemv's tensor cores take this product: f16 or bf16
/// activations, or int8 / e4m3 ones with per-token or per-tensor scales;
/// f16, bf16 or f32 weight scales; scale groups shorter than 128 codes
/// scale the decoded codes in the mma type, so their scales must be of it.
bool gemvTakesTensorCores(MatmulOp op) {
  Type act = op.getInput().getType().getElementType();
  QuantSchemeAttr scheme = op.getWeightScheme();
  bool activations = op.getInputSchemeAttr() ? eightBitInputScaledPerTokenOrTensor(op)
                                             : isa<Float16Type, BFloat16Type>(act);
  return activations && gemvDecodesFourBitCodes(op, [&](Type t) {
           return scalePerQuad(scheme) ? isHalfOrFloat(t) : t == tensorCoreGemvType(act);
         });
}

/// Whether tma_gemv's s8 tensor cores take this product (a subset of
/// gemvTakesTensorCores): int8 activations and signed 4-bit codes without
/// zero points, which they multiply as bytes, with scales per tensor,
/// channel or group of a multiple of 128 (applied to each quad's sums).
bool gemvTakesInt8TensorCores(MatmulOp op) {
  QuantSchemeAttr scheme = op.getWeightScheme();
  QuantSchemeAttr in = op.getInputSchemeAttr();
  return in && in.getStorage().isInteger(8) && gemvTakesTensorCores(op) &&
         scheme.getSignedness() == Signedness::Signed && !scheme.hasZeroPoints() &&
         scalePerQuad(scheme);
}

/// The tensor-core operand type for a product of `act` activations and
/// `weight` codes on `target`: the narrower operand is widened to it in
/// registers.
FailureOr<Type> selectMmaType(Operation *op, Type act, Type weight,
                              TargetAttr target) {
  MLIRContext *ctx = op->getContext();
  if (isa<Float16Type, BFloat16Type>(act))
    return act;
  if (act.isF32())
    return Type(FloatTF32Type::get(ctx));
  if (isa<IntegerType>(act)) {
    unsigned bits = act.getIntOrFloatBitWidth();
    // The kernels read integer activations as bytes or packed nibbles.
    if (bits != 4 && bits != 8)
      return op->emitOpError() << "GPU kernels take integer activations of 8 bits (W8A8, W4A8) "
                                  "or 4 bits (W4A4), not "
                               << bits;
    if (bits <= 4 && getCodeBitWidth(weight) <= 4 && target.hasNativeInt4Mma())
      return Type(IntegerType::get(ctx, 4));
    return Type(IntegerType::get(ctx, 8));
  }
  if (isa<Float8E4M3FNType, Float8E5M2Type>(act)) {
    if (!target.hasFp8Mma())
      return op->emitOpError() << "fp8 activations need sm_89 or newer, target "
                               << "is " << target.getChip();
    return act;
  }
  // fp6 / fp4 activations widen exactly to e4m3, or to f16 before sm_89.
  if (isLowBitFloat(act))
    return target.hasFp8Mma() ? Type(Float8E4M3FNType::get(ctx))
                              : Type(Float16Type::get(ctx));
  return op->emitOpError() << "no tensor-core operand type for " << act;
}

/// K of the `mma.sync` instruction for operands of `bits` bits (m16n8kK).
int64_t mmaSyncK(unsigned bits) { return 256 / bits; }

/// Tokens from which decode of 4-bit weights with real activations runs on
/// the sm_90a tensor cores rather than the split-K GEMV.
constexpr int64_t kTensorCoreDecodeTokens = 4;

/// The largest power of two that is <= `value` and in [lo, hi].
int64_t clampPow2(int64_t value, int64_t lo, int64_t hi) {
  int64_t p = lo;
  while (p * 2 <= hi && p * 2 <= value)
    p *= 2;
  return p;
}

/// A config the rules below built for `op`, checked as a user's config is:
/// a rule that gives some shape an invalid tile reports it on the op (and
/// fails the pass) rather than asserting in the attribute's construction.
FailureOr<ConfigAttr> checkedConfig(Operation *op, Strategy strategy, ArrayRef<int64_t> block,
                                    ArrayRef<int64_t> warp, ArrayRef<int64_t> mma, Type mmaType,
                                    int64_t stages, int64_t splitK, ArrayRef<int64_t> cluster,
                                    bool persistent, bool streamK, int64_t claimK = 0) {
  auto emitError = [op] {
    return op->emitOpError() << "has no default config (its rules built an invalid one; "
                                "give a lowbit_gpu.config): ";
  };
  ConfigAttr config =
      ConfigAttr::getChecked(emitError, op->getContext(), strategy, block, warp, mma, mmaType,
                             stages, splitK, cluster, persistent, streamK, claimK,
                             /*producerRegisters=*/int64_t(0));
  if (!config)
    return failure();
  return config;
}

/// Reduces the pipeline depth until the shared-memory ring fits the chip.
FailureOr<ConfigAttr> fitSharedMemory(Operation *op, FailureOr<ConfigAttr> checked,
                                      const Problem &p, TargetAttr target) {
  if (failed(checked))
    return failure();
  ConfigAttr config = *checked;
  int64_t limit = target.getMaxSharedMemoryPerBlock();
  for (int64_t stages = config.getStages(); stages >= 1; --stages) {
    auto candidate =
        ConfigAttr::get(op->getContext(), config.getStrategy(), config.getBlock(), config.getWarp(),
                        config.getMma(), config.getMmaType(), stages, config.getSplitK(),
                        config.getCluster(), config.getPersistent(), config.getStreamK(),
                        config.getClaimK(), config.getProducerRegisters());
    if (candidate.getSharedMemoryBytes(p.inputBits, p.weightBits) <= limit)
      return candidate;
  }
  return op->emitOpError() << "no pipeline depth fits the block tile in "
                           << limit << " bytes of shared memory";
}

/// The tiles of the wgmma kernel for 4-bit weights with a token tile under
/// 64: 128 weight rows each, as selectMatmulConfig takes.
int64_t shortTileWgmmaTiles(const Problem &p) { return llvm::divideCeil(p.n, 128); }

/// Whether 9 to 16 f16 or bf16 tokens on this layer take the wgmma kernel's
/// 16-token tile in 192 weight rows (three consumer warpgroups, which hide
/// more of the dequantization's latency per weight byte): layers of 2^27
/// weights or more, whose stream outweighs the kernel's fixed costs, with
/// both sides of 8192 or more and a scale per 128 codes or more, as
/// measured (narrower layers leave stream-K most of the SMs to fill;
/// finer scales, applied to each dequantized pair, were not timed with
/// three consumers).
bool largeShortTileLayer(const Problem &p) {
  return p.realInput && p.scalesPerQuad && !ShapedType::isDynamic(p.m) && p.m > 8 && p.m <= 16 &&
         p.n >= 8192 && p.k >= 8192 && p.n * p.k >= (int64_t(1) << 27);
}

/// Whether those tiles keep nearly every SM streaming weights: tiles past
/// the last whole wave are split along K by stream-K (WgmmaKernel.cpp's
/// schedule), so a layer of fewer tiles than SMs fills them only where its
/// K splits into enough parts.
bool shortTileWgmmaFillsSMs(const Problem &p, int64_t sms) {
  int64_t tiles = shortTileWgmmaTiles(p);
  if (tiles >= sms)
    return true;
  int64_t parts = wgmmaStreamKParts(tiles, sms, llvm::divideCeil(p.k, 256));
  return 8 * tiles * std::max<int64_t>(parts, 1) >= 7 * sms;
}

/// A tma_gemv config: `wideRows` (32) rows per block and, on tensor cores,
/// per warp (two mma row tiles sharing each activation read), or 16 on
/// layers too narrow to give every SM a block of 32 rows (up to 8 tokens;
/// at 9 to 16 tokens while they give half the SMs one); its 512-byte K
/// tiles through a ring of `stages`. K is split (f32 results only, through
/// atomics into a result cleared first) only while the blocks would leave
/// more than three quarters of the SMs idle, or for more than 8 tokens on
/// long K (below). On an NVIDIA H200
/// (bench/results/2026-12-03-h200-decode-narrow.md, each call timed with
/// the clearing of its result, which a K split needs: 1.5-2 us), against
/// 32-row blocks with the K split the rule gave before: on 4096 x 4096
/// W4A16 7.8 against 10.5 us at M = 1, 8.4 against 9.8 at M = 4, 10.2
/// against 12.4 at M = 16 (32 rows, no split); W4A8 1.15-1.32x; on
/// 1024 x 4096 and 4096 x 14336 0.94-1.13x (at 16 tokens on 4096 x 14336
/// with the long-K split below: 1.00-1.02x).
FailureOr<ConfigAttr> tmaGemvConfig(Operation *op, const Problem &p, TargetAttr target,
                                    ArrayRef<int64_t> mma, Type mmaType, int64_t stages,
                                    int64_t wideRows = 32) {
  constexpr int64_t kTileBytes = 512;
  int64_t sms = target.getNumSMs();
  int64_t wideBlocks = llvm::divideCeil(p.n, 32);
  bool wide = wideBlocks >= sms || (p.m > 8 && 2 * wideBlocks >= sms);
  int64_t rows = wide ? wideRows : 16;
  int64_t blocks = llvm::divideCeil(p.n, rows);
  int64_t kTiles = llvm::divideCeil(p.k * p.weightBits / 8, kTileBytes);
  // More than 8 tokens on fewer blocks than SMs: K of 8 tiles or more
  // pays for the clearing (at 16 tokens split in two: 4096 x 14336, 14
  // tiles, 1.04-1.09x; 4096 x 11008, 11 tiles, 1.01-1.02x; 4096 x 4096, 4
  // tiles, 0.84-0.88x).
  bool longK = p.m > 8 && blocks < sms && kTiles >= 8;
  int64_t splits = 1;
  if (p.f32Result && (4 * blocks < sms || longK))
    splits = std::clamp<int64_t>(llvm::divideCeil(sms, blocks), 1, kTiles);
  // On tensor cores a warp computes the block's rows (split along K with
  // the others); on CUDA cores (`mma = [1, 1, 1]`) a quarter of them.
  bool tensorCores = mma != ArrayRef<int64_t>{1, 1, 1};
  return checkedConfig(op, Strategy::TmaGemv, {16, rows, kTileBytes},
                       {16, tensorCores ? rows : rows / 4}, mma, mmaType, stages, splits,
                       /*cluster=*/{}, /*persistent=*/false, /*streamK=*/false);
}

FailureOr<ConfigAttr> selectMatmulConfig(Operation *op, const Problem &p, Type mmaType,
                                         TargetAttr target) {
  unsigned mmaBits = mmaType.getIntOrFloatBitWidth();
  if (isa<FloatTF32Type>(mmaType))
    mmaBits = 32;
  int64_t instK = mmaSyncK(mmaBits);
  // The streaming GEMV takes real activations; quantized ones (int8, fp8)
  // go to the tensor cores at any M.
  bool decode = !ShapedType::isDynamic(p.m) && p.m <= 16 && p.realInput;
  // From 4 tokens on, 4-bit weights run faster on Hopper's tensor cores
  // (the wgmma kernel, then at 64 tokens; since with 8- or 16-token tiles,
  // below) than on the GEMV's CUDA cores, whose work grows with M
  // (NVIDIA H200, bench/results/2026-12-01-h200-decode.md: at M = 4, 8 and
  // 16 the wgmma kernel took 0.86 / 0.44 / 0.81x, 0.35 / 0.18 / 0.32x and
  // 0.19 / 0.10 / 0.16x of the GEMV's time on 8192 x 8192 / 28672 x 8192 /
  // 8192 x 28672). One to three tokens stay on the GEMV (M = 1: 20.9 us
  // against cuBLAS bf16's 45 us on 8192 x 8192). Formats that tma_gemv's
  // tensor cores take go there instead from sm_90 on (below).
  bool fourBitDecodeOnTensorCores =
      decode && target.hasWgmma() && p.fourBitWgmma && p.m >= kTensorCoreDecodeTokens;
  // From sm_90 on, 1 to 16 tokens of f16 or bf16 with 4-bit integer codes
  // (scale groups of a multiple of 32) take tma_gemv on tensor cores
  // instead: 32 rows per block and per warp (two mma row tiles sharing each
  // activation read; the four warps split the K tile; 16 on narrow layers,
  // tmaGemvConfig), the tokens as
  // mma.sync's N, a ring of 3 slots from 2 to 8 tokens and 2 otherwise (past
  // 8 tokens the activations double a slot): small enough for several
  // blocks per SM (2 at 16 tokens, 3 at 8). On an NVIDIA H200
  // (bench/results/2026-12-02-h200-decode-tma-m16.md and -m1.json), on
  // 8192 x 8192 / 8192 x 28672 / 28672 x 8192: M = 1
  // 18.3 / 40.8 / 42.5 us against 21.2 / 45.7 / 47.3 us on CUDA cores (the
  // f16x2 tma_gemv, the default before); M = 4 19.7 / 41.2 / 50.0 us, M = 8
  // 20.9 / 46.1 / 54.5 us, M = 16 25.0 / 58.6 / 69.0 us, against 16 rows per
  // block and warp at M = 4 and 8 (21.3 / 51.0 / 61.2, 26.6 / 60.7 / 70.2
  // us) and the wgmma kernel at M = 16 (52.1 / 174.5 / 113.3 us).
  // int8 and e4m3 activations (W4A8) take it too, widened to f16; int8
  // with signed codes without zero points on s8 (mma.sync m16n8k32: half
  // the mma steps, no widening of the activations), which ran 1.05-1.29x
  // faster than through f16 on the H200 (M = 1: 16.0 / 35.5 / 36.2 us
  // against 16.8 / 40.0 / 37.9; M = 16: 18.7 / 43.3 / 46.4 against 23.7 /
  // 55.5 / 60.0; bench/results/2026-12-02-h200-decode-w4a8.md).
  // 9 to 16 int8 or e4m3 tokens take the wgmma kernel with 16-token tiles
  // instead (below), where its grid keeps nearly every SM busy: on an NVIDIA
  // H200 at M = 16 (bench/results/2026-12-04-h200-decode-short-tiles.md) e4m3
  // 15.8 / 39.0 / 36.4 us on 8192 x 8192 / 28672 x 8192 / 8192 x 28672
  // against 18.6 / 53.9 / 49.7 on tma_gemv, int8 16.0 / 39.3 / 36.2 against
  // 15.6 / 41.2 / 39.4; on 14336 x 4096 and 4096 x 14336 1.07-1.42x; on
  // 4096 x 4096 (32 tiles, K split in 2: half the SMs) and 1024 x 4096
  // tma_gemv stays faster, as it does at 8 tokens and fewer.
  // f16 or bf16 tokens (W4A16) take it only on layers whose 128-row tiles
  // alone cover the SMs, with a scale per 128 codes (which multiplies the
  // tile's f32 sums rather than each dequantized pair): on an NVIDIA H200
  // at M = 16 (bench/results/2026-12-04-h200-w4a16-scales-in-sums.md) 60.2
  // and 58.4 us on 28672 x 8192 against tma_gemv's 65.2 and 64.9, but 22.8
  // against 21.8 on 8192 x 8192 and 58.1 against 55.5 on 8192 x 28672.
  // Layers of 2^27 weights or more (both sides 8192 or more) take it too,
  // in tiles of 192 rows (three consumer warpgroups, largeShortTileLayer):
  // 55.7 and 52.0 us on 28672 x 8192 and 8192 x 28672 against 59.6 (128
  // rows) and 55.5 (tma_gemv); 8192 x 8192 stays on tma_gemv (21.4 us
  // against 22.4; bench/results/2026-12-05-h200-short-tiles-and-odd-widths.md).
  // Weights in the half-fragment order take it on layers with both sides
  // of 8192 or more too (the shapes measured), where
  // tma_gemv reads them 0.94x as fast as packed ones: on an
  // NVIDIA H200 at M = 16 f16 (bench/results/2026-12-05-h200-half-fragment.md)
  // 19.5 us on 8192 x 8192 in 128 rows against 22.8 on tma_gemv (packed:
  // 21.6), and 50.0 / 47.3 us on 28672 x 8192 / 8192 x 28672 in 128 / 192
  // rows against packed weights' 56.0 / 52.6. Other layers were not timed.
  bool shortTileWgmmaLayer =
      p.realInput ? p.scalesPerQuad &&
                        (shortTileWgmmaTiles(p) >= target.getNumSMs() || largeShortTileLayer(p) ||
                         (p.halfFragmentWeights && p.n >= 8192 && p.k >= 8192))
                  : shortTileWgmmaFillsSMs(p, target.getNumSMs());
  bool shortTileWgmmaDecode = !ShapedType::isDynamic(p.m) && p.m > 8 && p.m <= 16 &&
                              target.hasWgmma() && p.fourBitWgmma && shortTileWgmmaLayer;
  bool tensorCoreDecode =
      !ShapedType::isDynamic(p.m) && p.m <= 16 && p.tensorCoreGemv && !shortTileWgmmaDecode;
  if (tensorCoreDecode && target.getComputeCapability() >= 90) {
    int64_t stages = p.m >= 2 && p.m <= 8 ? 3 : 2;
    // One e4m3 token launched programmatically: 4 slots, three of whose
    // weights load before the grid wait, behind the previous kernel. On an
    // NVIDIA H100 (bench/results/2026-12-06-h100-one-token-ring-depth.md,
    // programmatic chains of 8) 13.3 -> 12.8-13.0 us on 8192 x 8192 (84 ->
    // 86-87% of copy), 1.007-1.032x on 28672 x 8192 and 8192 x 28672, packed
    // and sign_magnitude weights alike; but 1.02-1.06x slower in plain
    // launches, so only for kernels that will run programmatically. int8
    // (0.98-1.025x, no depth best on every shape) and bf16 (up to 1.02x, not on every layout) keep
    // their rings.
    if (p.programmaticLaunch && p.m == 1 && p.e4m3Input)
      stages = 4;
    if (p.int8TensorCoreGemv)
      return tmaGemvConfig(op, p, target, /*mma=*/{16, 8, 32}, mmaType, stages);
    return tmaGemvConfig(op, p, target, /*mma=*/{16, 8, 16}, tensorCoreGemvType(mmaType), stages);
  }
  if (fourBitDecodeOnTensorCores)
    decode = false;
  // One f16 or bf16 token with table codes (NF4, FP4 e2m1, FP8 weights),
  // from sm_90 on: tma_gemv on CUDA cores, 4 ring slots, blocks of 32 rows
  // for 4-bit codes and 16 for bytes (tmaGemvConfig: 16 rows, and K split,
  // on layers too narrow to fill the SMs). On an NVIDIA H200
  // (bench/results/2026-12-05-h200-short-tiles-and-odd-widths.md, the
  // tuner's timing; 8192 x 8192 / 28672 x 8192) NF4 25.9 / 66.9 us, e2m1
  // 26.9 / 66.7, e4m3 41.1 / 121.8 against 45.2 / 106.8, 46.8 / 106.6 and
  // 52.0 / 142.6 on the split-K GEMV with one row per warp (the default
  // before); e4m3 in 32-row blocks took 40.3 us on 8192 rows but 147.6 on
  // 28672 (lowbit-bench); four rows per warp (below, before sm_90) took
  // 29.2 / 72.5 (NF4) and 31.3 / 75.1 (e2m1).
  if (decode && p.m == 1 && p.inputBits == 16 && p.tableGemv && target.getComputeCapability() >= 90)
    return tmaGemvConfig(op, p, target, /*mma=*/{1, 1, 1}, mmaType, /*stages=*/4,
                         /*wideRows=*/p.weightBits == 8 ? 16 : 32);

  if (decode) {
    // Weights streamed once at memory bandwidth: narrow N tiles (many warps
    // in flight), long K tiles, and K-splits until every SM has work.
    int64_t blockN = clampPow2(p.n, 16, 32);
    int64_t blockK = std::max<int64_t>(instK, 2048 / mmaBits);
    // K splits until there are about two 4-warp blocks per SM, for up to 4
    // tokens (more tokens make the kernel compute-bound, where splits only
    // add atomics). Tuning on the H100 picked exactly this (split 2 for
    // 8192 rows, none for 28672 rows or M = 16; bench/results/
    // 2026-11-25-h100-autotune.md); eight blocks per SM was 1.7x slower.
    // Splits meet through f32 atomics, so other result types take one.
    int64_t tiles = llvm::divideCeil(p.n, blockN);
    int64_t maxSplits =
        p.f32Result && p.m <= 4 ? std::max<int64_t>(1, p.k / blockK) : 1;
    int64_t splitK = std::clamp<int64_t>(
        llvm::divideCeil(2 * target.getNumSMs(), tiles), 1, maxSplits);
    // f16x2 products for up to two tokens (before sm_90, which takes the
    // tensor cores above): a warp streams four rows at
    // once (warp tile N 32), two 16-byte chunks of each in flight, so that
    // each activation load and permutation serves four rows. On an NVIDIA
    // H200 at M = 1 (bench/results/2026-12-01-h200-decode-f16x2.md) 20.9 /
    // 64.4 / 79.3 us on 8192 x 8192 / 8192 x 28672 / 28672 x 8192 against
    // 30.3 / 89.5 / 75.0 us with one row and four chunks (the last two
    // timed with an earlier build of the same kernel). Other formats keep
    // one row per warp, as measured in 2026-12-01-h200-decode.md. Layers of
    // fewer than 32 rows (a 16-row block) keep one row per warp too.
    //
    // One token of 2-, 3-, 5- or 6-bit codes, or of 4-bit table codes (NF4,
    // FP4 e2m1: tma_gemv from sm_90 on, above), takes four rows per warp too,
    // without a K split where the row tiles alone cover the SMs: on the
    // H200 (2026-12-05-h200-short-tiles-and-odd-widths.md, the tuner's
    // timing; 8192 x 8192 / 28672 x 8192, bf16) u2 with zero points 28.3 /
    // 78.1 us against 68.3 / 129.0 with one row and K in 2 on 8192 rows
    // (the default before), u3 28.5 / 72.9 against 45.0 / 95.3, u5 and u6
    // 1.28-1.43x, FP6 e3m2 37.3 / 97.7 against 54.3 / 140.1, NF4 and e2m1
    // 1.42-1.55x. Splitting K in 2 was 1.03-1.36x slower in each. 2-bit
    // rows and table codes keep 4 chunks in flight (u2 28.3 against 31.0 us
    // with 2; e2m1 spilled with 2), the others 2 (with 4 u6 ran 1.12-1.16x
    // slower, e3m2 as fast). FP8 weights keep one row (four: 64.7 against
    // 52.0 us on 8192 rows), and so do more tokens: at 4 tokens four rows
    // spilled with u2 (NF4 and u3 ran 1.5-2x faster).
    bool fourBitTable = p.tableGemv && p.weightBits == 4;
    bool fourRowToken =
        p.m == 1 && p.wholeChunkGemv && ((p.weightBits != 4 && p.weightBits != 8) || fourBitTable);
    bool fourRows = ((p.halfProductGemv && p.m <= 2) || fourRowToken) && blockN >= 32;
    if (fourRowToken && tiles >= target.getNumSMs())
      splitK = 1;
    int64_t stages = fourRows && p.weightBits != 2 && !fourBitTable ? 2 : 4;
    auto config = checkedConfig(op, Strategy::SplitKGemv, {16, blockN, blockK},
                                {16, fourRows ? 32 : 8}, {16, 8, instK}, mmaType, stages, splitK,
                                /*cluster=*/{}, /*persistent=*/false, /*streamK=*/false);
    return fitSharedMemory(op, config, p, target);
  }

  // Hopper with 8-bit operands the tensor cores take as they are: the
  // warp-specialized TMA + wgmma GEMM. 128 x 256 tiles for int8 (128
  // accumulator registers per consumer thread); FP8 keeps a second f32 sum,
  // so 128 x 192 (1.05-1.12x faster than 128 x 128 on the H100, bench/
  // results/2026-11-25-h100-wgmma-fp8-tiles.json). Short M takes one
  // consumer warpgroup (64 rows). Persistent:
  // one block per SM loops over the tiles, the producer loading the next
  // tile while the consumers store the last.
  bool eightBitOperands = p.inputBits == 8 && p.weightBits == 8 && !p.realInput &&
                          (mmaType.isInteger(8) || isa<Float8E4M3FNType>(mmaType));
  if (target.hasWgmma() && eightBitOperands) {
    int64_t maxN = mmaType.isInteger(8) ? 256 : 192;
    int64_t blockN = p.n >= maxN ? maxN : llvm::divideCeil(p.n, 64) * 64;
    int64_t blockM = !ShapedType::isDynamic(p.m) && p.m <= 64 ? 64 : 128;
    // As deep a ring as fits beside the barriers, alignment slack and, for
    // two consumers of 16-bit results TMA can store (rows of whole 16
    // bytes), two staging boxes each (64 x 64 results): FP8 128 x 192 then
    // takes 4 stages instead of 5, which ran 1.02-1.08x faster on five of
    // the six prefill shapes on the H200 and 0.92x on 4096 x 8192 x 8192
    // (the consumer waits less for its previous tile's store).
    bool stagedResults = wgmmaStagesResults(p.f32Result ? 32 : 16, p.n);
    int64_t staging = blockM == 128 && stagedResults ? 2 * 2 * 64 * 128 : 0;
    int64_t stageBytes = (blockM + blockN) * 128;
    int64_t stages =
        std::min<int64_t>(8, (target.getMaxSharedMemoryPerBlock() - 2048 - staging) / stageBytes);
    // Stream-K past 64 tokens (below, its K split is unmeasured), except
    // for int8 128 x 256 tiles whose results cannot be staged through
    // shared memory (f32, or rows not of whole 16 bytes): storing 128 sums
    // from registers beside stream-K's exchange spills.
    bool streamK = blockM == 128 && !wgmmaStreamKSpills(mmaType, blockM, blockN, stagedResults);
    auto config = checkedConfig(op, Strategy::Wgmma, {blockM, blockN, 128}, {64, blockN},
                                {64, blockN, 32}, mmaType, stages,
                                /*splitK=*/1, /*cluster=*/{}, /*persistent=*/true, streamK);
    return fitSharedMemory(op, config, p, target);
  }

  // Hopper with 4-bit weights: the same warp-specialized GEMM computing
  // the product transposed, the weights widened in registers as wgmma's A
  // (64 weight rows per consumer warpgroup, two of them) and the tokens as
  // its N: 128 (64 for short M) tokens by 256 K per stage, as many stages
  // as fit up to 4. This ran W4A8 2.3x and W4A16 2.8x faster than mma.sync
  // on the H100 (bench/results/2026-11-25-h100-wgmma-mixed.md). W4A16 takes
  // 256 tokens by 128 K from M = 256 (3 stages of 72 KiB): on the H200 it
  // ran 1.06-1.20x faster than 128 or 192 tokens by 256 K at M = 256 to
  // 4096 (0.98x at 8192), since its consumers keep one part of a K tile
  // queued on the tensor cores
  // (bench/results/2026-12-02-h200-w4a16-pipelined.md). W4A8 with e4m3
  // activations takes 192 tokens from M = 4096 (3 stages): 1.00-1.05x at
  // M = 4096 and 8192 but 0.92x at 1024 (1152 rows computed for 1024;
  // bench/results/2026-12-02-h200-w4a8-tokens.md). From M = 1024 W4A16
  // pairs the blocks of neighbouring weight rows in clusters of two that
  // share each token tile (one multicast TMA copy for both: the 64 KiB
  // activation slot is most of a stage), without stream-K: on the H200
  // 1.04-1.08x faster than stream-K alone at M = 1024 to 8192 on the three
  // LLM shapes; at M = 256 (one row of 64 tiles) 0.65x
  // (bench/results/2026-12-03-h200-w4a16-clusters.md).
  //
  // Up to 32 tokens the token tile is the smallest of 8, 16 and 32 that
  // holds them (wgmma's n; the 64-token tile computed up to 8x the
  // products), with stream-K and 6 stages (4 with f16/bf16 activations, as
  // measured): on an NVIDIA H200 at M = 32
  // (bench/results/2026-12-04-h200-decode-short-tiles.md) 1.14-2.14x
  // faster than the 64-token tile on 8192 x 8192 / 28672 x 8192 /
  // 8192 x 28672 (W4A8-e4m3 16.7 / 40.1 / 38.6 us, int8 16.8 / 41.2 / 38.0,
  // W4A16 25.6 / 76.9 / 67.0), and W4A16 at M = 16 24.0 / 70.2 / 63.4
  // against 52.1 / 113.3 / 176.6 (formats tma_gemv takes stay there).
  // Every tile takes stream-K unless in clusters, the 64-token one too: at
  // M = 48 and 64 1.2-1.8x faster on 8192 x 8192 and 8192 x 28672 (W4A8
  // int8 17.6-18.4 against 23.8-24.1 us and 41.6-41.9 against 68.3-68.6,
  // W4A16 29.8-30.0 against 45.6-45.8 and 81.8-82.5 against 140.9-141.4),
  // as fast on 28672 x 8192 (its 224 tiles leave 92 past the first wave,
  // too many to split).
  if (target.hasWgmma() && p.fourBitWgmma) {
    int64_t tokens = wgmmaTokens(p.m, p.realInput, isa<Float8E4M3FNType>(mmaType));
    bool shortTile = tokens < 64;
    int64_t kTile = wgmmaKTile(tokens);
    int64_t weightRows = p.n <= 64 ? 64 : largeShortTileLayer(p) ? 192 : 128;
    int64_t instK = p.realInput ? 16 : 32;
    int64_t stages = shortTile && !p.realInput ? 6 : 4;
    // Pairs where measured (M >= 1024) and where they fill a wave with two
    // weight tiles or more: with fewer tiles than SMs stream-K spreads the
    // K loops over the idle SMs instead (M = 256 on 8192 rows, 64 tiles).
    int64_t weightTiles = llvm::divideCeil(p.n, weightRows);
    int64_t tiles = llvm::divideCeil(p.m, tokens) * weightTiles;
    bool pairs = tokens == 256 && p.m >= 1024 && weightTiles >= 2 && tiles >= target.getNumSMs();
    SmallVector<int64_t> cluster;
    if (pairs)
      cluster = {1, 2};
    auto config = checkedConfig(op, Strategy::Wgmma, {tokens, weightRows, kTile}, {tokens, 64},
                                {shortTile ? tokens : 64, 64, instK}, mmaType, stages,
                                /*splitK=*/1, cluster, /*persistent=*/true,
                                /*streamK=*/!pairs);
    return fitSharedMemory(op, config, p, target);
  }

  // Prefill: the pipelined mma.sync GEMM. Short M takes 64-row tiles so
  // that fewer rows are computed past M.
  int64_t blockN = 128;
  while (blockN > 16 && p.n % blockN)
    blockN /= 2;
  int64_t blockM = !ShapedType::isDynamic(p.m) && p.m <= 64 ? 64 : 128;
  // Narrower warp tiles keep these out of local memory: 4-bit activations
  // widened to 8 bits hold twice the fragment registers, and the e4m3 MMA
  // (inline PTX) holds more than the s8 one.
  bool narrowWarps = (p.inputBits == 4 && mmaBits == 8) ||
                     isa<Float8E4M3FNType, Float8E5M2Type>(mmaType);
  auto config = checkedConfig(
      op, Strategy::MmaSync, {blockM, blockN, 512 / p.inputBits},
      {blockM / 2, std::min<int64_t>(narrowWarps && blockM == 128 ? 32 : 64, blockN)},
      {16, 8, instK}, mmaType,
      /*stages=*/4, /*splitK=*/1, /*cluster=*/{}, /*persistent=*/false, /*streamK=*/false);
  return fitSharedMemory(op, config, p, target);
}

FailureOr<ConfigAttr> selectConfig(MatmulOp op, TargetAttr target) {
  Type act = op.getInput().getType().getElementType();
  Type weight = op.getWeight().getType().getElementType();
  FailureOr<Type> mmaType = selectMmaType(op, act, weight, target);
  if (failed(mmaType))
    return failure();
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  Problem p{in[0], w[0], w[1], act.getIntOrFloatBitWidth(),
            getCodeBitWidth(weight),
            op.getResult().getType().getElementType().isF32(),
            isHalfOrFloat(act)};
  // wgmma needs the whole M known (its tensor maps are encoded per shape).
  p.fourBitWgmma = !ShapedType::isDynamic(p.m) && wgmmaTakesFourBitWeights(op, p.m);
  auto layout = dyn_cast_or_null<LayoutAttr>(op.getWeight().getType().getEncoding());
  p.tensorCoreGemv = gemvTakesTensorCores(op);
  // wgmma's W4A8 e4m3 and, up to 16 tokens, tma_gemv's tensor cores read
  // sign_magnitude weights: where neither can take them, say why here
  // rather than pick a kernel that refuses them.
  bool signMagnitudeOnWgmma = target.hasWgmma() && p.fourBitWgmma;
  bool signMagnitudeOnTmaGemv = p.tensorCoreGemv && !ShapedType::isDynamic(p.m) && p.m <= 16 &&
                                target.getComputeCapability() >= 90;
  if (layout && layout.getKind() == LayoutKind::SignMagnitude && !signMagnitudeOnWgmma &&
      !signMagnitudeOnTmaGemv)
    return op.emitOpError()
           << "sign_magnitude weights run on wgmma's W4A8 e4m3 kernels (sm_90a, a static M, e4m3 "
              "activations with per-token or per-tensor scales, weight scales per channel or "
              "per tensor without zero points) and, up to 16 tokens, on tma_gemv's tensor cores "
              "(sm_90 or newer, also weight scales per group of a multiple of 128): neither "
              "takes this product (target "
           << target.getChip() << ")";
  p.halfFragmentWeights = p.fourBitWgmma && layout && layout.isHalfFragmentInterleave();
  p.halfProductGemv = gemvTakesHalfProducts(op);
  p.int8TensorCoreGemv = gemvTakesInt8TensorCores(op);
  p.scalesPerQuad = scalePerQuad(op.getWeightSchemeAttr());
  p.wholeChunkGemv = gemvStreamsWholeChunks(op);
  QuantSchemeAttr scheme = op.getWeightScheme();
  p.tableGemv = p.wholeChunkGemv && (p.weightBits == 4 || p.weightBits == 8) &&
                scheme.getCodeValues().has_value() && !scheme.hasZeroPoints();
  p.e4m3Input = isa<Float8E4M3FNType>(act);
  // The attribute on any enclosing module (the pass's option sets it on the
  // module it runs on, which may hold nested ones).
  for (Operation *parent = op->getParentOp(); parent && !p.programmaticLaunch;
       parent = parent->getParentOp())
    p.programmaticLaunch =
        isa<ModuleOp>(parent) && parent->hasAttr(LowBitGPUDialect::kProgrammaticLaunchAttrName);
  return selectMatmulConfig(op, p, *mmaType, target);
}

FailureOr<ConfigAttr> selectConfig(BitplaneMatmulOp op, TargetAttr target) {
  // One 1-bit MMA (and.popc, m16n8k256) per plane pair and K step. Planes
  // i and j accumulate into the sums of weight 2^(i+j), so a thread holds
  // P + Q - 1 sets of its warp tile's accumulators: the warp tile is the
  // largest whose sets fit 128 registers, and a block has 2 x 4 warps
  // (fewer where M or N is short).
  ArrayRef<int64_t> in = op.getInput().getType().getShape();
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  int64_t levels = in[0] + w[0] - 1;
  int64_t warpM = 16, warpN = 16;
  for (auto [tileM, tileN] : {std::pair<int64_t, int64_t>{64, 64}, {64, 32}, {32, 32},
                              {32, 16}, {16, 16}})
    if (levels * tileM * tileN / 32 <= 128) {
      warpM = tileM;
      warpN = tileN;
      break;
    }
  auto warpsAlong = [](int64_t size, int64_t tile, int64_t most) {
    return ShapedType::isDynamic(size) ? most
                                       : clampPow2(llvm::divideCeil(size, tile), 1, most);
  };
  int64_t blockM = warpM * warpsAlong(in[1], warpM, 2);
  int64_t blockN = warpN * warpsAlong(w[1], warpN, 4);
  // A ring slot holds every plane of the block's rows, 64 bytes each, and
  // the kernel keeps one 4-byte popcount per staged row beside the ring.
  int64_t rows = blockM * in[0] + blockN * w[0];
  int64_t limit = target.getMaxSharedMemoryPerBlock();
  for (int64_t stages = 3; stages >= 2; --stages)
    if (stages * rows * 64 + rows * 4 <= limit)
      return checkedConfig(op, Strategy::Bitplane, {blockM, blockN, 512}, {warpM, warpN},
                           {16, 8, 256}, IntegerType::get(op.getContext(), 1), stages, /*splitK=*/1,
                           {}, false, false);
  return op.emitOpError() << "no pipeline depth fits the bit-plane block tile in " << limit
                          << " bytes of shared memory";
}

FailureOr<ConfigAttr> selectConfig(LutMatmulOp op, TargetAttr target) {
  // The kernel (LutKernel.cpp) reads its table and index bytes from global
  // memory, one block of four warps per tile of rows over every token and
  // all of K, without a pipeline: the config says exactly that, so that the
  // only field left to choose is the block's rows (the kernel refuses any
  // other values).
  if (!op.getTable().getType().hasStaticShape() || !op.getWeight().getType().hasStaticShape() ||
      !cast<ShapedType>(op.getScales().getType()).hasStaticShape())
    return op.emitOpError() << "the lut strategy needs static shapes";
  ArrayRef<int64_t> w = op.getWeight().getType().getShape();
  int64_t tokens = op.getTable().getType().getShape()[0];
  int64_t rows = clampPow2(w[1], 32, 128), g = op.getGroupSize();
  return checkedConfig(op, Strategy::Lut, {tokens, rows, w[2] * g}, {tokens, rows / 4}, {1, 1, g},
                       op.getTable().getType().getElementType(), /*stages=*/1,
                       /*splitK=*/1, {}, false, false);
}

struct SelectKernelConfigPass
    : lowbit::gpu::impl::LowBitSelectKernelConfigPassBase<
          SelectKernelConfigPass> {
  using Base::Base;

  FailureOr<TargetAttr> resolveTarget(ModuleOp module) {
    if (!target.empty()) {
      auto emitError = [&] { return module.emitError(); };
      if (failed(TargetAttr::verify(emitError, target, "")))
        return failure();
      // The kernel generators read the module's target: one for another
      // chip would reject the configs selected here.
      if (auto recorded =
              dyn_cast_or_null<TargetAttr>(module->getAttr(LowBitGPUDialect::kTargetAttrName));
          recorded && recorded.getChip() != target)
        return module.emitError() << "the module's " << LowBitGPUDialect::kTargetAttrName << " is "
                                  << recorded.getChip() << ", not the " << target << " asked for";
      return TargetAttr::get(module.getContext(), target, "");
    }
    Attribute attr = module->getAttr(LowBitGPUDialect::kTargetAttrName);
    if (auto targetAttr = dyn_cast_or_null<TargetAttr>(attr))
      return targetAttr;
    return module.emitError()
           << "no target: pass target=sm_XX to lowbit-select-kernel-config or "
              "set a #lowbit_gpu.target as the module's "
           << LowBitGPUDialect::kTargetAttrName << " attribute";
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<TargetAttr> targetAttr = resolveTarget(module);
    if (failed(targetAttr))
      return signalPassFailure();
    // Recorded for the kernel generators (persistent grids size by SMs).
    if (!module->hasAttr(LowBitGPUDialect::kTargetAttrName))
      module->setAttr(LowBitGPUDialect::kTargetAttrName, *targetAttr);
    if (programmaticLaunch)
      module->setAttr(LowBitGPUDialect::kProgrammaticLaunchAttrName,
                      UnitAttr::get(module.getContext()));
    WalkResult result = module.walk([&](Operation *op) {
      if (!isa<MatmulOp, BitplaneMatmulOp, LutMatmulOp>(op) ||
          op->hasAttr(LowBitGPUDialect::kConfigAttrName))
        return WalkResult::advance();
      if (failed(verifyKernelOperandSizes(op)))
        return WalkResult::interrupt();
      FailureOr<ConfigAttr> config =
          llvm::TypeSwitch<Operation *, FailureOr<ConfigAttr>>(op)
              .Case<MatmulOp, BitplaneMatmulOp, LutMatmulOp>(
                  [&](auto product) { return selectConfig(product, *targetAttr); });
      if (failed(config))
        return WalkResult::interrupt();
      op->setAttr(LowBitGPUDialect::kConfigAttrName, *config);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
