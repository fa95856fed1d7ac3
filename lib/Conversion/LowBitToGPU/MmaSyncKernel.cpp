//===- MmaSyncKernel.cpp - the mma_sync strategy --------------------------===//
//
// A tiled tensor-core GEMM for prefill shapes, y[M, N] = x[M, K] * w[N, K]^T:
//
// - Each block computes a [BM, BN] tile with (BM / WM) x (BN / WN) warps. The
//   K loop walks tiles of 64 bytes of activations per row (BK = 32 f16/bf16
//   or 64 8-bit elements), the instruction's K twice.
// - A ring of `stages` shared-memory buffers is filled with 16-byte
//   `cp.async` copies, `stages - 1` tiles ahead of the math; rows of the
//   activation tile past M are zero-filled (src-size 0), so any M works.
// - 64-byte rows are stored with their four 16-byte chunks XOR-swizzled by
//   (row / 2) % 4, so the eight rows of one `ldmatrix` hit 32 distinct banks.
// - Activations and 8-bit MMA-typed weights (W8A8 int8, FP8) reach registers
//   through `ldmatrix.x4`; other weights (4-bit codes, 8-bit codes with real
//   activations) are read per thread in the B-fragment order and turned into
//   the MMA type in registers: dequantized with scale and zero point to
//   f16/bf16 (W4A16, W8A16), or 4-bit codes widened to s8 (W4A8).
// - `mma.sync` m16n8k16 (f16/bf16 -> f32), m16n8k32 (s8 -> s32, e4m3 -> f32;
//   e4m3 as inline PTX, which MLIR 22's nvvm.mma.sync rejects).
// - The epilogue applies per-token x per-channel scales of quantized
//   activations and stores the tile, rows past M skipped.
//
// Shapes: N a multiple of BN and K of BK (the message says so otherwise).
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

#include "Emitter.h"
#include "TiledGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::lowbit;
using tiled::kThreadsPerWarp;
using tiled::kTileRowBytes;
using tiled::ldmatrixX4;
using tiled::swizzle;

namespace {

/// What the MMA consumes.
enum class MmaKind {
  Real, // f16/bf16 activations; weights dequantized to them; f32 accumulators
  Int8, // s8 x s8 -> s32; weights of 4 bits widened to s8
  Int4, // s4 x s4 -> s32: native m16n8k64, or both widened to s8 (sm_90)
  Fp8,  // e4m3 x e4m3 -> f32
};

struct MmaProblem {
  int64_t m, n, k;
  int64_t bm, bn, bk, wm, wn, stages;
  MmaKind kind;
  Type actType; // element type of the input parameter (i8 for codes)
  unsigned actBits; // bits of one activation in memory (16, 8 or 4)
  unsigned weightBits;
  bool nativeS4 = false; // Int4 on `mma.sync` s4 (sm_80 to sm_89)
  bool unsignedCodes, hasZeroPoints;
  Granularity granularity;
  int64_t groupSize;
  Type scaleType;
  int64_t scaleRows, scaleCols;
  /// The value of every code when codes index a table (codebooks, float
  /// codes) with real activations; empty for integer codes.
  SmallVector<float> table;
  /// With real activations, the value of every byte of 8-bit float weight
  /// scales (MX e8m0, e4m3), which the kernel reads as bytes.
  SmallVector<float> scaleTable;
  bool hasInputScales = false;
  Type inputScaleType;
  int64_t inputScaleRows = 0;
  Type resultType;

