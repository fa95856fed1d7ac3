//===- Passes.td - lowbit conversion passes -------------------*- tablegen -*-===//
#ifndef LOWBIT_CONVERSION_PASSES_TD
#define LOWBIT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertLowBitToLinalgPass : Pass<"convert-lowbit-to-linalg", "::mlir::ModuleOp"> {
  let summary = "Lower every lowbit op to its reference semantics in linalg";
  let description = [{
    The reference lowering: each `lowbit` op becomes `linalg.generic` ops over
    `arith`, `math` and `tensor`, computing in f32 exactly what the op's
    definition says. It is the project's numerics oracle: simple, complete and
    independent of any kernel strategy.

    - Layout encodings are dropped: a layout changes where codes sit, not which
      codes there are, so `pack`, `unpack` and `relayout` are identities on
      logical codes (a `channel_permute` permutation gathers channels).
    - `!lowbit.bipolar<b>` becomes `i<b>` holding the bits `x_i`.
    - Small-float, bipolar and codebook codes are decoded through a table
      built with LLVM's APFloat; quantizing to them picks the nearest finite
      table entry (ties to the even code), saturating.
    - Integer codes quantize as `clamp(roundeven(x / s + z))`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def LowBitLowerMatmulToGPUPass
    : Pass<"lowbit-lower-matmul-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Generate a GPU kernel for every configured lowbit.matmul, "
                "lowbit.bitplane_matmul and lowbit.lut_matmul";
  let description = [{
    Reads each `lowbit.matmul`'s, `lowbit.bitplane_matmul`'s and
    `lowbit.lut_matmul`'s `#lowbit_gpu.config` and generates its kernel
    into `gpu.module @lowbit_kernels` (gpu, scf, memref and arith ops with
    bare-pointer parameters: input, weight bytes, weight scales, optional
    weight zero points, result). The op gets a `lowbit_gpu.kernel` attribute
    with the kernel's name, grid, block and parameter roles.

    Strategies generated:
    - `splitk_gemv` (decode): warps own output rows, lanes stream the row's
      weight with 16-byte loads and dequantize 4-bit (packed) or 8-bit codes
      in registers without int-to-float conversions, for all M tokens at
      once (4-bit codes with f16 activations and scales as f16x2 pairs when
      `mma_type = f16`); shuffles reduce; K splits on grid.y meet through
      f32 atomics.
      Rows that are not whole 16-byte chunks take a byte-at-a-time variant.
    - `tma_gemv` (decode, sm_90 and newer): the weights streamed by TMA
      rather than held in registers: a producer warp copies 512 bytes of
      each of the block's rows per K tile into an mbarrier ring of `stages`
      slots, and four consumer warps read them from shared memory. With
      `mma = [1, 1, 1]` they form the same products as `splitk_gemv` (warp
      tile N rows each, block tile N = 4 x that); with `mma = [16, 8, 16]`
      (f16 or bf16 activations, up to 16 tokens, 4-bit integer codes) they
      run mma.sync m16n8k16 on warp tile N rows per warp (16, 32 or 64),
      the tokens as N, the warps of a block's row group splitting each K
      tile.
    - `mma_sync` (prefill): block and warp tiles from the config, a
      `cp.async` ring of `stages` K tiles in dynamic shared memory (swizzled
      64-byte rows, activation rows past M zero-filled), `ldmatrix.x4`
      fragments, weights dequantized to f16/bf16 or widened from 4 to 8 bits
      in registers, `mma.sync` on f16/bf16, s8 and e4m3, and an epilogue with
      per-token x per-channel scales. N and K must be multiples of the block
      tile.
    - `wgmma` (sm_90a; int8 x int8, e4m3 x e4m3): a producer warpgroup
      streams K tiles with TMA into an mbarrier ring of swizzled 128-byte
      rows; one or two consumer warpgroups run `wgmma.mma_async` from shared
      memory (`setmaxnreg` moves registers to them); FP8 sums are promoted
      to f32 every K tile. The two tensor maps are kernel parameters after
      the pointers (see `lowbit-grid-constant-tensor-maps`). Any M, N and K
      (K a multiple of 16). Persistent configs launch one block per SM of the
      target recorded on the module. Packed 4-bit weights with int8, e4m3,
      f16 or bf16 activations (explicit configs) swap the weights in as
      wgmma's register A operand, widened or dequantized in registers.
    - `bitplane` (`lowbit.bitplane_matmul`, any target): bit planes staged
      like `mma_sync` (rows of K bits padded to 16 bytes; `ldmatrix.x4`), one
      `mma.sync` m16n8k256 `.and.popc` per plane pair into s32 sums of
      weight 2^(i+j), row popcounts from the same fragments, and the bipolar
      correction in the epilogue. Any M, N and K.
    - `lut` (`lowbit.lut_matmul`): a GEMV on CUDA cores, warps own weight
      rows, lanes walk the row's groups and look every token's table up
      (symmetric tables through the complement); up to 64 tokens.
    Other strategies and formats are rejected with a message.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::ub::UBDialect"
  ];
}

def LowBitGridConstantTensorMapsPass
    : Pass<"lowbit-grid-constant-tensor-maps", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Pass the wgmma kernels' TMA tensor maps by value";
  let description = [{
    Runs after the kernels are lowered to `llvm.func`. Arguments named by a
    kernel's `lowbit_gpu.tensor_map_args` (which the GPU-to-NVVM lowering
    keeps, unlike argument attributes) become 128-byte, 64-byte aligned
    `byval` parameters marked `nvvm.grid_constant`: the host passes the
    CUtensorMap in the parameter space and TMA reads it from there.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect", "::mlir::NVVM::NVVMDialect"];
}

#endif // LOWBIT_CONVERSION_PASSES_TD
