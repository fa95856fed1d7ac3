"""Synthetic AWQ and GPTQ (act-order; and 3-bit) checkpoints, packed here from the
formats' definitions (independently of lowbit's loader), and the products numpy computes.

  checkpoint.py make DIR      writes awq/gptq/gptq3 .safetensors, x.npy, expected_*.npy
  checkpoint.py permute DIR   x.npy gathered by DIR/gptq/perm.npy -> x_perm.npy
"""
import sys

import numpy as np
from safetensors.numpy import save_file

mode, out = sys.argv[1], sys.argv[2]
if mode == "permute":
    x = np.load(f"{out}/x.npy")
    perm = np.load(f"{out}/gptq/perm.npy")
    np.save(f"{out}/x_perm.npy", np.ascontiguousarray(x[:, perm]))
    sys.exit(0)

rng = np.random.default_rng(7)
m, n, k, g = 2, 32, 256, 64
codes = rng.integers(0, 16, (k, n), dtype=np.int64)  # [in, out] as checkpoints
zeros = rng.integers(1, 16, (k // g, n), dtype=np.int64)
scales = rng.uniform(0.005, 0.05, (k // g, n)).astype(np.float16)
x = rng.uniform(-1, 1, (m, k)).astype(np.float16)
np.save(f"{out}/x.npy", x)


def pack_cols(values, order):
    """[rows, cols] nibbles -> int32 [rows, cols / 8], nibble i = column order[i]."""
    rows, cols = values.shape
    words = np.zeros((rows, cols // 8), dtype=np.uint32)
    for i, c in enumerate(order):
        words |= values[:, c::8].astype(np.uint32) << np.uint32(4 * i)
    return words.view(np.int32)


# AWQ: contiguous groups, nibble order 0 2 4 6 1 3 5 7 along N, no zero offset.
awq_order = [0, 2, 4, 6, 1, 3, 5, 7]
save_file({"layer.qweight": pack_cols(codes, awq_order),
           "layer.qzeros": pack_cols(zeros, awq_order),
           "layer.scales": scales}, f"{out}/awq.safetensors")
w = (codes - np.repeat(zeros, g, axis=0)) * np.repeat(scales.astype(np.float64), g, axis=0)
np.save(f"{out}/expected_awq.npy", (x.astype(np.float64) @ w).astype(np.float32))

# GPTQ: act-order groups (g_idx), qweight packed along K, zeros stored minus 1.
g_idx = rng.permutation(np.arange(k) // g).astype(np.int32)
qweight = np.zeros((k // 8, n), dtype=np.uint32)
for i in range(8):
    qweight |= codes[i::8, :].astype(np.uint32) << np.uint32(4 * i)
save_file({"layer.qweight": qweight.view(np.int32),
           "layer.qzeros": pack_cols(zeros - 1, range(8)),
           "layer.scales": scales,
           "layer.g_idx": g_idx}, f"{out}/gptq.safetensors")
w = (codes - zeros[g_idx]) * scales[g_idx].astype(np.float64)
np.save(f"{out}/expected_gptq.npy", (x.astype(np.float64) @ w).astype(np.float32))


def pack3(values):
    """AutoGPTQ's 3-bit packing along axis 0: 32 values in 3 int32 words, ten
    whole values per word and the 11th and 22nd split across words."""
    v = values.astype(np.uint32)
    words = np.zeros((v.shape[0] // 32 * 3,) + v.shape[1:], dtype=np.uint32)
    for b in range(v.shape[0] // 32):
        x, w = v[32 * b:32 * b + 32], words[3 * b:3 * b + 3]
        for j in range(10):
            w[0] |= x[j] << np.uint32(3 * j)
        w[0] |= x[10] << np.uint32(30)
        w[1] |= (x[10] >> np.uint32(2)) & np.uint32(1)
        for j in range(10):
            w[1] |= x[11 + j] << np.uint32(3 * j + 1)
        w[1] |= x[21] << np.uint32(31)
        w[2] |= (x[21] >> np.uint32(1)) & np.uint32(3)
        for j in range(10):
            w[2] |= x[22 + j] << np.uint32(3 * j + 2)
    return words


# GPTQ 3-bit: contiguous groups, codes and zeros (minus 1) of 3 bits.
codes3 = rng.integers(0, 8, (k, n), dtype=np.int64)
zeros3 = rng.integers(1, 8, (k // g, n), dtype=np.int64)
save_file({"layer.qweight": pack3(codes3).view(np.int32),
           "layer.qzeros": np.ascontiguousarray(pack3((zeros3 - 1).T).T).view(np.int32),
           "layer.scales": scales}, f"{out}/gptq3.safetensors")
w = (codes3 - np.repeat(zeros3, g, axis=0)) * np.repeat(scales.astype(np.float64), g, axis=0)
np.save(f"{out}/expected_gptq3.npy", (x.astype(np.float64) @ w).astype(np.float32))