  int64_t warps() const { return (bm / wm) * (bn / wn); }
  int64_t threads() const { return warps() * kThreadsPerWarp; }
  /// Weight bytes of one row of a K tile.
  int64_t weightRowBytes() const { return bk * weightBits / 8; }
  /// Weights read by ldmatrix (already the MMA type) rather than per thread.
  bool weightsByLdmatrix() const {
    return kind == MmaKind::Int4 || (kind != MmaKind::Real && weightBits == 8);
  }
  /// K per step of the inner loop: 32 bytes of activations per row (one
  /// ldmatrix chunk pair), whatever the MMA is.
  int64_t instK() const { return 256 / actBits; }
  bool integerAccumulators() const {
    return kind == MmaKind::Int8 || kind == MmaKind::Int4;
  }
  /// Bytes of one element of the input parameter (packed codes are bytes).
  int64_t actBytes() const { return kind == MmaKind::Real ? 2 : 1; }
  int64_t stageBytes() const {
    return bm * kTileRowBytes + bn * weightRowBytes();
  }
  int64_t ringBytes() const { return stages * stageBytes(); }
  /// The ring, then the f32 values of table codes and 8-bit scales.
  int64_t sharedBytes() const {
    return ringBytes() + int64_t(table.size() + scaleTable.size()) * 4;
  }
};

FailureOr<MmaProblem> analyze(MatmulOp op, lowbit::gpu::ConfigAttr config) {
  auto unsupported = [&](const Twine &what) {
    return op.emitOpError()
           << "the mma_sync strategy does not support " << what
           << " yet (supported: f16/bf16 activations with 4-bit packed or "
              "8-bit integer weights or codebook / float weight codes of 4 "
              "(packed) or 8 bits, per-tensor/channel/group scales (8-bit float "
              "ones such as MX e8m0 too) and "
              "integer zero points; int8 x int8 (or 4-bit signed weights); "
              "e4m3 x e4m3; per-token x per-channel scales)";
  };
  RankedTensorType input = op.getInput().getType();
  RankedTensorType weight = op.getWeight().getType();
  if (!input.hasStaticShape())
    return unsupported("a dynamic M");
  MmaProblem p;
  p.m = input.getDimSize(0);
  p.n = weight.getDimSize(0);
  p.k = weight.getDimSize(1);
  ArrayRef<int64_t> block = config.getBlock(), warp = config.getWarp();
  p.bm = block[0];
  p.bn = block[1];
  p.bk = block[2];
  p.wm = warp[0];
  p.wn = warp[1];
  p.stages = config.getStages();
  p.resultType = op.getResult().getType().getElementType();
  if (config.getSplitK() != 1)
    return unsupported("split_k > 1");

  Type act = input.getElementType();
  QuantSchemeAttr scheme = op.getWeightScheme();
  Type code = scheme.getStorage();
  auto layout = dyn_cast_or_null<LayoutAttr>(weight.getEncoding());
  bool packed = layout && layout.getKind() == LayoutKind::Packed;
  if (scheme.getOuterScaleType() || scheme.getZeroPoint() == ZeroPointKind::Float)
    return unsupported("two-level scales or float zero points");
  p.unsignedCodes = scheme.getSignedness() == Signedness::Unsigned;
  p.hasZeroPoints = scheme.hasZeroPoints();
  p.granularity = scheme.getGranularity();
  p.groupSize = scheme.getGroupSize();
  // MX blocks are groups along K whose scales are powers of two (e8m0).
  if (p.granularity == Granularity::MXBlock)
    p.granularity = Granularity::PerGroup;

  if (isa<Float16Type, BFloat16Type>(act)) {
    p.kind = MmaKind::Real;
    p.actType = act;
    p.actBits = 16;
    // Table codes (NF4-style codebooks, FP4 / FP8 weight codes) are read as
    // unsigned indices into a copy of their values in shared memory.
    if (std::optional<SmallVector<float>> table = scheme.getCodeValues()) {
      p.table = std::move(*table);
      p.unsignedCodes = true;
    }
    unsigned bits = scheme.getBitWidth();
    bool byteCodes = code.isInteger(8) || (!p.table.empty() && bits == 8);
    if (bits == 4 && packed)
      p.weightBits = 4;
    else if (byteCodes && (!layout || packed))
      p.weightBits = 8;
    else if (bits == 4 && !layout)
      return unsupported(weightsWithoutLayout(4));
    else
      return unsupported("the weights " + Twine(typeString(weight)) +
                         " with real activations");
  } else {
    QuantSchemeAttr inScheme = op.getInputSchemeAttr();
    if (!inScheme)
      return unsupported(Twine(typeString(act)) + " activations");
    Type inCode = inScheme.getStorage();
    if (inScheme.hasZeroPoints() || !inScheme.hasRowOrTensorScales() ||
        inScheme.getOuterScaleType())
      return unsupported("activation zero points or activation scales other "
                         "than per token or per tensor");
    if (p.hasZeroPoints || !scheme.hasRowOrTensorScales())
      return unsupported("weight zero points or weight scales other than per "
                         "channel or per tensor with quantized activations");
    if (inCode.isInteger(8) && inScheme.getSignedness() == Signedness::Signed) {
      p.kind = MmaKind::Int8;
      if (code.isInteger(8) && !p.unsignedCodes && (!layout || packed))
        p.weightBits = 8;
      else if (code.isInteger(4) && !p.unsignedCodes && packed)
        p.weightBits = 4;
      else
        return unsupported("the weights " + Twine(typeString(weight)) +
                           " with int8 activations (signed i8, or signed i4 "
                           "packed)");
    } else if (inCode.isInteger(4) && code.isInteger(4)) {
      auto inLayout = dyn_cast_or_null<LayoutAttr>(input.getEncoding());
      if (!inLayout || inLayout.getKind() != LayoutKind::Packed || !packed ||
          inScheme.getSignedness() != Signedness::Signed || p.unsignedCodes)
        return unsupported("4-bit activations or weights that are not signed "
                           "and #lowbit.layout<packed>");
      p.kind = MmaKind::Int4;
      p.weightBits = 4;
      p.nativeS4 = config.getMmaType().isInteger(4);
    } else if (isa<Float8E4M3FNType>(inCode) && isa<Float8E4M3FNType>(code)) {
      p.kind = MmaKind::Fp8;
      p.weightBits = 8;
    } else {
      return unsupported("activations of " + Twine(typeString(inCode)) +
                         " with weights of " + typeString(code));
    }
    p.actType = IntegerType::get(op.getContext(), 8);
    p.actBits = p.kind == MmaKind::Int4 ? 4 : 8;
    p.hasInputScales = true;
    auto inScales = cast<RankedTensorType>(op.getInputScales().getType());
    p.inputScaleType = inScales.getElementType();
    p.inputScaleRows = inScales.getDimSize(0);
  }
  auto scales = cast<RankedTensorType>(op.getWeightScales().getType());
  p.scaleType = scales.getElementType();
  p.scaleRows = scales.getDimSize(0);
  p.scaleCols = scales.getDimSize(1);
  auto smallScale = dyn_cast<FloatType>(p.scaleType);
  if (p.kind == MmaKind::Real && smallScale && smallScale.getWidth() == 8)
    p.scaleTable = getSmallFloatValues(smallScale);
  for (Type t : {p.scaleTable.empty() ? p.scaleType : p.resultType,
                 p.hasInputScales ? p.inputScaleType : p.resultType})
    if (!isa<Float16Type, BFloat16Type, Float32Type>(t))
      return unsupported("scales of type " + Twine(typeString(t)));
  if (!isa<Float16Type, BFloat16Type, Float32Type>(p.resultType))
    return unsupported("a " + Twine(typeString(p.resultType)) + " result");

  // The config must describe a kernel this generator can build.
  int64_t tileK = kTileRowBytes * 8 / p.actBits;
  if (p.bk != tileK)
    return op.emitOpError() << "mma_sync block tile K must be " << tileK
                            << " (64 bytes of activations), not " << p.bk;
  if (p.wm % 16 || p.wn % 16 || p.bm % p.wm || p.bn % p.wn)
    return op.emitOpError()
           << "mma_sync warp tile [" << p.wm << ", " << p.wn
           << "] must be multiples of 16 that divide the block tile [" << p.bm
           << ", " << p.bn << "]";
  if (p.stages < 2)
    return op.emitOpError() << "mma_sync needs at least 2 pipeline stages";
  // Its smallest block tile is 16 rows: no config takes other N.
  if (p.n % 16)
    return op.emitOpError() << "the mma_sync strategy needs N a multiple of 16, not N = " << p.n;
  if (p.n % p.bn)
    return op.emitOpError() << "N = " << p.n
                            << " is not a multiple of the block tile's N ("
                            << p.bn << "); choose a config whose N divides it";
  if (p.k % p.bk)
    return op.emitOpError() << "K = " << p.k
                            << " is not a multiple of the block tile's K ("
                            << p.bk << ")";
  if (p.granularity == Granularity::PerGroup &&
      (scheme.getAxis() != 1 || p.groupSize % p.bk))
    return unsupported("groups (" + Twine(p.groupSize) +
                       ") that are not along K in multiples of " + Twine(p.bk));
  if (p.granularity == Granularity::PerChannel && scheme.getAxis() != 0)
    return unsupported("per-channel scales along K");
  if (p.granularity != Granularity::PerTensor &&
      p.granularity != Granularity::PerChannel &&
      p.granularity != Granularity::PerGroup)
    return unsupported("this scale granularity");
  return p;
}

/// The kernel's values that the loop body and epilogue use.
struct Frame {
  Value x, w, s, z, xs, y;   // parameters (z, xs may be null)
  Value table;               // table codes' values in shared memory, or null
  Value scaleTable;          // 8-bit float scales' values in shared memory, or null
  Value aTiles, bTiles;      // shared-memory rings
  Value tid, lane, warpM, warpN, blockM0, blockN0;
};

/// Calls `body` with each of `count` chunk indices this thread copies.
void forEachChunk(Emitter &e, const MmaProblem &p, const Frame &f, int64_t count,
                  function_ref<void(Value)> body) {
  tiled::forEachIndex(e, f.tid, p.threads(), count, body);
}

/// Queues the copies of K tile `kt` into ring slot `stage`.
void loadTile(Emitter &e, const MmaProblem &p, const Frame &f, Value kt,
              Value stage) {
  OpBuilder &b = e.b;
  auto bypass = b.getUnitAttr();
  // Activations: BM rows of four 16-byte chunks.
  int64_t actPerChunk = 16 / p.actBytes();
  forEachChunk(e, p, f, p.bm * 4, [&](Value chunk) {
    Value row = e.div(chunk, 4), col = e.rem(chunk, 4);
    Value globalRow = e.add(f.blockM0, row);
    Value valid = arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult,
                                        globalRow, e.idx(p.m));
    Value clamped = arith::MinUIOp::create(b, e.loc, globalRow, e.idx(p.m - 1));
    Value globalCol =
        e.add(e.mul(kt, kTileRowBytes / p.actBytes()), e.mul(col, actPerChunk));
    Value srcElements = arith::SelectOp::create(b, e.loc, valid, e.idx(actPerChunk),
                                                e.idx(0));
    nvgpu::DeviceAsyncCopyOp::create(
        b, e.loc, f.aTiles,
        ValueRange{stage, row, e.mul(swizzle(e, row, col), actPerChunk)}, f.x,
        ValueRange{clamped, globalCol}, b.getIndexAttr(actPerChunk), srcElements,
        bypass);
  });
  // Weights: BN rows of weightRowBytes() bytes.
  int64_t chunksPerRow = p.weightRowBytes() / 16;
  forEachChunk(e, p, f, p.bn * chunksPerRow, [&](Value chunk) {
    Value row = e.div(chunk, chunksPerRow), col = e.rem(chunk, chunksPerRow);
    Value sharedCol = p.weightsByLdmatrix() ? swizzle(e, row, col) : col;
    Value globalCol = e.add(e.mul(kt, p.weightRowBytes()), e.mul(col, 16));
    nvgpu::DeviceAsyncCopyOp::create(
        b, e.loc, f.bTiles, ValueRange{stage, row, e.mul(sharedCol, 16)}, f.w,
        ValueRange{e.add(f.blockN0, row), globalCol}, b.getIndexAttr(16),
        Value(), bypass);
  });
}

