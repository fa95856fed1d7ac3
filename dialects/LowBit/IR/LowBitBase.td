//===- LowBitBase.td - lowbit dialect definition ------------*- tablegen -*-===//
#ifndef LOWBIT_BASE_TD
#define LOWBIT_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def LowBit_Dialect : Dialect {
  let name = "lowbit";
  let cppNamespace = "::mlir::lowbit";
  let summary = "Tensor-level semantics of low-bit LLM operators";
  let description = [{
    The `lowbit` dialect says *what* a low-bit operator computes: how real
    values are quantized into integer, floating-point, bipolar or codebook
    codes (`#lowbit.quant`), how those codes sit in memory (`#lowbit.layout`,
    used as a tensor encoding), and the operators over them: quantize,
    dequantize, pack, unpack, relayout, matmul, bit-plane and lookup-table
    products. Every op's meaning is fixed by its reference lowering; GPU kernels
    are correct when they agree with it.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let usePropertiesForAttributes = 1;
  let hasCanonicalizer = 0;
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class LowBit_Op<string mnemonic, list<Trait> traits = []>
    : Op<LowBit_Dialect, mnemonic, traits>;

class LowBit_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<LowBit_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

class LowBit_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<LowBit_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

// `[a, b, c]`, optional (empty when absent).
class LowBit_IntListParameter<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = "::mlir::lowbit::parseIntList($_parser)";
  let printer = "::mlir::lowbit::printIntList($_printer, $_self)";
}

// An enum parameter that may be left out and then takes `default`.
class LowBit_DefaultEnumParameter<EnumAttrInfo info, string default>
    : EnumParameter<info> {
  let defaultValue = info.cppNamespace # "::" # info.className # "::" # default;
}

#endif // LOWBIT_BASE_TD
