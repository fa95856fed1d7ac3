//===- Gemv.h - what the two GEMV generators share --------------*- C++ -*-===//
//
// The problem description, the chunk types and the product folds that the
// register-streaming GEMV (`splitk_gemv`, GemvKernel.cpp) and the TMA-fed
// one (`tma_gemv`, TmaGemvKernel.cpp) share. Included by those files only.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_GEMV_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_GEMV_H

#include "Emitter.h"
#include "Kernels.h"
#include "lowbit/Conversion/RegisterWidening.h"

#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace mlir::lowbit::gemv {

constexpr int64_t kWarpThreads = 32;
/// Warps that compute products (tma_gemv adds a producer warp).
constexpr int64_t kWarpsPerBlock = 4;
/// tma_gemv: each ring slot holds 512 bytes of every row of the block (one
/// 16-byte chunk per lane), copied as four boxes of 128-byte rows with the
/// 128-byte swizzle.
constexpr int64_t kTmaBoxBytes = 128;
constexpr int64_t kTmaSlotRowBytes = kWarpThreads * 16;
/// tma_gemv on tensor cores: mma.sync m16n8k16's M (the rows of a row
/// tile) and N (the tokens of a token tile), at most two token tiles, and
/// the 64 bytes (128 4-bit codes, four chunks) of a row that a quad's mmas
/// take.
constexpr int64_t kTensorCoreRows = 16;
constexpr int64_t kTensorCoreTokens = 8;
constexpr int64_t kMaxTensorCoreTokens = 2 * kTensorCoreTokens;
constexpr int64_t kQuadBytes = 64;
/// The most tokens either GEMV takes (decode), on tensor cores or not: the
/// CUDA-core paths unroll their work per token, so compile time and
/// registers grow with M (at 128 tokens lowbit-compile took 21 s); longer
/// products run on mma_sync or wgmma.
constexpr int64_t kMaxGemvTokens = kMaxTensorCoreTokens;

