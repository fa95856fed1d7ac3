//===- LowBitEnums.td - lowbit enums -------------------------*- tablegen -*-===//
#ifndef LOWBIT_ENUMS_TD
#define LOWBIT_ENUMS_TD

include "mlir/IR/EnumAttr.td"

def LowBit_Signedness : I32EnumAttr<"Signedness",
    "how an integer code is read", [
      I32EnumAttrCase<"Signed", 0, "signed">,
      I32EnumAttrCase<"Unsigned", 1, "unsigned">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

def LowBit_ZeroPointKind : I32EnumAttr<"ZeroPointKind",
    "whether a scheme is symmetric or carries zero points", [
      I32EnumAttrCase<"None", 0, "none">,
      I32EnumAttrCase<"Integer", 1, "int">,
      I32EnumAttrCase<"Float", 2, "float">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

def LowBit_Granularity : I32EnumAttr<"Granularity",
    "which elements share one scale", [
      I32EnumAttrCase<"PerTensor", 0, "per_tensor">,
      I32EnumAttrCase<"PerChannel", 1, "per_channel">,
      I32EnumAttrCase<"PerGroup", 2, "per_group">,
      I32EnumAttrCase<"PerBlock", 3, "per_block">,
      I32EnumAttrCase<"MXBlock", 4, "mx_block">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

def LowBit_LayoutKind : I32EnumAttr<"LayoutKind",
    "how packed codes sit in memory", [
      I32EnumAttrCase<"Packed", 0, "packed">,
      I32EnumAttrCase<"MMAFragment", 1, "mma_fragment">,
      I32EnumAttrCase<"Interleave", 2, "interleave">,
      I32EnumAttrCase<"BitPlanes", 3, "bit_planes">,
      I32EnumAttrCase<"Split4_2", 4, "split_4_2">,
      I32EnumAttrCase<"Mixed4_8", 5, "mixed_4_8">,
      I32EnumAttrCase<"ChannelPermute", 6, "channel_permute">,
      I32EnumAttrCase<"SignMagnitude", 7, "sign_magnitude">]> {
  let cppNamespace = "::mlir::lowbit";
  let genSpecializedAttr = 0;
}

#endif // LOWBIT_ENUMS_TD
