//===- LowBitGPUBase.td - lowbit_gpu dialect ------------------*- tablegen -*-===//
#ifndef LOWBITGPU_BASE_TD
#define LOWBITGPU_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def LowBitGPU_Dialect : Dialect {
  let name = "lowbit_gpu";
  let cppNamespace = "::mlir::lowbit::gpu";
  let summary = "Kernel-level description of low-bit GPU kernels";
  let description = [{
    `lowbit_gpu` says *how* a `lowbit` operator runs on an NVIDIA GPU: the
    target (`#lowbit_gpu.target`), and the kernel strategy with its tiles,
    pipeline stages and split-K (`#lowbit_gpu.config`), which
    `lowbit-select-kernel-config` chooses and the autotuner rewrites.
  }];
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    /// Name of the discardable attribute holding a kernel config on an op.
    static constexpr ::llvm::StringLiteral kConfigAttrName = "lowbit_gpu.config";
    /// Name of the discardable attribute holding the target on a module.
    static constexpr ::llvm::StringLiteral kTargetAttrName = "lowbit_gpu.target";
    /// Name of the unit attribute on a module whose kernels will be launched
    /// programmatically (chains of dependent launches): the config selector
    /// picks what was measured fastest that way.
    static constexpr ::llvm::StringLiteral kProgrammaticLaunchAttrName =
        "lowbit_gpu.programmatic_launch";
  }];
}

class LowBitGPU_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<LowBitGPU_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def LowBitGPU_Strategy : I32EnumAttr<"Strategy", "kernel strategy", [
    I32EnumAttrCase<"MmaSync", 0, "mma_sync">,
    I32EnumAttrCase<"Wgmma", 1, "wgmma">,
    I32EnumAttrCase<"SplitKGemv", 2, "splitk_gemv">,
    I32EnumAttrCase<"Bitplane", 3, "bitplane">,
    I32EnumAttrCase<"Lut", 4, "lut">,
    I32EnumAttrCase<"TmaGemv", 5, "tma_gemv">]> {
  let cppNamespace = "::mlir::lowbit::gpu";
  let genSpecializedAttr = 0;
}

#endif // LOWBITGPU_BASE_TD
