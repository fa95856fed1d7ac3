//===- LowBitGPUAttrs.td - lowbit_gpu attributes --------------*- tablegen -*-===//
#ifndef LOWBITGPU_ATTRS_TD
#define LOWBITGPU_ATTRS_TD

include "LowBitGPU/IR/LowBitGPUBase.td"

class LowBitGPU_IntListParameter<string desc>
    : ArrayRefParameter<"int64_t", desc> {
  let parser = "::mlir::lowbit::parseIntList($_parser)";
  let printer = "::mlir::lowbit::printIntList($_printer, $_self)";
}

class LowBitGPU_OptionalIntListParameter<string desc>
    : OptionalArrayRefParameter<"int64_t", desc> {
  let parser = "::mlir::lowbit::parseIntList($_parser)";
  let printer = "::mlir::lowbit::printIntList($_printer, $_self)";
}

def LowBitGPU_TargetAttr : LowBitGPU_Attr<"Target", "target"> {
  let summary = "the GPU a kernel is compiled for";
  let description = [{
    `chip` is one of `sm_80`, `sm_86`, `sm_89`, `sm_90`, `sm_90a`; `features`
    are PTX features passed to the backend (for example `+ptx80`). Placed on
    a module as `lowbit_gpu.target`, it tells `lowbit-select-kernel-config`
    what it selects for.

    ```mlir
    module attributes {lowbit_gpu.target = #lowbit_gpu.target<chip = "sm_90a", features = "+ptx80">} {}
    ```
  }];
  let parameters = (ins StringRefParameter<"chip">:$chip,
                        StringRefParameter<"PTX features", "\"\"">:$features);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Compute capability as major * 10 + minor (80, 86, 89, 90).
    int getComputeCapability() const;
    /// `wgmma`, `setmaxnreg` and TMA multicast need the `a` variant of sm_90.
    bool hasWgmma() const { return getChip() == "sm_90a"; }
    /// Native INT4 tensor cores: sm_80 to sm_89 (Hopper emulates `.s4`).
    bool hasNativeInt4Mma() const {
      return getComputeCapability() >= 80 && getComputeCapability() < 90;
    }
    /// FP8 `mma.sync` needs sm_89 or newer.
    bool hasFp8Mma() const { return getComputeCapability() >= 89; }
    /// Streaming multiprocessors of the flagship part of this chip.
    int getNumSMs() const;
    /// Shared memory one block can use, in bytes.
    int64_t getMaxSharedMemoryPerBlock() const;
  }];
}

def LowBitGPU_ConfigAttr : LowBitGPU_Attr<"Config", "config"> {
  let summary = "a kernel strategy and its tuning parameters";
  let description = [{
    - `strategy`: `mma_sync`, `wgmma`, `splitk_gemv`, `tma_gemv`, `bitplane`
      or `lut`. For `tma_gemv` (a decode GEMV fed by TMA through a ring of
      `stages` slots, sm_90 and newer) `mma = [16, 8, 16]` puts the products
      on tensor cores (warp N = 16, 32 or 64 rows per warp, block N 1, 2 or
      4 times that, the warps of a row group splitting each K tile; the
      tokens as the mma's N) and `mma = [1, 1, 1]` on CUDA cores, where the
      warp tile's N is the rows each of the four consumer warps computes and
      the block tile's N four times that (a multiple of 8); its K tile is 512
      bytes of each row. For `lut` (no pipeline; tables and indices read
      through the caches) only the block's N, its rows, is a choice:
      `block = [M, N, K]` with every token and all of K, `warp = [M, N / 4]`
      (four warps), `mma = [1, 1, group_size]`, `mma_type` the table's type
      and `stages = 1`; the kernel refuses other values.
    - `block`: the block tile `[M, N, K]`; `warp`: the tile of one warp (one
      warpgroup for `wgmma`) `[M, N]`.
    - `mma`: the tensor-core instruction shape `[m, n, k]` (`wgmma`: m = 64;
      with 4-bit weights, whose tokens are the instruction's n, a token tile
      of 8, 16 or 32 names itself instead: `[T, 64, k]`); `mma_type`: the
      operand type it runs on (a 4-bit operand widened in registers shows up
      here as `i8`, `f8E4M3FN` or `bf16`). For the GEMVs, the type its
      products are formed in: `f16` makes f16x2 products where the kernel
      can (f16 activations, packed 4-bit integer codes in rows of whole
      16-byte chunks, f16 scales per tensor, channel or group of a multiple
      of 32), any other type f32 products.
    - `stages`: software-pipeline depth (shared-memory ring); `split_k`:
      K-splits reduced at the end; `cluster`: thread-block cluster `[x, y]`;
      `persistent`: a persistent grid with a tile scheduler; `stream_k`
      (`wgmma`, persistent, no cluster): the tiles that do not fill the
      last wave are split along K over the SMs the wave leaves idle; the
      parts' sums meet through a workspace in the kernel's module;
      `claim_k` (with `stream_k`, 8-, 16- or 32-token tiles of 4-bit
      weights): instead of a fixed share, each block claims ranges of this
      many K tiles from a global counter as it finishes the last, so that
      SMs that stream faster take more; a range's sums are added atomically
      into its tile's f32 (s32) workspace, and the range that completes the
      tile stores it. The order of those additions, and so the last bits of
      f32 results, varies from run to run (0, the default: the fixed split);
      `producer_registers` (`wgmma`; 24 to 256, a multiple of 8): the
      registers per thread the producer warpgroup keeps (`setmaxnreg.dec`),
      the consumers sharing the rest up to 256 each (0, the default: the
      kernel's choice, 40 beside up to three consumers, the consumers at
      most 232, but 24 and 240 for W4A8 e4m3 on 192-token tiles).

    ```mlir
    #lowbit_gpu.config<strategy = wgmma, block = [128, 256, 64], warp = [64, 256],
                       mma = [64, 256, 16], mma_type = bf16, stages = 4,
                       cluster = [2, 1], persistent = true>
    ```
  }];
  let parameters = (ins
    EnumParameter<LowBitGPU_Strategy>:$strategy,
    LowBitGPU_IntListParameter<"block tile [M, N, K]">:$block,
    LowBitGPU_IntListParameter<"warp tile [M, N]">:$warp,
    LowBitGPU_IntListParameter<"MMA instruction shape [m, n, k]">:$mma,
    "::mlir::Type":$mma_type,
    DefaultValuedParameter<"int64_t", "1", "pipeline stages">:$stages,
    DefaultValuedParameter<"int64_t", "1", "K splits">:$split_k,
    LowBitGPU_OptionalIntListParameter<
        "thread-block cluster [x, y]; none means [1, 1]">:$cluster,
    DefaultValuedParameter<"bool", "false", "persistent tile scheduler">:$persistent,
    DefaultValuedParameter<"bool", "false", "stream-K tail scheduling">:$stream_k,
    DefaultValuedParameter<"int64_t", "0", "K tiles per range claimed at run time">:$claim_k,
    DefaultValuedParameter<"int64_t", "0",
        "registers per thread the producer keeps (0: the kernel's choice)">:$producer_registers);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Shared memory the pipeline ring needs, for operands of `aBits` and
    /// `bBits` bits per element.
    int64_t getSharedMemoryBytes(unsigned aBits, unsigned bBits) const;
  }];
}

#endif // LOWBITGPU_ATTRS_TD
