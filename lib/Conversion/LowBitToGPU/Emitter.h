//===- Emitter.h - index and integer arithmetic for kernel generators -----===//
//
// The kernel generators build long runs of index and bit arithmetic; these
// helpers keep that readable. Included by the generators only.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_EMITTER_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_EMITTER_H

#include "LowBit/IR/LowBitOps.h"
#include "lowbit/Conversion/RegisterWidening.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"

#include <string>

namespace mlir::lowbit {

/// `type` as the IR prints it, for diagnostics.
inline std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

/// Appends a `gpu.func` kernel `name` taking `params`, launched with
/// `threads` threads per block, and leaves the builder at the start of its
/// body.
inline ::mlir::gpu::GPUFuncOp beginKernel(OpBuilder &b, Location loc, StringRef name,
                                          ArrayRef<Type> params, int64_t threads) {
  auto func = ::mlir::gpu::GPUFuncOp::create(
      b, loc, name, FunctionType::get(b.getContext(), params, {}));
  func->setAttr(::mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  func.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr({int32_t(threads), 1, 1}));
  b.setInsertionPointToStart(&func.getBody().front());
  return func;
}

/// The block's dynamic shared memory as a memref of bytes.
inline Value dynamicSharedBytes(OpBuilder &b, Location loc) {
  auto workgroup = ::mlir::gpu::AddressSpaceAttr::get(
      b.getContext(), ::mlir::gpu::GPUDialect::getWorkgroupAddressSpace());
  return ::mlir::gpu::DynamicSharedMemoryOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                              MemRefLayoutAttrInterface{}, workgroup));
}

/// `table` (the values of codes or of 8-bit scales) copied into the block's
/// dynamic shared memory `shared` at `byteOffset` (a multiple of 4; the
/// launch's dynamic size must count the 4 bytes per entry, so that every
/// shared-memory check and the driver's opt-in past 48 KiB see them) from a
/// constant global `<kernel>_<what>` by the block's first threads; a barrier
/// makes it visible before it is read. Returns the copy as f32s.
inline Value stageCodeTable(OpBuilder &b, Location loc, ::mlir::gpu::GPUFuncOp func,
                            ArrayRef<float> table, Value tid, int64_t threads, Value shared,
                            int64_t byteOffset, StringRef what = "code_values") {
  auto entries = int64_t(table.size());
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  Value copy = memref::ViewOp::create(
      b, loc,
      MemRefType::get({entries}, b.getF32Type(), MemRefLayoutAttrInterface{},
                      cast<MemRefType>(shared.getType()).getMemorySpace()),
      shared, index(byteOffset), ValueRange{});
  // One constant global per kernel, beside it in the gpu.module.
  auto globalType = MemRefType::get({entries}, b.getF32Type());
  std::string symbol = (func.getName() + "_" + what).str();
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(func);
    memref::GlobalOp::create(
        b, loc, symbol, b.getStringAttr("private"), globalType,
        DenseElementsAttr::get(RankedTensorType::get({entries}, b.getF32Type()), table),
        /*constant=*/true, /*alignment=*/nullptr);
  }
  Value global = memref::GetGlobalOp::create(b, loc, globalType, symbol);
  for (int64_t first = 0; first < entries; first += threads) {
    Value i = arith::AddIOp::create(b, loc, tid, index(first));
    auto inside = scf::IfOp::create(
        b, loc, arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i, index(entries)),
        /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&inside.getThenRegion().front());
    memref::StoreOp::create(b, loc, memref::LoadOp::create(b, loc, global, ValueRange{i}),
                            copy, ValueRange{i});
  }
  ::mlir::gpu::BarrierOp::create(b, loc);
  return copy;
}

/// The value of table code `code` (an integer of any width, zero-extended).
inline Value tableValue(OpBuilder &b, Location loc, Value table, Value code) {
  Value i = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), code);
  return memref::LoadOp::create(b, loc, table, ValueRange{i});
}

/// `value` (integer or float) summed over each aligned group of `lanes`
/// lanes (a power of two up to the warp's 32) by xor shuffles; every lane
/// gets its group's sum. All lanes of the warp must run it.
inline Value sumOverLanes(OpBuilder &b, Location loc, Value value, int32_t lanes) {
  for (int32_t offset = lanes / 2; offset >= 1; offset /= 2) {
    Value other = ::mlir::gpu::ShuffleOp::create(b, loc, value, offset, /*width=*/32,
                                                 ::mlir::gpu::ShuffleMode::XOR)
                      .getShuffleResult();
    value = isa<FloatType>(value.getType())
                ? arith::AddFOp::create(b, loc, value, other).getResult()
                : arith::AddIOp::create(b, loc, value, other).getResult();
  }
  return value;
}

