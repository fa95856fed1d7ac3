//===- Emitter.h - index and integer arithmetic for kernel generators -----===//
//
// The kernel generators build long runs of index and bit arithmetic; these
// helpers keep that readable. Included by the generators only.
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_LIB_CONVERSION_LOWBITTOGPU_EMITTER_H
#define LOWBIT_LIB_CONVERSION_LOWBITTOGPU_EMITTER_H

#include "LowBit/IR/LowBitOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

#include <string>

namespace mlir::lowbit {

/// `type` as the IR prints it, for diagnostics.
inline std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream(text) << type;
  return text;
}

/// Per-token (axis 0) or per-tensor: the activation scale schemes the
/// tensor-core epilogues apply.
inline bool isPerTokenOrTensor(QuantSchemeAttr scheme) {
  return scheme.getGranularity() == Granularity::PerTensor ||
         (scheme.getGranularity() == Granularity::PerChannel && scheme.getAxis() == 0);
}

/// Index and integer arithmetic with less noise.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value i32(int64_t v) {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
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
  /// Four packed signed 4-bit codes (the low 16 bits of the i32 `word`, K
  /// order from the lowest nibble) widened to four s8 in an i32, K order
  /// from the lowest byte.
  Value widenS4ToS8(Value word) {
    Value lo = andi(word, 0x0F0F);          // codes 0 and 2
    Value hi = andi(shr(word, 4), 0x0F0F); // codes 1 and 3
    auto spread = [&](Value v) { // bits 8..11 -> 16..19
      return ori(andi(v, 0xF), shl(andi(v, 0xF00), 8));
    };
    Value v = ori(spread(lo), shl(spread(hi), 8));
    // Sign-extend each byte: a set bit 3 becomes 0xF0 (0x08 * 0x1E), no carry.
    Value signs = arith::MulIOp::create(b, loc, andi(v, 0x08080808), i32(0x1E));
    return ori(v, signs);
  }
};

} // namespace mlir::lowbit

#endif // LOWBIT_LIB_CONVERSION_LOWBITTOGPU_EMITTER_H
