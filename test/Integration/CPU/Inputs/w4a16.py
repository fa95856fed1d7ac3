"""Writes random W4A16 operands (AWQ-style u4 codes, bf16 scales, u4 zero points)
and the product numpy computes from them: a third, independent oracle."""
import sys

import ml_dtypes
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(42)
m, n, k, g = 3, 64, 256, 128
x = rng.uniform(-1, 1, (m, k)).astype(ml_dtypes.bfloat16)
codes = rng.integers(0, 16, (n, k), dtype=np.uint8)
scales = rng.uniform(0.01, 0.1, (n, k // g)).astype(ml_dtypes.bfloat16)
zeros = rng.integers(0, 16, (n, k // g), dtype=np.uint8)
w = (codes.astype(np.float64) - np.repeat(zeros, g, axis=1)) * np.repeat(
    scales.astype(np.float64), g, axis=1)
y = (x.astype(np.float64) @ w.T).astype(np.float32)
np.save(f"{out}/x.npy", x)
np.save(f"{out}/w.npy", codes)
np.save(f"{out}/s.npy", scales)
np.save(f"{out}/z.npy", zeros)
np.save(f"{out}/expected.npy", y)