/// What the GEMV kernel needs to know about one matmul.
struct GemvProblem {
  int64_t m, n, k, splitK, rowsPerBlock;
  Type actType, scaleType, resultType;
  /// 2 or 4 (packed four or two per byte) or 8; 3, 5 or 6 (packed,
  /// splitk_gemv's streaming path only: some codes straddle two words).
  unsigned codeBits;
  bool unsignedCodes, hasZeroPoints;
  Granularity granularity;
  int64_t groupSize;
  int64_t scaleRows, scaleCols;
  /// The value of every code when codes index a table (QuantSchemeAttr::
  /// getCodeValues); empty for integer codes.
  SmallVector<float> table;
  /// The value of every scale byte for 8-bit float scales (MX e8m0,
  /// NVFP4-style e4m3), read as bytes; empty for f16/bf16/f32 scales.
  SmallVector<float> scaleTable;
  /// Dynamic shared memory: the two tables' f32 values, and with tma_gemv
  /// the ring, its barriers and room to align it.
  int64_t sharedBytes() const {
    return tableBytes() +
           (tma ? 1024 + barrierOffset() + 16 * ringSlots + tensorCoreSumBytes() : 0);
  }
  /// Whole chunks per row (chunkBytes) and scale groups of whole chunks:
  /// the streaming path (16-byte or word loads, dequantization by exponent
  /// tricks).
  bool vectorized = false;
  /// 16-byte chunks each lane loads before using the first (the config's
  /// `stages`): the bytes in flight that hide memory latency.
  int64_t chunksInFlight = 4;
  /// Rows a warp streams together (warp tile N / 8, the GEMV's row granule):
  /// each activation load and conversion then serves that many rows.
  int64_t rowsPerWarp = 1;
  /// Products in f16x2 (`mma_type = f16` on the streaming path with f16
  /// activations, 4-bit integer codes and f16 scales): two codes per
  /// instruction instead of one, sums in f16 within a 16-byte chunk.
  bool halfProducts = false;
  /// The order of 4-bit codes in a chunk's words (widening::ChunkOrder).
  /// The decoders pair nibbles q and q + 4 of each word (HalfPairs);
  /// packed, those are codes 8j + q and 8j + q + 4 of word j, whose
  /// activations a `prmt` gathers. AWQ's order [0, 2, 4, 6, 1, 3, 5, 7] (an
  /// `interleave` layout) makes them codes 8j + 2q and the next, the
  /// half-fragment order (quant::kHalfFragmentOrder) codes 2j + 8q and the
  /// next: consecutive codes, which multiply the activations as they are
  /// loaded. sign_magnitude codes (e4m3 activations on tensor cores only)
  /// pair consecutive codes too (HalfPairs::signMagnitudeWeights).
  widening::ChunkOrder codeOrder = widening::ChunkOrder::Packed;
  bool interleavedCodes() const { return codeOrder != widening::ChunkOrder::Packed; }
  bool signMagnitudeCodes() const { return codeOrder == widening::ChunkOrder::SignMagnitude; }
  /// The tma_gemv strategy: weight tiles stream through a shared-memory
  /// ring of `ringSlots` slots (buildTmaKernel).
  bool tma = false;
  int64_t ringSlots = 0;
  /// tma_gemv with `mma = [16, 8, 16]` or `[16, 8, 32]`: products on
  /// tensor cores (consumeOnTensorCores; `[1, 1, 1]`: CUDA cores).
  bool tensorCores = false;
  /// Quantized activations (`actType` i8 or e4m3; tma_gemv's tensor cores
  /// only): widened exactly to f16 in registers or, on s8 tensor cores,
  /// multiplied as they are; the sums are scaled by the input scales
  /// (`inputScaleRows`: M per token, 1 per tensor) when stored.
  bool quantizedInput = false;
  Type inputScaleType;
  int64_t inputScaleRows = 0;
  /// Tensor cores on s8 (`mma = [16, 8, 32]`, `mma_type = i8`): int8
  /// activations as they are and signed 4-bit codes as bytes of 16 x code,
  /// half the mma steps of the f16 path and no widening of activations.
  bool s8TensorCores = false;

