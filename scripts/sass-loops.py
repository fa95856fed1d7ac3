#!/usr/bin/env python3
"""Lists the loops of a kernel's SASS: size and the most frequent opcodes.

    scripts/sass-loops.py KERNEL.ptx [--arch=sm_90a] [--list=FIRST]
    scripts/sass-loops.py --sass DUMP.sass [--list=FIRST]

A PTX file is assembled with ptxas first (a .cubin is read as it is), then
disassembled with cuobjdump; `--sass` reads a `cuobjdump -sass` dump instead
(such as those scripts/device-test.sh archives from the GPU machine). Each
backward branch of 20 instructions or more is a loop; `--list=FIRST` prints
the body of the loop starting at instruction FIRST. Counting a K loop's instructions before and after a change shows what
ptxas made of it without a GPU (the W4A8 lookup tables copied into registers
before every prmt were found this way).

cuobjdump and the nvdisasm it runs are not part of every CUDA install: they
are looked up on PATH, in /usr/local/cuda/bin, and in the PyPI wheels
(`pip install nvidia-cuda-cuobjdump nvidia-cuda-nvdisasm`).
"""
import argparse
import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile


def find_tool(name):
    found = shutil.which(name) or shutil.which(name, path="/usr/local/cuda/bin")
    if found:
        return found
    for site in sys.path:
        for candidate in glob.glob(os.path.join(site, "nvidia", "cu*", "bin", name)):
            return candidate
    sys.exit(f"sass-loops: {name} not found (PATH, /usr/local/cuda/bin, "
             f"or pip install nvidia-cuda-{name})")


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode:
        sys.exit(f"sass-loops: {os.path.basename(command[0])} failed:\n{result.stderr}")
    return result.stdout


def disassemble(path, arch):
    with tempfile.TemporaryDirectory() as tmp:
        cubin = path
        if path.endswith(".ptx"):
            cubin = os.path.join(tmp, "kernel.cubin")
            run([find_tool("ptxas"), f"-arch={arch}", path, "-o", cubin])
        env = dict(os.environ, NVDISASM_PATH=os.path.dirname(find_tool("nvdisasm")))
        return run([find_tool("cuobjdump"), "-sass", cubin], env=env)


def instructions(sass):
    """(address, text) of every instruction, in order."""
    found = []
    for line in sass.splitlines():
        m = re.match(r"\s*/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;", line)
        if m:
            found.append((int(m.group(1), 16), m.group(2)))
    return found


def opcode(text):
    words = text.split()
    word = words[1] if words[0].startswith("@") else words[0]
    return word.split(".")[0]


def loops(code, min_size=20):
    """(first, last) instruction indices of each backward branch's body."""
    index = {address: i for i, (address, _) in enumerate(code)}
    for last, (address, text) in enumerate(code):
        if opcode(text) != "BRA" or ".U.ANY" in text:  # .U.ANY: a warp-converged retry
            continue
        target = re.search(r"0x([0-9a-f]+)", text)
        if not target:
            continue
        first = index.get(int(target.group(1), 16))
        if first is not None and first < last and last - first + 1 >= min_size:
            yield first, last


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("kernel", nargs="?", help="a .ptx or .cubin file")
    source.add_argument("--sass", metavar="DUMP", help="a cuobjdump -sass dump to read instead")
    parser.add_argument("--arch", default="sm_90a")
    parser.add_argument("--list", type=int, metavar="FIRST",
                        help="print the body of the loop that starts at this instruction")
    args = parser.parse_args()
    if args.sass:
        try:
            with open(args.sass) as dump:
                sass = dump.read()
        except OSError as error:
            sys.exit(f"sass-loops: {error}")
    else:
        sass = disassemble(args.kernel, args.arch)
    code = instructions(sass)
    if not code:
        sys.exit("sass-loops: no instructions in the disassembly")
    for first, last in loops(code):
        body = code[first:last + 1]
        ops = collections.Counter(opcode(text) for _, text in body)
        print(f"loop {first}..{last}: {len(body)} instructions: " +
              " ".join(f"{o}:{n}" for o, n in ops.most_common(16)))
        if args.list == first:
            for address, text in body:
                print(f"  {address:5x}  {text}")


if __name__ == "__main__":
    main()
