//===- WgmmaProblem.cpp - the wgmma generator's analysis ------------------===//
//
// Which products and configs the wgmma strategy builds (Wgmma.h), and how
// its staged epilogue fits beside the ring.
//
//===----------------------------------------------------------------------===//
#include "Wgmma.h"

#include "Emitter.h"

using namespace mlir;
using namespace mlir::lowbit;
using namespace mlir::lowbit::wgmma;

namespace {

/// W4A16: f16/bf16 activations with 4-bit weights packed or in the
/// half-fragment order (signed or unsigned, integer zero points), scales per channel, per tensor or
/// per group along K; the weights are dequantized to the activations' type in registers and fed as
/// wgmma's A (m64nTk16, f32 sums).
LogicalResult analyzeRealInput(MatmulOp op, WgmmaProblem &p,
                               function_ref<InFlightDiagnostic(const Twine &)> unsupported) {
  RankedTensorType weight = op.getWeight().getType();
  Type act = op.getInput().getType().getElementType();
  QuantSchemeAttr scheme = op.getWeightScheme();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  if (!isa<Float16Type, BFloat16Type>(act))
    return unsupported(Twine(typeString(act)) + " activations");
  p.halfFragmentWeights = layout && layout.isHalfFragmentInterleave();
  if (!scheme.getStorage().isInteger(4) || !layout ||
      (layout.getKind() != LayoutKind::Packed && !p.halfFragmentWeights))
    return unsupported("real activations with weights other than 4-bit codes packed or "
                       "interleaved in the half-fragment order");
  if (scheme.getCodebook() || scheme.getOuterScaleType() ||
      scheme.getZeroPoint() == ZeroPointKind::Float)
    return unsupported("codebooks, two-level scales or float zero points");
  p.kind = WgmmaKind::Int4Real;
  p.realType = act;
  p.unsignedCodes = scheme.getSignedness() == Signedness::Unsigned;
  p.hasZeroPoints = scheme.hasZeroPoints();
  auto scales = cast<RankedTensorType>(op.getWeightScales().getType());
  p.scaleType = scales.getElementType();
  p.scaleRows = scales.getDimSize(0);
  p.scaleCols = scales.getDimSize(1);
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.scaleType) ||
      !isa<Float16Type, BFloat16Type, Float32Type>(p.resultType))
    return unsupported("scales or results other than f16, bf16 or f32");
  Granularity granularity = scheme.getGranularity();
  if (granularity == Granularity::PerGroup) {
    // A K step (16) never straddles groups.
    if (scheme.getAxis() != 1 || scheme.getGroupSize() % 16)
      return unsupported("groups that are not along K in multiples of 16");
    p.groupSize = scheme.getGroupSize();
  } else if (granularity == Granularity::PerChannel) {
    if (scheme.getAxis() != 0)
      return unsupported("per-channel scales along K");
  } else if (granularity != Granularity::PerTensor) {
    return unsupported("this scale granularity");
  }
  return success();
}