/// The value of weight code `codeBits` bits wide in the low bits of `byte`
/// (an i32), minus the zero point, times the scale, in `realType`.
Value dequantize(Emitter &e, const MmaProblem &p, const Frame &f, Value code,
                 Value offset, Value scale, Type realType) {
  OpBuilder &b = e.b;
  if (f.table)
    return arith::TruncFOp::create(
        b, e.loc, realType,
        arith::MulFOp::create(b, e.loc, tableValue(b, e.loc, f.table, code), scale));
  Value v = p.unsignedCodes
                ? arith::UIToFPOp::create(b, e.loc, b.getF32Type(), code).getResult()
                : arith::SIToFPOp::create(b, e.loc, b.getF32Type(), code).getResult();
  Value real = arith::MulFOp::create(
      b, e.loc, arith::SubFOp::create(b, e.loc, v, offset), scale);
  return arith::TruncFOp::create(b, e.loc, realType, real);
}

/// Code `index` (0-based along K within the row's tile) of weight row `row`
/// in ring slot `stage`, as an i32 (sign-extended for signed codes).
Value weightCode(Emitter &e, const MmaProblem &p, const Frame &f, Value stage,
                 Value row, int64_t kOffset, Value kBase) {
  OpBuilder &b = e.b;
  Value k = e.add(kBase, kOffset);
  Value byteIndex = p.weightBits == 4 ? e.div(k, 2) : k;
  Value byte = memref::LoadOp::create(b, e.loc, f.bTiles,
                                      ValueRange{stage, row, byteIndex});
  Value word = p.unsignedCodes
                   ? arith::ExtUIOp::create(b, e.loc, b.getI32Type(), byte).getResult()
                   : arith::ExtSIOp::create(b, e.loc, b.getI32Type(), byte).getResult();
  if (p.weightBits == 8)
    return word;
  // Two codes per byte, the even K in the low nibble (kOffset is static, so
  // whether `k` is odd is known: kBase is even).
  if (kOffset % 2)
    return p.unsignedCodes ? e.andi(e.shr(word, 4), 15)
                           : arith::ShRSIOp::create(b, e.loc, word, e.i32(4)).getResult();
  if (p.unsignedCodes)
    return e.andi(word, 15);
  return arith::ShRSIOp::create(b, e.loc, e.shl(word, 28), e.i32(28));
}