  int64_t rowBytes() const { return k * codeBits / 8; }
  /// Widths that do not divide 32 bits: `codeBits` words hold 32 codes,
  /// some of which start in one word and end in the next.
  bool splitWordCodes() const { return 32 % codeBits != 0; }
  /// The words a lane loads as one chunk: a 16-byte vector, or the
  /// `codeBits` words of 32 split-word codes (loaded one by one: 12-, 20- or
  /// 24-byte chunks are only word-aligned).
  int64_t chunkBytes() const { return lowbit::gpu::gemvChunkBytes(codeBits); }
  int64_t chunkWords() const { return chunkBytes() / 4; }
  int64_t rowChunks() const { return rowBytes() / chunkBytes(); }
  /// tma_gemv: K tiles per row (512 bytes each), their codes, and the
  /// bytes of a ring slot: the weight tile (`weightBytes`), then on tensor
  /// cores each token's activations of the K tile (`activationBytes`).
  int64_t kTiles() const { return llvm::divideCeil(rowBytes(), kTmaSlotRowBytes); }
  int64_t tileCodes() const { return kTmaSlotRowBytes * 8 / codeBits; }
  int64_t weightBytes() const { return rowsPerBlock * kTmaSlotRowBytes; }
  int64_t activationBytes() const { return tensorCores ? m * tileCodes() * actBytes() : 0; }
  int64_t slotBytes() const { return weightBytes() + activationBytes(); }
  /// Where the ring starts past the tables (aligned to the swizzle's 1024
  /// bytes at run time) and its mbarriers after it: `full`, then `empty`.
  int64_t tableBytes() const { return int64_t(table.size() + scaleTable.size()) * 4; }
  int64_t barrierOffset() const { return ringSlots * slotBytes(); }
  int64_t codesPerChunk() const { return lowbit::gpu::gemvChunkCodes(codeBits); }
  /// tma_gemv on tensor cores: each warp computes rowsPerWarp rows as
  /// `rowTiles()` mma tiles of 16; the block's `rowGroups()` groups of
  /// rowsPerWarp rows each take `warpsPerRowGroup()` warps, which split the
  /// K tile's 8 quads (128 codes each) between them. Tokens go 8 to an mma
  /// (`tokenTiles()` of them).
  int64_t rowTiles() const { return rowsPerWarp / kTensorCoreRows; }
  int64_t rowGroups() const { return rowsPerBlock / rowsPerWarp; }
  int64_t warpsPerRowGroup() const { return kWarpsPerBlock / rowGroups(); }
  int64_t quadsPerWarp() const { return kTmaSlotRowBytes / kQuadBytes / warpsPerRowGroup(); }
  int64_t tokenTiles() const { return llvm::divideCeil(m, kTensorCoreTokens); }
  /// One scale per row for all 128 codes of a quad: the tensor cores' f32
  /// sums of the quad are scaled, and the product is exact up to f32
  /// rounding. Shorter groups scale the decoded weights instead.
  bool quadScales() const {
    return granularity != Granularity::PerGroup || groupSize % 128 == 0;
  }
  /// Shared memory where the warps of a row group leave their f32 sums
  /// (four per thread, row tile and token tile) when they split K tiles.
  int64_t tensorCoreSumBytes() const {
    return tensorCores && warpsPerRowGroup() > 1
               ? kWarpsPerBlock * kWarpThreads * 16 * rowTiles() * tokenTiles()
               : 0;
  }
  /// Activations per 16-byte vector, and bytes per activation.
  int64_t actLanes() const { return 128 / int64_t(actType.getIntOrFloatBitWidth()); }
  int64_t actBytes() const { return int64_t(actType.getIntOrFloatBitWidth()) / 8; }
  /// The 16-bit type the tensor cores (and the f16x2 path) multiply in: the
  /// activations' bf16, else f16 (which holds int8 and e4m3 exactly).
  Type halfType() const {
    return actType.isBF16() ? actType : Type(Float16Type::get(actType.getContext()));
  }
};

/// What a row body sees of the kernel around it.
struct GemvFrame {
  Value x, w, s, z; // z is null without zero points
  Value xs;         // the input scales (quantized activations), or null
  Value table;      // the code values in shared memory, or null
  Value scaleTable; // the values of 8-bit float scales in shared memory, or null
  /// The warp's output rows (rowsPerWarp of them), rows past N clamped to
  /// the last (read, never stored).
  SmallVector<Value> rows;
  Value begin, end; // this lane's first unit of the row, and the split's end
};

/// The chunks a lane of the streaming kernels has in flight: `stages` 16-byte
/// chunks of each of the warp's rows, 32 chunks apart from `first` on.
/// Chunks past the split's end re-read its last chunk and are marked
/// invalid (the caller gives them a zero scale). Their scales and zero points
/// are loaded with them, so that those loads' latency overlaps too.
struct ChunksInFlight {
  struct Chunk {
    Value k0, valid;
    // One per row of the warp: the words (vector<4xi32>), the scale and the
    // zero point as read from memory (null without zero points).
    SmallVector<Value> words, scales, zeros;
    // Per token, the activations' 16-byte vectors when loaded ahead with
    // the chunk; empty: the fold loads them (chunkActivations).
    SmallVector<SmallVector<Value>, 2> activations;
  };
  SmallVector<Chunk, 1> chunks;
};

/// The four 32-bit words of a 16-byte vector.
inline SmallVector<Value> vectorWords(OpBuilder &b, Location loc, Value v) {
  Value asWords = vector::BitCastOp::create(b, loc, VectorType::get({4}, b.getI32Type()), v);
  SmallVector<Value> out;
  for (int64_t i = 0; i < 4; ++i)
    out.push_back(vector::ExtractOp::create(b, loc, asWords, ArrayRef<int64_t>{i}));
  return out;
}

