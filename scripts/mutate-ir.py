#!/usr/bin/env python3
"""Mutation fuzzing of lowbit-opt: malformed IR must give a diagnostic, never a crash.

Takes the .mlir test files, applies random token-level mutations (numbers, types,
keywords, shapes, deletions, duplications, truncations) and runs lowbit-opt on
each mutant, parsing, verifying and running the passes (kernel-config
selection and canonicalization, the reference lowering, or GPU kernel
generation). A mutant fails the run
when lowbit-opt dies on a signal, exits with a code other than 0 or 1, prints an
LLVM fatal error or assertion, or exits 1 without printing an error diagnostic.
Failing mutants are written to --out for reproduction.

Deterministic for a given --seed and input set.
"""
import argparse
import concurrent.futures
import os
import pathlib
import random
import re
import subprocess
import sys

NUMBERS = ["0", "-1", "1", "2", "3", "7", "9", "16", "63", "65", "127", "128",
           "4096", "2147483648", "-2147483649", "9223372036854775807",
           "-9223372036854775808", "99999999999999999999999", "1.5", "-0.0"]
TYPES = ["i1", "i2", "i3", "i4", "i5", "i6", "i8", "i9", "i16", "i32", "ui4",
         "si8", "f16", "bf16", "f32", "f64", "index", "f8E4M3FN", "f8E5M2",
         "f6E2M3FN", "f6E3M2FN", "f4E2M1FN", "f8E8M0FNU", "tf32",
         "!lowbit.bipolar<0>", "!lowbit.bipolar<3>", "!lowbit.bipolar<9>",
         "!lowbit.unknown<1>", "none", "vector<4xi4>", "tensor<4xi4>"]
KEYWORDS = ["per_tensor", "per_channel", "per_group", "per_block", "mx_block",
            "packed", "mma_fragment", "interleave", "bit_planes", "split_4_2",
            "mixed_4_8", "channel_permute", "sign_magnitude", "signed", "unsigned", "none", "int",
            "float", "mma_sync", "wgmma", "splitk_gemv", "tma_gemv", "bitplane", "lut",
            "symmetric", "storage", "axis", "group_size", "block", "scale_type",
            "outer_scale_type", "codebook", "order", "tile", "mma", "outliers",
            "strategy", "warp", "stages", "split_k", "cluster", "persistent",
            "mma_type", "scales", "zero_points", "outer_scales", "permutation",
            "weight_scheme", "input_scheme", "weight_scales", "input_scales",
            "true", "false", "unknown_kw"]
SNIPPETS = ["#lowbit.quant<storage = i4>", "#lowbit.layout<packed>",
            "#lowbit.quant<>", "#lowbit.layout<>", "#lowbit_gpu.config<>",
            "#lowbit_gpu.target<chip = \"sm_90a\">", "[]", "[1, 2, 3]", "<", ">",
            "(", ")", ",", "=", "?", "x", "{", "}", "%undefined", "\"", "// -----"]

TOKEN_RE = re.compile(r"-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_.]*|!lowbit\.\w+<\d+>|\S")
CRASH_MARKERS = ("LLVM ERROR", "Assertion", "Stack dump", "UNREACHABLE",
                 "PLEASE submit a bug report", "Segmentation fault")