/// The B fragments (vector<2x...>) of the warp's n8 tiles for K step
/// `kstep` of ring slot `stage`.
SmallVector<Value> loadWeightFragments(Emitter &e, const MmaProblem &p,
                                       const Frame &f, Value stage, int64_t kstep,
                                       ArrayRef<std::pair<Value, Value>> scaleZero,
                                       Type mmaElement) {
  OpBuilder &b = e.b;
  int64_t tilesN = p.wn / 8;
  SmallVector<Value> frags;
  Value warpRow = e.mul(f.warpN, p.wn);
  if (p.weightsByLdmatrix()) {
    auto type = VectorType::get({4, 4}, b.getI8Type());
    auto half = VectorType::get({2, 4}, b.getI8Type());
    for (int64_t pair = 0; pair < tilesN / 2; ++pair) {
      // Lanes 0-7: rows 0-7 chunk 0; 8-15: rows 0-7 chunk 1; 16-23: rows
      // 8-15 chunk 0; 24-31: rows 8-15 chunk 1.
      Value row = e.add(e.add(warpRow, pair * 16),
                        e.add(e.rem(f.lane, 8), e.mul(e.div(f.lane, 16), 8)));
      Value chunk = e.add(e.rem(e.div(f.lane, 8), 2), kstep * 2);
      Value x4 = ldmatrixX4(e, f.bTiles, stage, row, chunk, 16, type);
      for (int64_t t = 0; t < 2; ++t) {
        Value frag = ub::PoisonOp::create(b, e.loc, half);
        for (int64_t r = 0; r < 2; ++r)
          frag = vector::InsertOp::create(
              b, e.loc,
              vector::ExtractOp::create(b, e.loc, x4, ArrayRef<int64_t>{2 * t + r}),
              frag, ArrayRef<int64_t>{r});
        frags.push_back(frag);
      }
    }
    return frags;
  }
  Value group = e.div(f.lane, 4), thread = e.rem(f.lane, 4);
  for (int64_t j = 0; j < tilesN; ++j) {
    Value row = e.add(e.add(warpRow, j * 8), group);
    if (p.kind == MmaKind::Real) {
      // b0, b1: K = 2t, 2t + 1; b2, b3: K = 2t + 8, 2t + 9 (of this k16 step).
      Value kBase = e.add(e.mul(thread, 2), kstep * 16);
      SmallVector<Value> values;
      for (int64_t offset : {0, 1, 8, 9})
        values.push_back(dequantize(e, p, f, weightCode(e, p, f, stage, row, offset, kBase),
                                    scaleZero[j].second, scaleZero[j].first,
                                    mmaElement));
      frags.push_back(vector::FromElementsOp::create(
          b, e.loc, VectorType::get({2, 2}, mmaElement), values));
      continue;
    }
    // Int8 MMA on 4-bit codes: b0 = K 4t..4t+3, b1 = K 4t+16..4t+19, each
    // two packed bytes widened to four s8.
    auto bytes4 = VectorType::get({4}, b.getI8Type());
    Value frag = ub::PoisonOp::create(b, e.loc, VectorType::get({2, 4}, b.getI8Type()));
    for (int64_t r = 0; r < 2; ++r) {
      Value byteIndex = e.add(e.mul(thread, 2), kstep * 16 + r * 8);
      Value word = e.i32(0);
      for (int64_t h = 0; h < 2; ++h) {
        Value byte = memref::LoadOp::create(
            b, e.loc, f.bTiles, ValueRange{stage, row, e.add(byteIndex, h)});
        word = e.ori(word, e.shl(arith::ExtUIOp::create(b, e.loc, b.getI32Type(), byte),
                                 8 * h));
      }
      Value widened = vector::BitCastOp::create(
          b, e.loc, bytes4,
          vector::BroadcastOp::create(b, e.loc, VectorType::get({1}, b.getI32Type()),
                                      e.widenS4ToS8(word)));
      frag = vector::InsertOp::create(b, e.loc, widened, frag, ArrayRef<int64_t>{r});
    }
    frags.push_back(frag);
  }
  return frags;
}