/// What adds the products of the chunks in flight to the rowsPerWarp x M
/// sums ([row * M + token]): foldFloatProducts or foldHalfProducts.
using ChunkFold = void (*)(OpBuilder &, Location, const GemvProblem &, const GemvFrame &,
                           const ChunksInFlight &, MutableArrayRef<Value>);

Value index(OpBuilder &b, Location loc, int64_t v);
Value toF32(OpBuilder &b, Location loc, Value v);
Value f32Const(OpBuilder &b, Location loc, double v);
/// `acc + a * c`, contractible into an FMA.
Value fma(OpBuilder &b, Location loc, Value a, Value c, Value acc);
/// Value of a code held in the low `bits` bits of an i8, as f32.
Value codeValue(OpBuilder &b, Location loc, Value byte, unsigned bits, bool isUnsigned);
/// The indices into the scales (and zero points) of the codes starting at
/// `k0` of row `n`.
SmallVector<Value, 2> scaleIndices(OpBuilder &b, Location loc, const GemvProblem &p, Value n,
                                   Value k0);
/// Token `token`'s activations of the chunk of codes from `k0`, as the
/// 16-byte vectors the input is viewed as.
SmallVector<Value> loadActivations(OpBuilder &b, Location loc, const GemvProblem &p,
                                   const GemvFrame &f, Value token, Value k0);
/// The GEMV kernels' parameters: input as `xType`, weight as `wType`,
/// scales, [zero points], [input scales], result.
SmallVector<Type> gemvParams(OpBuilder &b, const GemvProblem &p, Type xType, Type wType);
/// Stores a finished f32 sum at `at` of the result (token, row), converted
/// to the result type, or adds it atomically with K splits.
void storeResult(OpBuilder &b, Location loc, const GemvProblem &p, Value y, Value sum,
                 ValueRange at);
/// A warp's sums of its rows, reduced over the lanes and stored (or added
/// atomically with K splits) by lane 0 (GemvKernel.cpp).
void storeRowSums(OpBuilder &b, Location loc, const GemvProblem &p, Value y, Value lane,
                  ArrayRef<Value> outputRows, ArrayRef<Value> partial, bool firstRowInside);
/// The streaming kernels' operand types: the input as 16-byte vectors of
/// activations, the weight as 16-byte chunks of four words.
std::pair<Type, Type> streamingOperandTypes(OpBuilder &b, const GemvProblem &p);
/// The chunk folds (GemvKernel.cpp): f32 products, and f16x2 products.
void foldFloatProducts(OpBuilder &b, Location loc, const GemvProblem &p, const GemvFrame &f,
                       const ChunksInFlight &work, MutableArrayRef<Value> acc);
void foldHalfProducts(OpBuilder &b, Location loc, const GemvProblem &p, const GemvFrame &f,
                      const ChunksInFlight &work, MutableArrayRef<Value> acc);

/// The 16-bit pairs of the f16x2 and tensor-core paths: a 16-byte chunk's
/// 32 4-bit codes of one row as four vector<8 x half> "pairs" q = 0..3 (half:
/// f16, or bf16 for bf16 activations on tensor cores), element
/// 2j + h of pair q holding code widening::pairCode(order, j, q, h) (packed
/// codes: 8j + 4h + q, word j's codes q and q + 4; AWQ's order: 8j + 2q + h),
/// and the chunk's activations in the same order.
struct HalfPairs {
  OpBuilder &b;
  Location loc;
  const GemvProblem &p;
  Type half, i32; // half: GemvProblem::halfType
  VectorType words, halves;
  arith::FastMathFlagsAttr contract;