def mutate(text: str, rng: random.Random) -> str:
    tokens = [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]
    if not tokens:
        return text
    kind = rng.randrange(9)
    start, end = tokens[rng.randrange(len(tokens))]
    token = text[start:end]
    if kind == 0:  # numbers
        numbers = [t for t in tokens if re.fullmatch(r"-?\d+", text[t[0]:t[1]])]
        if numbers:
            start, end = rng.choice(numbers)
        return text[:start] + rng.choice(NUMBERS) + text[end:]
    if kind == 1:  # types
        typed = [t for t in tokens if text[t[0]:t[1]] in TYPES or
                 re.fullmatch(r"[if]\d+|bf16|f8E\w+|f6E\w+|f4E\w+", text[t[0]:t[1]])]
        if typed:
            start, end = rng.choice(typed)
        return text[:start] + rng.choice(TYPES) + text[end:]
    if kind == 2:  # keywords
        words = [t for t in tokens if text[t[0]:t[1]] in KEYWORDS]
        if words:
            start, end = rng.choice(words)
        return text[:start] + rng.choice(KEYWORDS) + text[end:]
    if kind == 3:  # delete a token
        return text[:start] + text[end:]
    if kind == 4:  # insert a snippet
        return text[:start] + rng.choice(SNIPPETS) + " " + text[start:]
    if kind == 5:  # duplicate a line
        lines = text.splitlines(keepends=True)
        i = rng.randrange(len(lines))
        return "".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])
    if kind == 6:  # tensor shapes: change one dimension
        shapes = list(re.finditer(r"(?<=tensor<)(\d+|\?)(?=x)", text))
        if shapes:
            m = rng.choice(shapes)
            return text[:m.start()] + rng.choice(["0", "1", "?", "3", "100000", "7"]) + text[m.end():]
        return text[:start] + text[end:]
    if kind == 7:  # truncate
        return text[:start]
    # swap two tokens
    s2, e2 = tokens[rng.randrange(len(tokens))]
    if s2 < start:
        start, end, s2, e2 = s2, e2, start, end
    if e2 <= start or s2 >= end:
        return text[:start] + text[s2:e2] + text[end:s2] + text[start:end] + text[e2:]
    return text


def strip_expectations(text: str) -> str:
    # Mutants are plain inputs: drop verifier expectations so they cannot mask output.
    return re.sub(r"//\s*expected-(error|note|warning|remark).*", "", text)


def run_one(args, index, text, rng_seed):
    rng = random.Random(rng_seed)
    mutant = text
    for _ in range(rng.randint(1, 3)):
        mutant = mutate(mutant, rng)
    cmd = [args.lowbit_opt, "-split-input-file", "-", "-o", os.devnull]
    mode = rng.random()
    if mode < 0.35:
        cmd += ["--lowbit-select-kernel-config=target=" + rng.choice(["sm_80", "sm_89", "sm_90a"]),
                "--canonicalize"]
    elif mode < 0.7:
        cmd += ["--convert-lowbit-to-linalg"]
    elif mode < 0.85:
        cmd += ["--lowbit-select-kernel-config=target=" + rng.choice(["sm_80", "sm_90a"]),
                "--lowbit-lower-matmul-to-gpu"]
    try:
        proc = subprocess.run(cmd, input=mutant.encode(), capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        return index, mutant, cmd, "timeout after 30 s"
    err = proc.stderr.decode(errors="replace")
    if proc.returncode < 0:
        return index, mutant, cmd, f"killed by signal {-proc.returncode}\n{err[-2000:]}"
    if proc.returncode not in (0, 1):
        return index, mutant, cmd, f"exit code {proc.returncode}\n{err[-2000:]}"
    if any(marker in err for marker in CRASH_MARKERS):
        return index, mutant, cmd, err[-2000:]
    if proc.returncode == 1 and "error:" not in err:
        return index, mutant, cmd, "exit 1 without an error diagnostic\n" + err[-2000:]
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lowbit-opt", required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="mutation-failures")
    parser.add_argument("inputs", nargs="+", type=pathlib.Path)
    args = parser.parse_args()

    files = sorted(p for root in args.inputs
                   for p in ([root] if root.is_file() else root.rglob("*.mlir")))
    if not files:
        sys.exit("mutate-ir: no .mlir inputs found")
    texts = [strip_expectations(f.read_text()) for f in files]
    rng = random.Random(args.seed)
    jobs = [(i, texts[rng.randrange(len(texts))], rng.getrandbits(64)) for i in range(args.count)]

    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for result in pool.map(lambda job: run_one(args, *job), jobs):
            if result:
                failures.append(result)
    out = pathlib.Path(args.out)
    for index, mutant, cmd, why in failures:
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"mutant-{args.seed}-{index}.mlir"
        path.write_text(mutant)
        print(f"FAIL {path}: {' '.join(cmd[:1] + cmd[2:])} < {path}\n  {why.strip()}\n")
    print(f"mutate-ir: {args.count} mutants of {len(files)} files (seed {args.seed}): "
          f"{len(failures)} crashed or misbehaved")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