/// An s4 fragment (`rows` registers of eight codes) widened for s8 MMAs:
/// the registers of codes 0-3 and of codes 4-7. A and B fragments split the
/// same way, so each half is a K=32 product over the same K positions.
std::pair<Value, Value> widenS4Fragment(Emitter &e, Value frag, int64_t rows) {
  OpBuilder &b = e.b;
  Type i32 = b.getI32Type();
  auto bytes4 = VectorType::get({4}, b.getI8Type());
  auto type = VectorType::get({rows, 4}, b.getI8Type());
  Value low = ub::PoisonOp::create(b, e.loc, type), high = low;
  for (int64_t r = 0; r < rows; ++r) {
    Value row = vector::ExtractOp::create(b, e.loc, frag, ArrayRef<int64_t>{r});
    Value word = vector::ExtractOp::create(
        b, e.loc, vector::BitCastOp::create(b, e.loc, VectorType::get({1}, i32), row),
        ArrayRef<int64_t>{0});
    auto widen = [&](Value codes) -> Value {
      return vector::BitCastOp::create(
          b, e.loc, bytes4,
          vector::BroadcastOp::create(b, e.loc, VectorType::get({1}, i32),
                                      e.widenS4ToS8(codes)));
    };
    low = vector::InsertOp::create(b, e.loc, widen(word), low, ArrayRef<int64_t>{r});
    high = vector::InsertOp::create(b, e.loc, widen(e.shr(word, 16)), high,
                                    ArrayRef<int64_t>{r});
  }
  return {low, high};
}