/// `lop3.b32` of the i32 `a` with the constants `b` and `c` under the truth
/// table `lut`: one instruction for what would be two with two constants
/// (ptxas fuses `(a & b) | c` only when one operand is a register).
inline Value lop3(OpBuilder &b, Location loc, Value a, uint32_t bConst, uint32_t cConst,
                  uint8_t lut) {
  std::string text = "lop3.b32 $0, $1, " + std::to_string(bConst) + ", " +
                     std::to_string(cConst) + ", " + std::to_string(lut) + ";";
  return LLVM::InlineAsmOp::create(b, loc, b.getI32Type(), ValueRange{a},
                                   b.getStringAttr(text), b.getStringAttr("=r,r"),
                                   UnitAttr(), UnitAttr(), LLVM::TailCallKindAttr(),
                                   LLVM::AsmDialectAttr(), ArrayAttr())
      .getRes();
}

/// lop3's truth table for `(a & b) ^ c`.
constexpr uint8_t kLop3AndXor = (0xF0 & 0xCC) ^ 0xAA;

/// Index and integer arithmetic with less noise.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  /// A 32-bit constant; bit patterns above INT32_MAX (0xF8F8F8F8) wrap.
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), static_cast<int32_t>(v));
  }
  Value i64(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
  }
  Value f32(double v) {
    return arith::ConstantFloatOp::create(b, loc, b.getF32Type(), APFloat(float(v)));
  }
  Value add(Value a, Value c) { return arith::AddIOp::create(b, loc, a, c); }
  Value add(Value a, int64_t c) { return c ? add(a, idx(c)) : a; }
  Value mul(Value a, int64_t c) { return arith::MulIOp::create(b, loc, a, idx(c)); }
  Value div(Value a, int64_t c) { return arith::DivUIOp::create(b, loc, a, idx(c)); }
  Value rem(Value a, int64_t c) { return arith::RemUIOp::create(b, loc, a, idx(c)); }
  Value lt(Value a, int64_t c) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, a, idx(c));
  }
  Value eq(Value a, int64_t c) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, a, idx(c));
  }
  Value toF32(Value v) {
    return v.getType().isF32() ? v : arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  }
  Value shl(Value v, int64_t s) { return arith::ShLIOp::create(b, loc, v, i32(s)); }
  Value shr(Value v, int64_t s) { return arith::ShRUIOp::create(b, loc, v, i32(s)); }
  Value andi(Value v, int64_t m) { return arith::AndIOp::create(b, loc, v, i32(m)); }
  Value ori(Value a, Value c) { return arith::OrIOp::create(b, loc, a, c); }
  /// An index as an i32 (coordinates, counts) or i64.
  Value toI32(Value index) {
    return arith::IndexCastUIOp::create(b, loc, b.getI32Type(), index);
  }
  Value toI64(Value index) {
    return arith::IndexCastUIOp::create(b, loc, b.getI64Type(), index);
  }
  /// `prmt.b32`: byte i of the result is byte (nibble i of `select`) of
  /// {hi, lo} (0-3 from `lo`), or that byte's sign replicated where the
  /// nibble's bit 3 is set.
  Value permute(Value lo, Value hi, Value select) {
    return NVVM::PermuteOp::create(b, loc, b.getI32Type(), lo, hi, select,
                                   NVVM::PermuteMode::DEFAULT);
  }
  Value permute(int64_t lo, int64_t hi, Value select) {
    return permute(i32(lo), i32(hi), select);
  }
  /// 0xFF in byte i where packed 4-bit code i (the low 16 bits of `word`)
  /// is negative, else 0: prmt's sign mode replicates bit 7 of a byte, and
  /// the sign bits 3, 7, 11, 15 are bit 7 of bytes 0 and 1 of `word << 4`
  /// and of `word`.
  Value signMask(Value word) {
    return permute(shl(word, 4), word, i32(widening::kSignMaskSelect));
  }
  /// Four packed signed 4-bit codes (the low 16 bits of the i32 `word`, K
  /// order from the lowest nibble) widened to four s8 in an i32, K order
  /// from the lowest byte: each code's low three bits look up their value
  /// in a table of 0..7 (prmt), negative codes then OR in 0xF8
  /// (widening::s4ToS8 is the same on the host).
  Value widenS4ToS8(Value word) {
    Value magnitude = permute(widening::kS8Low[0], widening::kS8Low[1], andi(word, 0x7777));
    return ori(magnitude, andi(signMask(word), 0xF8F8F8F8));
  }
  /// Register `high` (0: codes 4q .. 4q + 3 of a 32-code group, 1: 16 + 4q
  /// ..) of word q of sign_magnitude weights: the e4m3 bytes of code / 512,
  /// a mask of the word or of the word rotated right by 4 (a funnel shift,
  /// which LLVM emits as `shf.l.wrap` by 28). On the host:
  /// widening::signMagnitudeE4m3, checked against the e4m3 decoder.
  Value signMagnitudeE4m3(Value word, bool high) {
    if (high)
      word = LLVM::FshrOp::create(b, loc, word, word, i32(quant::kSignMagnitudeRotation));
    return andi(word, quant::kSignMagnitudeMask);
  }
};