  HalfPairs(OpBuilder &b, Location loc, const GemvProblem &p)
      : b(b), loc(loc), p(p), half(p.halfType()),
        i32(b.getI32Type()), words(VectorType::get({4}, i32)),
        halves(VectorType::get({8}, half)),
        contract(arith::FastMathFlagsAttr::get(b.getContext(),
                                               arith::FastMathFlags::contract)) {}

  Value constant(double v) {
    APFloat value(v);
    bool inexact;
    value.convert(cast<FloatType>(half).getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &inexact);
    return arith::ConstantFloatOp::create(b, loc, cast<FloatType>(half), value).getResult();
  }
  Value splatWords(uint32_t v) {
    return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(words, APInt(32, v)));
  }
  Value splatHalves(Value scalar) { return vector::BroadcastOp::create(b, loc, halves, scalar); }

  /// Signed codes with their sign bits flipped are unsigned with a bias of 8.
  double bias() const { return p.unsignedCodes ? 0.0 : 8.0; }
  /// The power of two whose last mantissa bits a code is OR-ed into: each
  /// step of 1 is one unit in the last place (f16: 10 bits, bf16: 7).
  double magic() const { return half.isBF16() ? 128.0 : 1024.0; }

  /// magic + bias + zero point (`zero` as read from memory, or null), in
  /// the halves' type: what the codes' halves magic + code are offset by.
  Value offset(Value zero) {
    if (!zero)
      return constant(magic() + bias());
    Value value = codeValue(b, loc, zero, p.codeBits, p.unsignedCodes);
    return arith::TruncFOp::create(
        b, loc, half, arith::AddFOp::create(b, loc, f32Const(b, loc, magic() + bias()), value));
  }

  /// The chunk `w` (vector<4xi32>) of one row as pairs of code - bias - zero
  /// point, exactly, times `scale` (of the halves' type) unless it is null. Pair q holds
  /// codes q and q + 4 of each word (nibble q of its two half-words). f16:
  /// `(w & 0x000F000F) | 0x64006400` holds the halves 1024 + code of codes
  /// 0 and 4, masked with 0x00F000F0 1024 + 16 x code of codes 1 and 5; the
  /// word shifted by 8, codes 2, 6 and 3, 7. One f16x2 subtract (or FMA,
  /// for the x16 pairs) removes 1024, the bias and the zero point. bf16 has
  /// no room for 16 x code below its exponent: each nibble is shifted down
  /// and OR-ed into 128.0 (0x4300), then one bf16x2 subtract. Signed codes
  /// have their sign bits flipped (code + 8, the bias) by the same lop3:
  /// `(w & mask) ^ (magic | sign bits)`.
  SmallVector<Value> weights(Value w, Value offset, Value scale) {
    if (p.signMagnitudeCodes())
      return signMagnitudeWeights(w, scale);
    bool bf16 = half.isBF16();
    auto shiftedBy = [&](int64_t bits) {
      return arith::ShRUIOp::create(b, loc, w, splatWords(bits)).getResult();
    };
    Value byteShifted, high, sixteenth; // f16 only
    if (!bf16)
      byteShifted = shiftedBy(8);
    Value low = splatHalves(offset);
    if (!bf16) {
      high = splatHalves(arith::SubFOp::create(b, loc, offset, constant(960.0)));
      sixteenth = splatHalves(constant(1.0 / 16));
    }
    Value scales = scale ? splatHalves(scale) : Value();
    SmallVector<Value> pairs;
    for (int64_t q = 0; q < 4; ++q) {
      // Nibble q of each half-word: bf16 shifts it down; f16 masks nibbles
      // 0 and 1 in place, 2 and 3 in the word shifted by a byte.
      Value source = w;
      if (bf16 && q)
        source = shiftedBy(4 * q);
      else if (!bf16 && q >= 2)
        source = byteShifted;
      bool sixteenfold = !bf16 && q % 2;
      uint32_t mask = sixteenfold ? 0x00F000F0u : 0x000F000Fu;
      uint32_t signBits = p.unsignedCodes ? 0 : mask & 0x00880088u;
      Value bits = ub::PoisonOp::create(b, loc, words);
      for (int64_t j = 0; j < 4; ++j) {
        Value word = vector::ExtractOp::create(b, loc, source, ArrayRef<int64_t>{j});
        word = lop3(b, loc, word, mask, (bf16 ? 0x43004300u : 0x64006400u) | signBits, kLop3AndXor);
        bits = vector::InsertOp::create(b, loc, word, bits, ArrayRef<int64_t>{j});
      }
      Value value = vector::BitCastOp::create(b, loc, halves, bits);
      if (sixteenfold)
        value = arith::SubFOp::create(
            b, loc, arith::MulFOp::create(b, loc, value, sixteenth, contract), high, contract);
      else
        value = arith::SubFOp::create(b, loc, value, low);
      pairs.push_back(scales ? arith::MulFOp::create(b, loc, value, scales).getResult()
                             : value);
    }
    return pairs;
  }

  /// A chunk's 32 activations (its 16-byte vectors as loaded) in the pairs'
  /// order. Packed codes: word j of pair q takes halves q % 2 of words q / 2
  /// and 2 + q / 2 of the j-th vector (prmt, which the compilers keep once
  /// for all rows where they would duplicate vector shuffles). AWQ's order:
  /// word q of the j-th vector as loaded; the half-fragment order: word j
  /// of the q-th.
  SmallVector<Value> activations(ArrayRef<Value> vectors) {
    if (p.quantizedInput)
      return widenedActivations(vectors);
    SmallVector<SmallVector<Value>> x;
    for (Value v : vectors)
      x.push_back(vectorWords(b, loc, v));
    SmallVector<Value> pairs;
    for (int64_t q = 0; q < 4; ++q) {
      Value select = arith::ConstantIntOp::create(b, loc, i32, q % 2 ? 0x7632 : 0x5410);
      Value pair = ub::PoisonOp::create(b, loc, words);
      for (int64_t j = 0; j < 4; ++j) {
        int64_t loaded = widening::pairActivationWord(p.codeOrder, j, q);
        Value word = p.interleavedCodes()
                         ? x[loaded / 4][loaded % 4]
                         : NVVM::PermuteOp::create(b, loc, i32, x[j][q / 2], x[j][2 + q / 2],
                                                   select, NVVM::PermuteMode::DEFAULT)
                               .getResult();
        pair = vector::InsertOp::create(b, loc, word, pair, ArrayRef<int64_t>{j});
      }
      pairs.push_back(vector::BitCastOp::create(b, loc, halves, pair));
    }
    return pairs;
  }

  /// A chunk's 32 int8 or e4m3 activations (two 16-byte vectors) as f16
  /// pairs in the pairs' order, exactly. Word j of pair q holds codes 8j +
  /// q and 8j + q + 4 (packed) or 8j + 2q and the next (AWQ's order), bytes
  /// of the vectors' words 2j and 2j + 1, or 2j + 8q and the next
  /// (half-fragment order), bytes 2 (j % 2) and the next of word 2q + j / 2;
  /// one prmt gathers them. int8: into
  /// the low bytes of two halves whose high bytes are 0x64 with the sign
  /// bit flipped (1024 + 128 + x), less 1152 in one f16x2 subtract. e4m3:
  /// into one 16-bit pair for cvt.rn.f16x2.e4m3x2.
  SmallVector<Value> widenedActivations(ArrayRef<Value> vectors) {
    SmallVector<Value> x;
    for (Value v : vectors)
      llvm::append_range(x, vectorWords(b, loc, v));
    bool fp8 = isa<Float8E4M3FNType>(p.actType);
    SmallVector<Value> pairs;
    for (int64_t q = 0; q < 4; ++q) {
      Value pair = ub::PoisonOp::create(b, loc, words);
      for (int64_t j = 0; j < 4; ++j) {
        // e4m3: the two bytes as one 16-bit pair; int8: into bytes 0 and 2
        // (bytes 1 and 3 are masked off).
        widening::ByteGather g = widening::pairBytes(p.codeOrder, j, q, /*spread=*/!fp8);
        Value gathered = NVVM::PermuteOp::create(
            b, loc, i32, x[g.lo], x[g.hi], arith::ConstantIntOp::create(b, loc, i32, g.select),
            NVVM::PermuteMode::DEFAULT);
        Value word = fp8 ? e4m3PairAsHalves(gathered)
                         : lop3(b, loc, gathered, 0x00FF00FFu, 0x64806480u, kLop3AndXor);
        pair = vector::InsertOp::create(b, loc, word, pair, ArrayRef<int64_t>{j});
      }
      Value values = vector::BitCastOp::create(b, loc, halves, pair);
      if (!fp8)
        values = arith::SubFOp::create(b, loc, values, splatHalves(constant(1152.0)));
      pairs.push_back(values);
    }
    return pairs;
  }

  /// The e4m3 bytes 0 and 1 of the i32 `bytes` as an f16x2 word
  /// (cvt.rn.f16x2.e4m3x2, exact).
  Value e4m3PairAsHalves(Value bytes) {
    Value codes = LLVM::BitcastOp::create(b, loc, VectorType::get({2}, b.getI8Type()),
                                          arith::TruncIOp::create(b, loc, b.getI16Type(), bytes));
    Value converted =
        NVVM::ConvertF8x2ToF16x2Op::create(b, loc, VectorType::get({2}, half), codes,
                                           /*relu=*/false, Float8E4M3FNType::get(b.getContext()));
    return vector::ExtractOp::create(
        b, loc, vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), converted),
        ArrayRef<int64_t>{0});
  }

  /// A chunk `w` of sign_magnitude codes as f16 pairs of code / 512, exactly
  /// (times `scale` unless it is null): word j's two registers of e4m3 bytes
  /// (a mask, and a rotate and a mask: Emitter::signMagnitudeE4m3), pair q
  /// converting bytes 2 (q % 2) and the next of register q / 2
  /// (widening::pairCode). No offsets: the codes are signed values already;
  /// the stored sums are multiplied by 512 (quant::kSignMagnitudeScale).
  SmallVector<Value> signMagnitudeWeights(Value w, Value scale) {
    Emitter e{b, loc};
    SmallVector<Value> registers[2];
    for (int64_t j = 0; j < 4; ++j) {
      Value word = vector::ExtractOp::create(b, loc, w, ArrayRef<int64_t>{j});
      for (bool high : {false, true})
        registers[high].push_back(e.signMagnitudeE4m3(word, high));
    }
    Value scales = scale ? splatHalves(scale) : Value();
    SmallVector<Value> pairs;
    for (int64_t q = 0; q < 4; ++q) {
      Value pair = ub::PoisonOp::create(b, loc, words);
      for (int64_t j = 0; j < 4; ++j) {
        Value bytes = registers[q / 2][j];
        if (q % 2)
          bytes = arith::ShRUIOp::create(b, loc, bytes, e.i32(16));
        pair =
            vector::InsertOp::create(b, loc, e4m3PairAsHalves(bytes), pair, ArrayRef<int64_t>{j});
      }
      Value value = vector::BitCastOp::create(b, loc, halves, pair);
      pairs.push_back(scales ? arith::MulFOp::create(b, loc, value, scales).getResult() : value);
    }
    return pairs;
  }
};

/// The tma_gemv kernel (TmaGemvKernel.cpp).
::mlir::gpu::GPUFuncOp buildTmaKernel(OpBuilder &b, Location loc, StringRef name,
                                      const GemvProblem &p, ChunkFold fold);

} // namespace mlir::lowbit::gemv

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_GEMV_H