/// One m16n8kK MMA. f16 and bf16 as tiled::mmaM16N8K16; nvgpu.mma.sync
/// covers s8; e4m3, which nvvm.mma.sync does not accept in MLIR 22, is the
/// PTX instruction itself.
Value mma(Emitter &e, const MmaProblem &p, Value a, Value bFrag, Value c) {
  OpBuilder &b = e.b;
  if (p.kind == MmaKind::Real)
    return tiled::mmaM16N8K16(e, a, bFrag, c);
  if (p.kind == MmaKind::Int8)
    return nvgpu::MmaSyncOp::create(b, e.loc, a, bFrag, c,
                                    ArrayRef<int64_t>{16, 8, p.instK()});
  if (p.kind == MmaKind::Int4) {
    // Each 32-bit register holds eight s4 codes for the s4 m16n8k64.
    assert(p.nativeS4 && "widened s4 goes through widenS4Fragment");
    {
      auto asS4 = [&](Value frag, int64_t rows) {
        auto rowType = VectorType::get({8}, b.getIntegerType(4));
        Value out = ub::PoisonOp::create(
            b, e.loc, VectorType::get({rows, 8}, b.getIntegerType(4)));
        for (int64_t r = 0; r < rows; ++r)
          out = vector::InsertOp::create(
              b, e.loc,
              vector::BitCastOp::create(
                  b, e.loc, rowType,
                  vector::ExtractOp::create(b, e.loc, frag, ArrayRef<int64_t>{r})),
              out, ArrayRef<int64_t>{r});
        return out;
      };
      return nvgpu::MmaSyncOp::create(b, e.loc, asS4(a, 4), asS4(bFrag, 2), c,
                                      ArrayRef<int64_t>{16, 8, 64});
    }
  }
  SmallVector<Value> operands = tiled::fragmentWords(e, a);
  llvm::append_range(operands, tiled::fragmentWords(e, bFrag));
  llvm::append_range(operands, tiled::accumulatorRegisters(e, c));
  Value d = LLVM::InlineAsmOp::create(
                b, e.loc, tiled::accumulatorStruct(e), operands,
                b.getStringAttr("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
                                "{$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, "
                                "{$10, $11, $12, $13};"),
                b.getStringAttr("=f,=f,=f,=f,r,r,r,r,r,r,0,1,2,3"), UnitAttr(), UnitAttr(),
                LLVM::TailCallKindAttr(), LLVM::AsmDialectAttr(), ArrayAttr())
                .getRes();
  return tiled::accumulatorVector(e, d, c.getType());
}

/// Scale (f32) and zero-point offset (f32) of weight row `row` (of the
/// block) for K tile `kt`, for the dequantizing path.
std::pair<Value, Value> rowScaleAndOffset(Emitter &e, const MmaProblem &p,
                                          const Frame &f, Value row, Value kt) {
  OpBuilder &b = e.b;
  Value n = e.add(f.blockN0, row);
  Value scaleRow = p.granularity == Granularity::PerTensor ? e.idx(0) : n;
  Value scaleCol = p.granularity == Granularity::PerGroup
                       ? e.div(e.mul(kt, p.bk), p.groupSize)
                       : e.idx(0);
  Value raw = memref::LoadOp::create(b, e.loc, f.s, ValueRange{scaleRow, scaleCol});
  Value scale = f.scaleTable ? tableValue(b, e.loc, f.scaleTable, raw) : e.toF32(raw);
  Value offset = e.f32(0.0);
  if (f.z) {
    Value z = memref::LoadOp::create(b, e.loc, f.z, ValueRange{scaleRow, scaleCol});
    // Zero points hold one code per byte.
    Value word = p.unsignedCodes
                     ? arith::ExtUIOp::create(b, e.loc, b.getI32Type(), z).getResult()
                     : arith::ExtSIOp::create(b, e.loc, b.getI32Type(), z).getResult();
    if (p.weightBits == 4)
      word = p.unsignedCodes
                 ? e.andi(word, 15)
                 : arith::ShRSIOp::create(b, e.loc, e.shl(word, 28), e.i32(28)).getResult();
    offset = p.unsignedCodes
                 ? arith::UIToFPOp::create(b, e.loc, b.getF32Type(), word).getResult()
                 : arith::SIToFPOp::create(b, e.loc, b.getF32Type(), word).getResult();
  }
  return {scale, offset};
}

