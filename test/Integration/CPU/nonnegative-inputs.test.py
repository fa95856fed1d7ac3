"""Reads the arguments lowbit-run saved for nonnegative-inputs.test."""
import sys

import numpy as np

root = sys.argv[1]


def raw(folder, i):
    a = np.load(f"{root}/{folder}/arg{i}.npy")
    return a.view(np.uint8 if a.dtype.itemsize == 1 else np.uint16)


for folder in ("plain", "pos"):
    e4m3 = raw(folder, 0)  # sign: bit 7
    codes = raw(folder, 2)  # 4-bit codes, one per byte
    bf16 = raw(folder, 3)  # sign: bit 15
    print(f"{folder}: arg0 negative {int((e4m3 & 0x80).any())}, "
          f"arg2 top bit {int((codes & 0x8).any())}, "
          f"arg3 negative {int((bf16 & 0x8000).any())}")
    if folder == "plain":
        same = all((raw("plain", i) == raw("again", i)).all() for i in (0, 2, 3))
        print(f"again: same draws {int(same)}")

# Bipolar<3> codes: the top bit is bit 2.
for folder in ("bipolar-plain", "bipolar-pos"):
    codes = raw(folder, 0)
    print(f"{folder}: top bit always {int((codes & 0x4).all())}, below 8 {int((codes < 8).all())}")