/// Builds `then` under `cond`.
inline void ifThen(Emitter &e, Value cond, function_ref<void()> then) {
  auto guard = scf::IfOp::create(e.b, e.loc, cond, /*withElse=*/false);
  OpBuilder::InsertionGuard insertion(e.b);
  e.b.setInsertionPointToStart(&guard.getThenRegion().front());
  then();
}

/// Waits until the mbarrier at `barrier` has completed the phase of parity
/// `parity` (0 or 1).
inline void waitParity(Emitter &e, Value barrier, Value parity) {
  NVVM::MBarrierTryWaitParityOp::create(e.b, e.loc, barrier, e.toI32(parity),
                                        e.i32(0x989680));
}

/// The PTX `text` as an instruction with side effects (kept in place and
/// order): its first result, or null without results.
inline Value inlinePtx(Emitter &e, StringRef text, StringRef constraints, TypeRange results,
                       ValueRange operands) {
  auto op = LLVM::InlineAsmOp::create(
      e.b, e.loc, results, operands, e.b.getStringAttr(text), e.b.getStringAttr(constraints),
      /*has_side_effects=*/e.b.getUnitAttr(), UnitAttr(), LLVM::TailCallKindAttr(),
      LLVM::AsmDialectAttr(), ArrayAttr());
  return results.empty() ? Value() : op.getResult(0);
}

/// Orders this thread's accesses to shared memory through the generic proxy
/// (ld.shared, st.shared) against later ones through the async proxy (TMA,
/// wgmma): the fence a consumer issues before it releases a ring slot it
/// read with ld.shared (without it, on an H200, refills overtook such
/// reads), and before a TMA store reads what it wrote with st.shared.
inline void fenceProxyAsyncShared(Emitter &e) {
  MLIRContext *ctx = e.b.getContext();
  NVVM::FenceProxyOp::create(e.b, e.loc,
                             NVVM::ProxyKindAttr::get(ctx, NVVM::ProxyKind::async_shared),
                             NVVM::SharedSpaceAttr::get(ctx, NVVM::SharedSpace::shared_cta));
}

/// Programmatic dependent launch (sm_90; both instructions are no-ops
/// without one): waits until the grid before this one has completed and its
/// writes are visible, then lets the next grid in the stream launch its
/// blocks once every block of this one is past here or has exited, so at
/// most one grid waits ahead. Every block must run it unconditionally, and
/// code before it may read only what no kernel writes (weights, scales) and
/// write nothing. The wait is inline PTX with a memory clobber: LLVM's
/// intrinsic is declared as touching no memory, which would let loads move
/// above it.
inline void awaitPreviousGrid(Emitter &e) {
  inlinePtx(e, "griddepcontrol.wait;", "~{memory}", TypeRange(), ValueRange());
  NVVM::GriddepcontrolOp::create(e.b, e.loc, NVVM::GridDepActionKind::launch_dependents);
}

/// An address (index) of the shared window as an LLVM pointer to it.
inline Value sharedPointer(Emitter &e, Value address) {
  return LLVM::IntToPtrOp::create(e.b, e.loc, LLVM::LLVMPointerType::get(e.b.getContext(), 3),
                                  e.toI64(address));
}

/// NVPTX's address space of global memory.
constexpr unsigned kGlobalAddressSpace = 1;

/// NVPTX's address space of the cluster's shared window (shared::cluster).
constexpr unsigned kSharedClusterAddressSpace = 7;

/// The same address in the cluster's shared window, as TMA writes it.
inline Value clusterPointer(Emitter &e, Value address) {
  return LLVM::AddrSpaceCastOp::create(
      e.b, e.loc, LLVM::LLVMPointerType::get(e.b.getContext(), kSharedClusterAddressSpace),
      sharedPointer(e, address));
}

} // namespace mlir::lowbit

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_EMITTER_H