void storeTile(Emitter &e, const MmaProblem &p, const Frame &f,
               ArrayRef<Value> acc) {
  OpBuilder &b = e.b;
  int64_t tilesM = p.wm / 16, tilesN = p.wn / 8;
  Value group = e.div(f.lane, 4), thread = e.rem(f.lane, 4);
  for (int64_t i = 0; i < tilesM; ++i) {
    for (int64_t half = 0; half < 2; ++half) {
      Value row = e.add(e.add(f.blockM0, e.mul(f.warpM, p.wm)),
                        e.add(group, i * 16 + half * 8));
      auto inside = scf::IfOp::create(
          b, e.loc,
          arith::CmpIOp::create(b, e.loc, arith::CmpIPredicate::ult, row, e.idx(p.m)),
          /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&inside.getThenRegion().front());
      Value rowScale;
      if (f.xs)
        rowScale = e.toF32(memref::LoadOp::create(
            b, e.loc, f.xs,
            ValueRange{p.inputScaleRows == 1 ? e.idx(0) : row, e.idx(0)}));
      for (int64_t j = 0; j < tilesN; ++j) {
        Value col0 = e.add(e.add(f.blockN0, e.mul(f.warpN, p.wn)),
                           e.add(e.mul(thread, 2), j * 8));
        for (int64_t c = 0; c < 2; ++c) {
          Value col = e.add(col0, c);
          Value v = vector::ExtractOp::create(b, e.loc, acc[i * tilesN + j],
                                              ArrayRef<int64_t>{half, c});
          if (p.integerAccumulators())
            v = arith::SIToFPOp::create(b, e.loc, b.getF32Type(), v);
          if (f.xs) {
            Value colScale = e.toF32(memref::LoadOp::create(
                b, e.loc, f.s,
                ValueRange{p.granularity == Granularity::PerTensor ? e.idx(0) : col,
                           e.idx(0)}));
            v = arith::MulFOp::create(b, e.loc, arith::MulFOp::create(b, e.loc, v, rowScale),
                                      colScale);
          }
          if (!p.resultType.isF32())
            v = arith::TruncFOp::create(b, e.loc, p.resultType, v);
          memref::StoreOp::create(b, e.loc, v, f.y, ValueRange{row, col});
        }
      }
    }
  }
}

} // namespace

