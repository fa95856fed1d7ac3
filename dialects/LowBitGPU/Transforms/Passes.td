//===- Passes.td - lowbit_gpu passes --------------------------*- tablegen -*-===//
#ifndef LOWBITGPU_PASSES_TD
#define LOWBITGPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def LowBitSelectKernelConfigPass
    : Pass<"lowbit-select-kernel-config", "::mlir::ModuleOp"> {
  let summary = "Attach a default #lowbit_gpu.config to every lowbit product";
  let description = [{
    For each `lowbit.matmul`, `lowbit.bitplane_matmul` and `lowbit.lut_matmul`
    without a `lowbit_gpu.config` attribute, picks the kernel strategy and its
    tiles for the target chip and attaches them:

    - decode shapes (static M <= 16, real activations): `splitk_gemv` with 32-row tiles and
      K-splits until there are about two blocks per SM for up to 4 tokens
      (splits meet through f32 atomics, so only f32 results are split);
    - on sm_90a, int8 x int8 and e4m3 x e4m3: `wgmma`, persistent, block tile
      [128 (64 when M <= 64), 256 for int8 / 192 for FP8 (N rounded up to
      64 when smaller), 128 bytes], one 64-row warpgroup tile per consumer,
      as many stages (at most 8) as fit;
    - otherwise `mma_sync` with a multi-stage `cp.async` pipeline:
      block tile [128 (64 when M <= 64), the largest of 128/64/32/16 that
      divides N, 64 bytes of activations], warp tile [BM / 2, min(64, BN)];
    - `bitplane` on 1-bit `mma` for bit-plane products, `lut` for table ones.

    The operand type fed to the tensor core follows the target: `.s4` only on
    sm_80 to sm_89 (Hopper widens 4-bit operands to `i8`), FP8 only on sm_89
    and newer. Pipeline stages shrink until the shared-memory ring fits the
    chip. Existing configs (from the tuner) are kept. The target comes from
    the `target` option, else from the module's `lowbit_gpu.target`; the
    pass records it there for the kernel generators (persistent grids size
    themselves by the chip's SM count).

    Kernels that will be launched programmatically (each grid starting while
    the one before finishes: `programmatic-launch`, or the module's
    `lowbit_gpu.programmatic_launch` unit attribute) get the configs measured
    fastest that way where they differ: one e4m3 token on `tma_gemv` takes a
    ring of 4 slots instead of 2 (on an H100 1.007-1.039x faster in
    programmatic chains, 1.02-1.06x slower launched plainly).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"\"",
           "Chip to select for (sm_80, sm_86, sm_89, sm_90, sm_90a); default: "
           "the module's lowbit_gpu.target attribute">,
    Option<"programmaticLaunch", "programmatic-launch", "bool", /*default=*/"false",
           "The kernels will be launched programmatically (as if the module had "
           "the lowbit_gpu.programmatic_launch attribute)">
  ];
  let dependentDialects = ["::mlir::lowbit::gpu::LowBitGPUDialect"];
}

#endif // LOWBITGPU_PASSES_TD