/// Whether `config` describes a kernel this generator builds for `p`.
FailureOr<WgmmaProblem> checkConfig(MatmulOp op, lowbit::gpu::ConfigAttr config,
                                    const WgmmaProblem &p,
                                    function_ref<InFlightDiagnostic(const Twine &)> unsupported) {
  ArrayRef<int64_t> block = config.getBlock(), warp = config.getWarp(), mma = config.getMma();
  bool real = p.kind == WgmmaKind::Int4Real;
  Type mmaType = real                ? p.realType
                 : p.floatProducts() ? Type(Float8E4M3FNType::get(op.getContext()))
                                     : Type(IntegerType::get(op.getContext(), 8));
  // K of one wgmma: 32 bytes of 8-bit or 16-bit B.
  int64_t instK = real ? kStepBytes / 2 : kStepBytes;
  if (config.getMmaType() != mmaType)
    return op.emitOpError() << "wgmma mma_type must be " << mmaType << " for this product, not "
                            << config.getMmaType();
  if (real && block[2] != 128 && block[2] != 256)
    return op.emitOpError() << "wgmma block tile K must be 128 or 256 (64- or 128-byte rows of "
                               "4-bit weights) with f16/bf16 activations, not "
                            << block[2];
  if (block[2] != p.kTileK())
    return op.emitOpError() << "wgmma block tile K must be " << p.kTileK()
                            << " (one 128-byte swizzled row of "
                            << (p.swapped() ? "4-bit weights" : "8-bit operands") << "), not "
                            << block[2];
  if (p.swapped()) {
    // Weights are wgmma's M side: 64 rows per consumer warpgroup; tokens
    // its N side, every consumer covering all of the block's tokens.
    // Short token tiles take more consumers, more warps to hide the
    // widening's latency: three, or four up to 16 tokens (32 tokens' sums
    // spill in four consumers' 112 registers); longer tiles at most two
    // (their sums' registers).
    int64_t maxRows = !p.shortTokenTile() ? 128 : p.bm <= 16 ? 256 : 192;
    if (p.bn % kWarpgroupRows || p.bn > maxRows)
      return op.emitOpError() << "wgmma block tile N (weight rows) must be 64 or 128 (one or "
                                 "two consumer warpgroups), 192 on token tiles of 8, 16 or 32, "
                                 "or 256 on those of 8 or 16, for 4-bit weights, not "
                              << p.bn;
    // Tokens are wgmma's N. FP8 keeps the tile's sum and the running one
    // (2 x BM / 2 registers), so at most 192 (beside a K step's four A
    // registers; ptxas 13.0 spills up to 56 bytes outside the wgmmas).
    // Decode takes tiles of 8, 16 or 32 tokens (n8, n16, n32), whose mma
    // shape names them: mma = [T, 64, k].
    int64_t maxM = p.kind == WgmmaKind::Int4Fp8 ? 192 : 256;
    bool shortTile = p.shortTokenTile();
    if ((p.bm % 64 && !shortTile) || p.bm > maxM)
      return op.emitOpError() << "wgmma block tile M (tokens) must be 8, 16, 32 or a multiple of "
                                 "64 up to "
                              << maxM << " for 4-bit weights with these activations, not " << p.bm;
    // The short tiles ran on the H200 with K tiles of 256 codes only.
    if (shortTile && block[2] != 256)
      return op.emitOpError() << "wgmma token tiles of 8, 16 or 32 take K tiles of 256 codes, not "
                              << block[2];
    int64_t instTokens = shortTile ? p.bm : 64;
    if (warp[0] != p.bm || warp[1] != kWarpgroupRows || mma[0] != instTokens ||
        mma[1] != kWarpgroupRows || mma[2] != instK)
      return op.emitOpError() << "wgmma warp tile must be [" << p.bm << ", 64] and mma ["
                              << instTokens << ", 64, " << instK << "] for 4-bit weights";
  } else {
    if (p.bm != 64 && p.bm != 128)
      return op.emitOpError() << "wgmma block tile M must be 64 or 128 (one or "
                                 "two consumer warpgroups), not "
                              << p.bm;
    int64_t maxN = p.kind == WgmmaKind::Fp8 ? 192 : 256;
    // FP8 holds two accumulators (the tile's and the f32 sum): 2 x 96
    // registers per thread at N = 192 is what fits beside the addressing.
    if (p.bn % 64 || p.bn > maxN)
      return op.emitOpError() << "wgmma block tile N must be a multiple of 64 up "
                                 "to "
                              << maxN << " for this product, not " << p.bn;
    if (warp[0] != kWarpgroupRows || warp[1] != p.bn || mma[0] != kWarpgroupRows ||
        mma[1] != p.bn || mma[2] != kStepBytes)
      return op.emitOpError() << "wgmma warp tile must be [64, " << p.bn << "] and mma [64, "
                              << p.bn << ", 32]";
  }
  // A K tile's scales are one per group it holds (groups that divide it)
  // or its group's (groups of whole K tiles); others would straddle tiles.
  if (p.groupSize && p.kTileK() % p.groupSize && p.groupSize % p.kTileK())
    return unsupported("scale groups of " + Twine(p.groupSize) +
                       " codes, which neither divide the K tile of " + Twine(p.kTileK()) +
                       " nor are multiples of it,");
  if (p.stages < 2)
    return op.emitOpError() << "wgmma needs at least 2 pipeline stages";
  int64_t kAlign = p.swapped() ? 32 : 16;
  if (p.k % kAlign)
    return op.emitOpError() << "K = " << p.k << " is not a multiple of " << kAlign
                            << ": TMA needs rows of a multiple of 16 bytes";
  if (config.getSplitK() != 1)
    return unsupported("split_k");
  if (p.clusterSize() > 2)
    return op.emitOpError() << "wgmma clusters must be [2, 1] or [1, 2] (two blocks sharing "
                               "one operand's tile)";
  // setmaxnreg.dec can only lower the producer's share of the launch.
  if (p.producerRegisterOverride > p.launchedRegisters())
    return op.emitOpError() << "producer_registers = " << p.producerRegisterOverride
                            << " is more than the " << p.launchedRegisters()
                            << " registers per thread this block is launched with";
  return p;
}

} // namespace