FailureOr<KernelLaunch> mlir::lowbit::buildMmaSyncKernel(OpBuilder &b, MatmulOp op,
                                                         lowbit::gpu::ConfigAttr config,
                                                         StringRef name) {
  FailureOr<MmaProblem> analyzed = analyze(op, config);
  if (failed(analyzed))
    return failure();
  const MmaProblem &p = *analyzed;
  Location loc = op.getLoc();
  Emitter e{b, loc};
  Type i8 = b.getI8Type();

  KernelLaunch launch;
  SmallVector<Type> params;
  params.push_back(MemRefType::get({p.m, p.k * p.actBits / (8 * p.actBytes())},
                                   p.actType));
  launch.params.push_back("input");
  params.push_back(MemRefType::get({p.n, p.k * p.weightBits / 8}, i8));
  launch.params.push_back("weight");
  params.push_back(MemRefType::get({p.scaleRows, p.scaleCols},
                                   p.scaleTable.empty() ? p.scaleType : i8));
  launch.params.push_back("weight_scales");
  if (p.hasZeroPoints) {
    params.push_back(MemRefType::get({p.scaleRows, p.scaleCols}, i8));
    launch.params.push_back("weight_zero_points");
  }
  if (p.hasInputScales) {
    params.push_back(MemRefType::get({p.inputScaleRows, 1}, p.inputScaleType));
    launch.params.push_back("input_scales");
  }
  params.push_back(MemRefType::get({p.m, p.n}, p.resultType));
  launch.params.push_back("result");

  ::mlir::gpu::GPUFuncOp func = beginKernel(b, loc, name, params, p.threads());
  Block &body = func.getBody().front();

  Frame f;
  unsigned arg = 0;
  f.x = body.getArgument(arg++);
  f.w = body.getArgument(arg++);
  f.s = body.getArgument(arg++);
  if (p.hasZeroPoints)
    f.z = body.getArgument(arg++);
  if (p.hasInputScales)
    f.xs = body.getArgument(arg++);
  f.y = body.getArgument(arg++);
  f.tid = ::mlir::gpu::ThreadIdOp::create(b, loc, ::mlir::gpu::Dimension::x);

  // The shared-memory rings, carved out of dynamic shared memory, and after
  // them the tables of code and scale values.
  Value shared = dynamicSharedBytes(b, loc);
  if (!p.table.empty())
    f.table = stageCodeTable(b, loc, func, p.table, f.tid, p.threads(), shared, p.ringBytes());
  if (!p.scaleTable.empty())
    f.scaleTable = stageCodeTable(b, loc, func, p.scaleTable, f.tid, p.threads(), shared,
                                  p.ringBytes() + int64_t(p.table.size()) * 4, "scale_values");
  Type mmaElement = p.kind == MmaKind::Real ? p.actType : i8;
  f.aTiles = tiled::ringView(e, shared, 0, p.stages, p.bm, kTileRowBytes / p.actBytes(),
                             mmaElement);
  f.bTiles = tiled::ringView(e, shared, p.stages * p.bm * kTileRowBytes, p.stages, p.bn,
                             p.weightRowBytes(), i8);

  f.lane = e.rem(f.tid, kThreadsPerWarp);
  Value warp = e.div(f.tid, kThreadsPerWarp);
  f.warpM = e.div(warp, p.bn / p.wn);
  f.warpN = e.rem(warp, p.bn / p.wn);
  int64_t gridN = p.n / p.bn, gridM = llvm::divideCeil(p.m, p.bm);
  Value pid = ::mlir::gpu::BlockIdOp::create(b, loc, ::mlir::gpu::Dimension::x);
  std::tie(f.blockM0, f.blockN0) =
      tiled::groupedTileOrigin(e, pid, gridM, gridN, p.bm, p.bn);

  int64_t kTiles = p.k / p.bk;
  int64_t tilesM = p.wm / 16, tilesN = p.wn / 8;
  Type accElement = p.integerAccumulators() ? Type(b.getI32Type()) : Type(b.getF32Type());
  auto accType = VectorType::get({2, 2}, accElement);
  Value zero = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(accType, p.integerAccumulators()
                                                  ? Attribute(b.getI32IntegerAttr(0))
                                                  : Attribute(b.getF32FloatAttr(0.0f))));
  SmallVector<Value> init(tilesM * tilesN, zero);
  auto load = [&](Value kt, Value slot) { loadTile(e, p, f, kt, slot); };
  auto compute = [&](Value kt, Value stage, SmallVector<Value> &acc) {
    SmallVector<std::pair<Value, Value>> scaleZero;
    if (!p.weightsByLdmatrix() && p.kind == MmaKind::Real)
      for (int64_t j = 0; j < tilesN; ++j)
        scaleZero.push_back(rowScaleAndOffset(
            e, p, f, e.add(e.add(e.mul(f.warpN, p.wn), j * 8), e.div(f.lane, 4)), kt));
    auto aType = p.kind == MmaKind::Real ? VectorType::get({4, 2}, p.actType)
                                         : VectorType::get({4, 4}, i8);
    int64_t actPerChunk = 16 / p.actBytes();
    int64_t ksteps = p.bk / p.instK();
    auto loadA = [&](int64_t kstep) {
      SmallVector<Value> frags;
      for (int64_t i = 0; i < tilesM; ++i) {
        Value row = e.add(e.add(e.mul(f.warpM, p.wm), i * 16), e.rem(f.lane, 16));
        Value chunk = e.add(e.div(f.lane, 16), kstep * 2);
        frags.push_back(ldmatrixX4(e, f.aTiles, stage, row, chunk, actPerChunk, aType));
      }
      return frags;
    };
    if (p.kind == MmaKind::Int4 && !p.nativeS4) {
      // Widened s4: one K step at a time (the s8 registers are twice as
      // many), each step two s8 MMAs per tile pair.
      for (int64_t kstep = 0; kstep < ksteps; ++kstep) {
        SmallVector<std::pair<Value, Value>> a, w;
        for (Value frag : loadA(kstep))
          a.push_back(widenS4Fragment(e, frag, 4));
        for (Value frag : loadWeightFragments(e, p, f, stage, kstep, scaleZero, mmaElement))
          w.push_back(widenS4Fragment(e, frag, 2));
        for (int64_t i = 0; i < tilesM; ++i)
          for (int64_t j = 0; j < tilesN; ++j)
            for (bool high : {false, true})
              acc[i * tilesN + j] = nvgpu::MmaSyncOp::create(
                  b, loc, high ? a[i].second : a[i].first,
                  high ? w[j].second : w[j].first, acc[i * tilesN + j],
                  ArrayRef<int64_t>{16, 8, 32});
      }
    } else {
      // All fragments of the tile first, then the MMAs: the second K step's
      // loads are in flight while the first one's MMAs run.
      SmallVector<SmallVector<Value>> aFrags(ksteps), bFrags(ksteps);
      for (int64_t kstep = 0; kstep < ksteps; ++kstep) {
        aFrags[kstep] = loadA(kstep);
        bFrags[kstep] = loadWeightFragments(e, p, f, stage, kstep, scaleZero, mmaElement);
      }
      for (int64_t kstep = 0; kstep < ksteps; ++kstep)
        for (int64_t i = 0; i < tilesM; ++i)
          for (int64_t j = 0; j < tilesN; ++j)
            acc[i * tilesN + j] =
                mma(e, p, aFrags[kstep][i], bFrags[kstep][j], acc[i * tilesN + j]);
    }
  };
  storeTile(e, p, f, tiled::pipelinedKLoop(e, p.stages, kTiles, init, load, compute));
  ::mlir::gpu::ReturnOp::create(b, loc);

  launch.grid = {gridN * gridM, 1, 1};
  launch.block = {p.threads(), 1, 1};
  launch.sharedBytes = p.sharedBytes();
  return launch;
}
