//===- Checkpoint.h - AWQ and GPTQ checkpoints into lowbit schemes --------===//
//
// Reads the packed tensors of AWQ (AutoAWQ GEMM, 4-bit) and GPTQ (AutoGPTQ,
// 2-, 3-, 4- or 8-bit) checkpoints from .safetensors files and converts them
// to lowbit's form: unsigned `bits`-bit codes of the [N, K] weight (out x in,
// as lowbit.matmul takes it), one f16 scale and one zero point per group of
// K, i.e.
//   #lowbit.quant<storage = i<bits>, signedness = unsigned, zero_point = int,
//                 granularity = per_group, axis = 1, group_size = g>
//
// Source formats (in x out, int32 words):
// - AWQ: qweight [K, N/8] and qzeros [K/g, N/8] packed along N, nibble i of a
//   word holding column order[i] of its eight, order = 0 2 4 6 1 3 5 7;
//   scales [K/g, N] f16. w = (q - z) * s.
// - GPTQ: qweight [K * bits / 32, N] packed along K, qzeros
//   [K/g, N * bits / 32] packed along N, each a little-endian stream of
//   `bits`-bit values over the words (value i at bits [bits * i, bits * i +
//   bits) of the stream: 32 / bits whole values per word, or for 3 bits 32
//   values per 3 words, two of them split), scales [K/g, N] f16, optional
//   g_idx [K] (act-order: the group of each input channel). The width is
//   not stored; the zero points' words per row give it. Zero points are
//   stored minus `zeroOffset` (1 in the original GPTQ format, 0 in gptq_v2):
//   w = (q - (z + zeroOffset)) * s.
// With act-order, input channels are reordered so that groups are contiguous;
// the reordering is returned and activations must be gathered with it (a
// channel_permute layout).
//
//===----------------------------------------------------------------------===//
#ifndef LOWBIT_QUANT_CHECKPOINT_H
#define LOWBIT_QUANT_CHECKPOINT_H

#include "lowbit/Support/SafeTensors.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::lowbit::quant {

/// The code widths GPTQ checkpoints come in.
inline constexpr int64_t kGPTQBits[] = {2, 3, 4, 8};

struct QuantizedLinear {
  int64_t n = 0, k = 0, groupSize = 0;
  int bits = 4;               // of the codes and zero points
  std::vector<uint8_t> codes; // [N, K], unsigned `bits`-bit, one per byte
  std::vector<float> scales;  // [N, K / g]
  std::vector<uint8_t> zeros; // [N, K / g], unsigned `bits`-bit
  /// Input channel order: channel i of the converted weight is input
  /// channel inputPermutation[i] of the checkpoint. Empty when the order is
  /// unchanged.
  std::vector<int64_t> inputPermutation;

  /// The real weight, [N, K] in the converted channel order.
  std::vector<float> dequantize() const;
};

/// `prefix` is the layer's name, e.g. "model.layers.0.mlp.up_proj".
llvm::Expected<QuantizedLinear> loadAWQ(const SafeTensorsFile &file,
                                        const std::string &prefix);
llvm::Expected<QuantizedLinear> loadGPTQ(const SafeTensorsFile &file,
                                         const std::string &prefix,
                                         int zeroOffset = 1);

} // namespace mlir::lowbit::quant

#endif // LOWBIT_QUANT_CHECKPOINT_H