void mlir::lowbit::wgmma::chooseStaging(WgmmaProblem &p) {
  auto fits = [&](int64_t tokens, int64_t buffers) {
    p.stagingTokens = tokens;
    p.stagingBuffers = buffers;
    return p.sharedBytes() <= kMaxSharedBytes;
  };
  if (lowbit::gpu::wgmmaStagesResults(p.resultType.getIntOrFloatBitWidth(), p.n)) {
    if (!p.swapped()) {
      for (int64_t buffers = std::min<int64_t>(2, p.bn / kStagingCols); buffers >= 1; --buffers)
        if (fits(/*tokens=*/0, buffers))
          return;
    } else {
      // [tokens, buffers] by staging bytes, two buffers first where equal.
      int64_t t = p.tileCols();
      if (fits(t, 1))
        return;
      for (auto [tokens, buffers] :
           {std::pair<int64_t, int64_t>{t / 2, 2}, {t / 4, 2}, {t / 2, 1}, {t / 4, 1}})
        if (tokens >= 8 && tokens % 8 == 0 && fits(tokens, buffers))
          return;
    }
  }
  fits(0, 0);
}

FailureOr<WgmmaProblem> mlir::lowbit::wgmma::analyze(MatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError() << "the wgmma strategy does not support " << what
                            << " yet (supported: int8 x int8, e4m3 x e4m3 and packed signed "
                               "int4 weights x int8 or e4m3 (also sign_magnitude) with per-token "
                               "or per-tensor "
                               "activation scales and per-channel or per-tensor weight scales; "
                               "4-bit weights, packed or in the half-fragment order, with f16/bf16 "
                               "activations)";
  };
  RankedTensorType input = op.getInput().getType();
  RankedTensorType weight = op.getWeight().getType();
  if (!input.hasStaticShape())
    return unsupported("a dynamic M");
  WgmmaProblem p;
  p.m = input.getDimSize(0);
  p.n = weight.getDimSize(0);
  p.k = weight.getDimSize(1);
  ArrayRef<int64_t> block = config.getBlock();
  p.bm = block[0];
  p.bn = block[1];
  p.stages = config.getStages();
  p.persistent = config.getPersistent();
  p.streamK = config.getStreamK();
  p.claimK = config.getClaimK();
  p.producerRegisterOverride = config.getProducerRegisters();
  if (ArrayRef<int64_t> cluster = config.getCluster(); !cluster.empty()) {
    p.clusterM = cluster[0];
    p.clusterN = cluster[1];
  }
  p.resultType = op.getResult().getType().getElementType();

  QuantSchemeAttr inScheme = op.getInputSchemeAttr();
  QuantSchemeAttr scheme = op.getWeightScheme();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  if (!inScheme) {
    if (failed(analyzeRealInput(op, p, unsupported)))
      return failure();
    if (block[2] == 128)
      p.aRowBytes = 64;
    return checkConfig(op, config, p, unsupported);
  }
  bool signMagnitude = layout && layout.getKind() == LayoutKind::SignMagnitude;
  if (layout && layout.getKind() != LayoutKind::Packed && !signMagnitude)
    return unsupported("weight layouts other than row-major bytes, packed or (W4A8 e4m3) "
                       "sign_magnitude");
  Type inCode = inScheme.getStorage(), code = scheme.getStorage();
  bool signedInt8 = inCode.isInteger(8) && code.isInteger(8) &&
                    inScheme.getSignedness() == Signedness::Signed &&
                    scheme.getSignedness() == Signedness::Signed;
  bool signedInt4 = code.isInteger(4) && layout && scheme.getSignedness() == Signedness::Signed;
  bool int8Input = inCode.isInteger(8) && inScheme.getSignedness() == Signedness::Signed;
  if (signedInt8)
    p.kind = WgmmaKind::Int8;
  else if (signedInt4 && int8Input)
    p.kind = WgmmaKind::Int4Int8;
  else if (signedInt4 && isa<Float8E4M3FNType>(inCode))
    p.kind = WgmmaKind::Int4Fp8;
  else if (isa<Float8E4M3FNType>(inCode) && isa<Float8E4M3FNType>(code))
    p.kind = WgmmaKind::Fp8;
  else
    return unsupported("activations of " + Twine(typeString(inCode)) + " with weights of " +
                       typeString(code));
  if (signMagnitude && p.kind != WgmmaKind::Int4Fp8)
    return unsupported("sign_magnitude weights with activations other than e4m3");
  p.signMagnitudeWeights = signMagnitude;
  if (!inScheme.isByteCodeScaledPerRowOrTensor() || scheme.hasZeroPoints() ||
      !scheme.hasRowOrTensorScales() || scheme.getOuterScaleType() || scheme.getCodebook())
    return unsupported("zero points, group or two-level scales, or codebooks");
  auto scales = cast<RankedTensorType>(op.getWeightScales().getType());
  auto inScales = cast<RankedTensorType>(op.getInputScales().getType());
  p.scaleType = scales.getElementType();
  p.scaleRows = scales.getDimSize(0);
  p.inputScaleType = inScales.getElementType();
  p.inputScaleRows = inScales.getDimSize(0);
  for (Type t : {p.scaleType, p.inputScaleType, p.resultType})
    if (!isa<Float16Type, BFloat16Type, Float32Type>(t))
      return unsupported("scales or results of type " + Twine(typeString(t)));

  return checkConfig(op, config, p, unsupported);
}
