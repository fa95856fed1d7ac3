"""The lowbit Python package on any machine (numpy, CPU reference), and on
CUDA tensors where torch and a GPU are present."""
import ctypes
import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lowbit

RNG = np.random.default_rng(1)


def test_version():
    assert lowbit.version() == "0.1.0"


def test_compile_spec_and_cache(tmp_path):
    ctx = lowbit.Context("sm_90a", cache_dir=str(tmp_path))
    spec = "matmul m=1 n=256 k=512 a=f16 w=u4:g128:zp out=f32"
    first = ctx.compile(spec)
    assert first.source == "compiled"
    assert first.entry["name"] == "lowbit_matmul_tma_gemv0"
    roles = [p["role"] for p in first.entry["params"]]
    assert roles == ["input", "weight", "weight_scales", "weight_zero_points", "result"]
    assert first.compile_seconds["mlir"] > 0
    assert ctx.compile(spec).source == "memory"
    assert lowbit.Context("sm_90a", cache_dir=str(tmp_path)).compile(spec).source == "disk"
    image = first.image if not first.is_cubin else b""
    assert first.is_cubin or b".entry lowbit_matmul_tma_gemv0" in image


def test_half_fragment_weights_on_sm_90a(tmp_path):
    # lowbit.torch's choice: 4-bit integer codes scaled per 128 on layers of
    # 8192 x 8192 or more (the scheme and shapes measured) go to sm_90a
    # kernels in the half-fragment order, others packed.
    for scheme, n, k in [("u4:g128:zp", 8192, 8192), ("s4:g128", 28672, 8192),
                         ("i4:g128:zp", 8192, 28672)]:
        assert lowbit.weight_layout(scheme, "sm_90a", n, k) == " layout=half_fragment", scheme
    for scheme, arch, n, k in [("u4:g128:zp", "sm_89", 8192, 8192),
                               ("u4:g128:zp", "sm_90", 8192, 8192),
                               ("u4:g128:zp", "sm_90a", 4096, 8192),
                               ("u4:g128:zp", "sm_90a", 8192, 4096),
                               ("nf4:g64", "sm_90a", 8192, 8192), ("u4:g256", "sm_90a", 8192, 8192),
                               ("s4", "sm_90a", 8192, 8192), ("u4:g64:zp", "sm_90a", 8192, 8192),
                               ("u8:g128:zp", "sm_90a", 8192, 8192),
                               ("u4:g128", "sm_90a", 8192, 8208)]:
        assert lowbit.weight_layout(scheme, arch, n, k) == "", (scheme, arch, n, k)
    # The kernel's manifest names the order; pack_codes packs in it.
    ctx = lowbit.Context("sm_90a", cache_dir=str(tmp_path))
    for m in (1, 16, 64):
        kernel = ctx.compile("matmul m=%d n=256 k=512 a=bf16 w=u4:g128:zp layout=half_fragment" % m)
        weight = next(p for p in kernel.entry["params"] if p["role"] == "weight")
        assert weight["layout"] == "interleave", m
        assert weight["order"] == [2 * q + 8 * (s % 4) + s // 4 for q in range(4) for s in range(8)]
    with pytest.raises(lowbit.LowbitError, match="layout=half_fragment takes 4-bit integer"):
        ctx.compile("matmul m=1 n=256 k=512 a=f16 w=nf4:g64 layout=half_fragment")
    with pytest.raises(lowbit.LowbitError, match="layout=half_fragment runs on sm_90a"):
        lowbit.Context("sm_89", cache_dir=str(tmp_path)).compile(
            "matmul m=1 n=256 k=512 a=f16 w=u4:g128:zp layout=half_fragment")


def test_compile_errors_are_exceptions():
    with pytest.raises(lowbit.LowbitError, match="w=u7: weight codes"):
        lowbit.compile("matmul m=1 n=256 k=512 a=f16 w=u7")
    with pytest.raises(lowbit.LowbitError, match="needs N a multiple of 16, not N = 1000"):
        lowbit.compile("matmul m=256 n=1000 k=512 a=f16 w=s8")
    with pytest.raises(lowbit.LowbitError, match="unknown arch 'sm_75'"):
        lowbit.Context("sm_75", cache_dir="").compile("matmul m=1 n=256 k=512 a=f16 w=s8")


def test_compile_mlir():
    spec_source = """
func.func @w8a8(%x: tensor<200x512xi8>, %w: tensor<256x512xi8>, %s: tensor<256x1xf32>, %xs: tensor<200x1xf32>) -> tensor<200x256xf32> {
  %y = lowbit.matmul %x, %w weight_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> input_scheme #lowbit.quant<storage = i8, granularity = per_channel, axis = 0, scale_type = f32> weight_scales(%s) input_scales(%xs) : (tensor<200x512xi8>, tensor<256x512xi8>, tensor<256x1xf32>, tensor<200x1xf32>) -> tensor<200x256xf32>
  return %y : tensor<200x256xf32>
}"""
    kernel = lowbit.Context("sm_80", cache_dir="").compile_mlir(spec_source)
    assert kernel.entry["shared_memory"] == 65536
    with pytest.raises(lowbit.LowbitError, match="expected"):
        lowbit.Context("sm_80", cache_dir="").compile_mlir("func.func @f(")


def test_tensor_maps_carry_their_swizzle():
    """W4A16 on wgmma with 128-code K tiles reads its 64-byte weight rows
    through a 64-byte-swizzled map; the activations keep the 128-byte one.
    A launch encodes each map with the swizzle the manifest states."""
    config = ("#lowbit_gpu.config<strategy = wgmma, block = [128, 128, {k}], warp = [128, 64], "
              "mma = [64, 64, 16], mma_type = bf16, stages = {stages}, persistent = true>")
    spec = "matmul m=200 n=320 k=640 a=bf16 w=u4:g128:zp"
    ctx = lowbit.Context("sm_90a", cache_dir="")
    for k, stages, weight_map in ((128, 4, (64, 64)), (256, 2, (128, 128))):
        maps = ctx.compile(spec, config.format(k=k, stages=stages)).entry["tensor_maps"]
        weights, activations = maps[0], maps[1]
        assert (weights["box_bytes"], weights["swizzle"]) == weight_map, maps
        assert (activations["box_bytes"], activations["swizzle"]) == (128, 128), maps


@pytest.mark.parametrize("scheme,bound", [("u4:g128:zp", 0.5), ("s4:g64", 0.5),
                                          ("s8", 0.5), ("u8:per_tensor:zp", 0.5),
                                          ("e4m3", None)])
def test_quantize_round_trip(scheme, bound):
    w = RNG.standard_normal((64, 256)).astype(np.float32)
    q = lowbit.quantize(w, scheme)
    assert q.codes.shape == w.shape and q.codes.dtype == np.uint8
    back = lowbit.dequantize(q)
    rel = np.linalg.norm(back - w) / np.linalg.norm(w)
    # Normal data: 16 levels over the block range leave ~10% (4-bit), 8 bits ~1%.
    assert rel < (0.15 if scheme[1] == "4" else 0.06 if scheme.startswith("e4m3") else 0.01)
    if bound is not None:
        # Round to nearest: at most half a step per element.
        steps = np.repeat(q.scales, w.size // q.scales.size).reshape(w.shape) \
            if q.scales.shape[0] == w.shape[0] else np.full(w.shape, q.scales.item())
        assert np.all(np.abs(back - w) <= bound * steps * (1 + 1e-5) + 1e-7)


@pytest.mark.parametrize("scheme,bits,limit", [("nf4:g64", 4, 0.12), ("e2m1:g32", 4, 0.15),
                                               ("e5m2", 8, 0.08), ("u2:g64:zp", 2, None),
                                               ("s2:g64", 2, None)])
def test_quantize_table_and_two_bit_codes(scheme, bits, limit):
    """NF4 (QLoRA's codebook), FP4 e2m1, FP8 e5m2 and 2-bit weights: codes
    that dequantize near the data, scaled by the block's largest magnitude
    (or its range, with zero points)."""
    w = RNG.standard_normal((64, 256)).astype(np.float32)
    q = lowbit.quantize(w, scheme)
    back = lowbit.dequantize(q)
    assert q.codes.max() < 2 ** bits
    if limit is not None:
        assert np.linalg.norm(back - w) / np.linalg.norm(w) < limit
    else:
        # 2-bit integers: four levels, so round to nearest is all there is
        # to check: at most half a step from each element.
        steps = np.repeat(q.scales, 64, axis=1)
        assert np.all(np.abs(back - w) <= 0.5 * steps * (1 + 1e-5) + 1e-7)
    if scheme.startswith("nf4"):
        # The block's largest magnitude maps to the codebook's +-1 exactly.
        blocks = np.abs(back).reshape(64, -1, 64).max(axis=2)
        assert np.allclose(blocks, np.abs(w).reshape(64, -1, 64).max(axis=2), rtol=1e-6)


def _run_script_printing_ok(script, env):
    """Runs `script` in a Python process of its own (stand-ins for libraries
    that the test process may have loaded for real); it prints "ok" at its
    end."""
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stdout + run.stderr


FAKE_TORCH_SCRIPT = r"""
import sys, types

# Just what lowbit.torch's kernel_for reads of torch.
torch = types.ModuleType("torch")
torch.float16, torch.bfloat16, torch.float32 = "f16", "bf16", "f32"
torch.nn = types.SimpleNamespace(Module=object, Linear=object)
asked = []


class Device:
    def __init__(self, spec):
        self.index = spec if isinstance(spec, int) else int(spec[5:]) if ":" in spec else None


def capability(index):
    asked.append(index)
    return (9, 0) if index == 0 else (8, 0)


class Tensor:  # a host array "on a device"
    def __init__(self, array):
        self.array = array

    def to(self, *args, **kwargs):
        return self


torch.device = Device
torch.from_numpy = Tensor
torch.cuda = types.SimpleNamespace(current_device=lambda: 0, get_device_capability=capability)
sys.modules["torch"] = torch

import numpy as np
import lowbit
import lowbit.torch as lt

compiled = []
real_compile = lt.compile
lt.compile = lambda spec, arch: compiled.append((arch, spec)) or real_compile(spec, arch=arch)
q = lowbit.quantize(np.random.default_rng(0).standard_normal((256, 512)).astype(np.float32),
                    "u4:g128:zp")
first = lt.kernel_for(1, q, torch.float16)
assert lt.kernel_for(1, q, torch.float16, device=0) is first
assert lt.kernel_for(1, q, torch.float16, device="cuda:0") is first
other = lt.kernel_for(1, q, torch.float16, device="cuda:1")  # another chip
bf16 = lt.kernel_for(16, q, torch.bfloat16)
assert other is not first and bf16 is not first
assert lt.kernel_for(16, q, torch.bfloat16) is bf16
assert [arch for arch, _ in compiled] == ["sm_90a", "sm_80", "sm_90a"], compiled
assert asked == [0, 1], asked  # each device's chip asked once
try:
    lt.kernel_for(1, q, torch.float16, out_dtype="int8")
    raise AssertionError("an int8 result was taken")
except lowbit.LowbitError as error:
    assert "write f16, bf16 or f32 results, got int8" in str(error), error
# Quantized activations: the W4A8 kernel of the weights' spec, its
# activation scales a parameter; specs say launch=programmatic while
# programmatic launches are on.
s4 = lowbit.quantize(np.random.default_rng(1).standard_normal((256, 512)).astype(np.float32),
                     "s4")
w4a8 = lt.kernel_for(1, s4, torch.bfloat16, activations="e4m3")
assert compiled[-1] == ("sm_90a", "matmul m=1 n=256 k=512 a=e4m3:per_token w=s4 out=bf16"), compiled
assert [p["role"] for p in w4a8.entry["params"]] == [
    "input", "weight", "weight_scales", "input_scales", "result"], w4a8.entry["params"]
lt.kernel_for(4, s4, torch.float16, activations="i8", layout="packed")
assert compiled[-1][1] == "matmul m=4 n=256 k=512 a=i8:per_token w=s4 layout=packed out=f16", compiled
lowbit.set_programmatic_launches(True)
lt.kernel_for(1, s4, torch.bfloat16, activations="e4m3")
lt.kernel_for(1, q, torch.float16)
lowbit.set_programmatic_launches(False)
assert [spec for _, spec in compiled[-2:]] == [
    "matmul m=1 n=256 k=512 a=e4m3:per_token w=s4 out=bf16 launch=programmatic",
    "matmul m=1 n=256 k=512 a=f16 w=u4:g128:zp scale=f16 out=f16 launch=programmatic"], compiled
try:
    lt.kernel_for(1, s4, torch.bfloat16, activations="e5m2")
    raise AssertionError("e5m2 activations were taken")
except lowbit.LowbitError as error:
    assert "quantized to e4m3 or i8, not 'e5m2'" in str(error), error
# A weight's device copies: made once, and again for new arrays.
packed = {"layout": "packed", "bits": 4}
w, s, z = lt._device_weights(q, "cuda:0", torch.float16, packed)
assert lt._device_weights(q, "cuda:0", torch.float16, packed)[1] is s
assert (w.array == lowbit.pack_codes(q.codes, 4)).all() and (s.array == q.scales).all()
q.scales = q.scales * 2
_, doubled, _ = lt._device_weights(q, "cuda:0", torch.float16, packed)
assert doubled is not s and (doubled.array == q.scales).all()
print("ok")
"""


def test_torch_kernels_are_compiled_once_per_chip_and_spec():
    """lowbit.torch looks its kernels up by chip and spec: a launch does not
    build a new Kernel and parse its manifest each call. Run against a
    stand-in torch module, in a process of its own."""
    _run_script_printing_ok(FAKE_TORCH_SCRIPT, dict(os.environ))


def _has_cuda_driver():
    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


@pytest.mark.skipif(_has_cuda_driver(), reason="a CUDA driver is installed")
def test_launch_without_a_driver_is_an_error_every_time():
    """Without a CUDA driver a launch is an error naming it, the second as
    much as the first (the driver is looked for once per process)."""
    kernel = lowbit.compile("matmul m=1 n=256 k=256 a=f16 w=u4:g128:zp")
    for _ in range(2):
        with pytest.raises(lowbit.LowbitError, match="no CUDA driver"):
            kernel.launch([0] * len(kernel.entry["params"]))


FAKE_CUDA_SCRIPT = r"""
import ctypes, threading
import lowbit

fake = ctypes.CDLL("libcuda.so.1")
assert hasattr(fake, "fakeCudaLog"), "not the stand-in driver"
fake.fakeCudaStream.restype = fake.fakeCudaStreamIn.restype = ctypes.c_void_p
fake.fakeCudaStreamIn.argtypes = [ctypes.c_void_p, ctypes.c_int]
fake.fakeCudaLog.restype = ctypes.c_char_p
retains = []


def log():
    lines = fake.fakeCudaLog().decode().splitlines()
    fake.fakeCudaClearLog()
    retains.extend(line.split()[1] for line in lines if line.startswith("retain"))
    return [line for line in lines if not line.startswith("retain")]


context = lowbit.Context("sm_90a", cache_dir="")
# sm_90a's W8A8 kernel past 64 tokens: stream-K (partial sums in its
# module) and programmatic launches allowed.
kernel = context.compile("matmul m=200 n=304 k=2048 a=i8 w=s8 out=bf16")
assert kernel.entry.get("shared_workspace") and kernel.entry.get("dependent_launch")
args = [4096] * len(kernel.entry["params"])
s0, s1 = fake.fakeCudaStream(0, 0), fake.fakeCudaStream(1, 0)


def launch(stream, expect, device=None):
    kernel.launch(args, stream, device)
    got = log()
    assert got == expect, (got, expect)
    # Nothing left pushed.
    assert fake.fakeCudaDepth() == 0


def refused(stream, why, device=None):
    try:
        kernel.launch(args, stream, device)
    except lowbit.LowbitError as error:
        assert why in str(error), error
        assert log() == [] and fake.fakeCudaDepth() == 0
        return
    raise AssertionError("launched: " + why)


# A thread whose current context is its own, on device 1.
mine = ctypes.c_void_p()
assert fake.cuCtxCreate_v2(ctypes.byref(mine), 0, 1) == 0
log()
# The stream's device, its module loaded there; each launch after the first
# waits for the one before (the workspace is the module's).
launch(s1, ["load-module device=1", "launch device=1", "record device=1"])
launch(s1, ["wait device=1", "launch device=1", "record device=1"])
launch(s0, ["load-module device=0", "launch device=0", "record device=0"])
assert fake.fakeCudaCurrentDevice() == 1
# Streams of a context that is not its device's primary one (this
# thread's own), its default stream included: errors.
refused(fake.fakeCudaStreamIn(mine, 0), "belongs to a context that is not device 1's primary")
refused(None, "default stream of the current context is not device 1's primary")
# A device named: the default stream is that device's primary context's,
# whatever is current; another device's stream an error.
launch(None, ["wait device=0", "launch device=0", "record device=0"], device=0)
refused(s1, "the stream is device 1's, not device 0's", device=0)
refused(None, "no CUDA device 7", device=7)
refused(None, "device -5 is neither an ordinal nor -1", device=-5)
assert fake.fakeCudaCurrentDevice() == 1
# On a capturing stream: neither wait (for a launch outside the capture)
# nor mark (an eager launch could not wait for a mark made in it).
launch(fake.fakeCudaStream(0, 1), ["launch captured device=0"])
launch(s0, ["wait device=0", "launch device=0", "record device=0"])
# A capture invalidated before: an error naming it.
refused(fake.fakeCudaStream(0, 2), "invalidated")
# A context that cannot be made current: an error, not a call in another.
fake.fakeCudaFailPushes(1)
refused(s0, "cuCtxPushCurrent")
fake.fakeCudaFailPushes(0)
context.set_programmatic_launches(True)
launch(s1, ["wait device=1", "launch-programmatic device=1", "record device=1"])
context.set_programmatic_launches(False)


# A thread that never had a context.
def bare():
    launch(s1, ["wait device=1", "launch device=1", "record device=1"])
    # The default stream without a current context: device 0's.
    launch(None, ["wait device=0", "launch device=0", "record device=0"])
    assert fake.fakeCudaCurrentDevice() == -1


errors = []
thread = threading.Thread(target=lambda: errors.append(None) if bare() is None else None)
thread.start()
thread.join()
assert errors == [None], "the launch from a thread without a context failed"
# Each device's primary context retained twice in all: when it opened and
# once for the streams' check, not per launch.
assert sorted(retains) == ["0", "0", "1", "1"], retains
# Dropping the context unloads its module on each device, under that
# device's context (the fake refuses another's).
del kernel, context
assert sorted(log()) == ["unload-module device=0", "unload-module device=1"]
assert fake.fakeCudaDepth() == 0
print("ok")
"""


@pytest.mark.skipif(not os.environ.get("LOWBIT_FAKE_CUDA_DIR"),
                    reason="needs the stand-in CUDA driver (LOWBIT_FAKE_CUDA_DIR; ctest sets it)")
def test_launches_on_the_stand_in_driver():
    """The C API's launch logic without a GPU, on test/FakeCuda's driver:
    each launch on its stream's device and under the device's context only
    (the thread's own context stays current, in a thread without one too);
    a stream-K kernel's launches ordered through an event, but not on a
    capturing stream; an invalidated capture an error; programmatic launches
    through cuLaunchKernelEx."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (env["LOWBIT_FAKE_CUDA_DIR"], env.get("LD_LIBRARY_PATH")) if p)
    _run_script_printing_ok(FAKE_CUDA_SCRIPT, env)


FAKE_CUDA_TUNE_SCRIPT = r"""
import collections, ctypes
import lowbit

fake = ctypes.CDLL("libcuda.so.1")
assert hasattr(fake, "fakeCudaLog"), "not the stand-in driver"
fake.fakeCudaLog.restype = ctypes.c_char_p
context = lowbit.Context("sm_90a", cache_dir="")
counts = {}
for launch in ("plain", "programmatic"):
    fake.fakeCudaClearLog()
    live = fake.fakeCudaLiveAllocations()
    spec = "matmul m=1 n=1024 k=1024 a=e4m3:per_tensor w=s4 out=f32 launch=" + launch
    # The stand-in driver computes nothing, so no candidate's result matches
    # the host product: the tuner says so after timing them all.
    try:
        context.compile(spec, config="tune")
        raise AssertionError("tuned on the stand-in driver")
    except lowbit.LowbitError as error:
        assert "no candidate matched the host product" in str(error), error
    counts[launch] = collections.Counter(
        line.split()[0] for line in fake.fakeCudaLog().decode().splitlines())
    # The operand sets are freed: a host program keeps its context while it
    # tunes one spec after another.
    assert fake.fakeCudaLiveAllocations() == live, (launch, live, fake.fakeCudaLiveAllocations())
plain, programmatic = counts["plain"], counts["programmatic"]
assert plain["launch"] > 0 and plain["launch-programmatic"] == 0, plain
# The programmatic spec's plain launches are the hold kernel, one before
# each timed region (two events), which queues the chain behind it.
assert programmatic["launch-programmatic"] > 0, programmatic
assert 0 < programmatic["launch"] <= programmatic["record"] // 2, programmatic
# Timed in chains of 8 launches (one event pair per chain), single launches
# otherwise.
per_region = programmatic["launch-programmatic"] / programmatic["record"]
assert per_region > 3 * plain["launch"] / plain["record"], (plain, programmatic)
# Every module the tuner loaded (candidates, the hold kernel) is unloaded.
for count in (plain, programmatic):
    assert count["load-module"] > 0 and count["unload-module"] == count["load-module"], count
print("ok")
"""


@pytest.mark.skipif(not os.environ.get("LOWBIT_FAKE_CUDA_DIR"),
                    reason="needs the stand-in CUDA driver (LOWBIT_FAKE_CUDA_DIR; ctest sets it)")
def test_tuner_times_programmatic_specs_in_programmatic_chains():
    """A spec with launch=programmatic is tuned as it will run: each
    candidate timed in chains of programmatic launches queued behind the hold
    kernel (on the stand-in driver, which logs them), a plain spec in single
    plain launches; the tuner unloads every module it loaded and frees every
    buffer it allocated."""
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in (env["LOWBIT_FAKE_CUDA_DIR"], env.get("LD_LIBRARY_PATH")) if p)
    _run_script_printing_ok(FAKE_CUDA_TUNE_SCRIPT, env)


def test_c_api_null_arguments_are_errors_not_crashes():
    lib = lowbit._capi.lib()
    assert lib.lowbitKernelManifest(None) is None
    assert lib.lowbitKernelSource(None) is None
    ctx = lowbit.Context("sm_90a", cache_dir="")
    count = ctypes.c_int64()
    assert lib.lowbitScaleCount(ctx._handle, b"u4:g128", 4, 256, None) != 0
    with pytest.raises(lowbit.LowbitError, match="lowbitScaleCount: null argument"):
        ctx._raise()
    # A scheme is one w= field, not a spec's tail.
    assert lib.lowbitScaleCount(ctx._handle, b"u4:g4 m=5 n=2", 4, 8, ctypes.byref(count)) != 0
    assert b"is not a weight scheme" in lib.lowbitContextError(ctx._handle)
    with pytest.raises(lowbit.LowbitError, match=r"a \[0, 64\] weight: rows and columns"):
        lowbit.quantize(np.zeros((0, 64), np.float32), "u4:g32:zp")
    # A success clears the error of the call before it.
    assert lib.lowbitScaleCount(ctx._handle, b"u4:g128", 4, 256, ctypes.byref(count)) == 0
    assert count.value == 8 and lib.lowbitContextError(ctx._handle) == b""
    assert lib.lowbitContextSetProgrammaticLaunches(None, 1) != 0
    # Switching launches opens no device: it works without a GPU.
    ctx.set_programmatic_launches(True)
    ctx.set_programmatic_launches(False)


def test_c_api_pack_sizes_that_overflow_are_errors():
    """The packers size their output from rows x cols x bits: a product that
    wraps 64 bits (2^62 x 4 rows of codes is 0 bytes wrapped) is an error
    before any byte is read or written, not a write past the buffer."""
    lib = lowbit._capi.lib()
    ctx = lowbit.Context("sm_90a", cache_dir="")
    codes = np.zeros(64, np.uint8)
    out = np.zeros(64, np.uint8)
    c, o = (a.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)) for a in (codes, out))
    huge = 1 << 62
    assert lib.lowbitPackCodes(ctx._handle, c, huge, 4, 4, o) != 0
    assert b"codes of 4 bits overflow 64 bits" in lib.lowbitContextError(ctx._handle)
    assert lib.lowbitPackSignMagnitude(ctx._handle, c, huge, 64, o) != 0
    assert b"overflow 64 bits" in lib.lowbitContextError(ctx._handle)
    order = np.arange(200, dtype=np.int64)
    assert lib.lowbitPackInterleaved(ctx._handle, c, 1, 8, 4, order.ctypes.data_as(
        ctypes.POINTER(ctypes.c_int64)), 1 << 40, o) != 0
    assert b"a group is at most 128 codes" in lib.lowbitContextError(ctx._handle)
    for rows, k in ((huge, 4), (2, 1 << 62)):
        assert lib.lowbitPackBits(ctx._handle, c, rows, k, o) != 0
        assert b"bits overflow 64 bits" in lib.lowbitContextError(ctx._handle)
    assert (out == 0).all()
    # Sizes that fit still pack.
    assert lib.lowbitPackCodes(ctx._handle, c, 2, 4, 4, o) == 0


@pytest.mark.parametrize("scheme,bits", [("u3:g128:zp", 3), ("s3:g64", 3), ("s5", 5),
                                         ("u6:g32:zp", 6)])
def test_quantize_odd_widths(scheme, bits):
    """3-, 5- and 6-bit integer codes (GPTQ's 3-bit layers): in range, and
    rounded to the nearest of their 2^bits levels."""
    w = RNG.standard_normal((64, 256)).astype(np.float32)
    q = lowbit.quantize(w, scheme)
    back = lowbit.dequantize(q)
    assert q.codes.max() < 2 ** bits and q.codes.max() >= 2 ** (bits - 1)
    steps = np.repeat(q.scales, w.size // q.scales.size).reshape(w.shape)
    assert np.all(np.abs(back - w) <= 0.5 * steps * (1 + 1e-5) + 1e-7)


def test_quantize_fp6():
    w = RNG.standard_normal((64, 256)).astype(np.float32)
    q = lowbit.quantize(w, "e3m2:g32")
    assert q.codes.max() < 64
    assert np.linalg.norm(lowbit.dequantize(q) - w) / np.linalg.norm(w) < 0.1


def test_quantize_errors():
    with pytest.raises(lowbit.LowbitError, match="2-D"):
        lowbit.quantize(np.zeros(8, np.float32))
    with pytest.raises(lowbit.LowbitError, match="group size 48 does not divide"):
        lowbit.quantize(np.zeros((4, 64), np.float32), "u4:g48")
    # Unsigned codes without zero points cannot hold a negative weight
    # (they all became code 0); non-negative data is fine.
    w = RNG.standard_normal((4, 64)).astype(np.float32)
    with pytest.raises(lowbit.LowbitError,
                       match="unsigned u4 codes without zero points hold no negative values"):
        lowbit.quantize(w, "u4:g32")
    q = lowbit.quantize(np.abs(w), "u4:g32")
    assert np.abs(lowbit.dequantize(q) - np.abs(w)).max() <= q.scales.max() / 2 * (1 + 1e-5)


def test_weights_whose_scales_do_not_fit_their_scheme_are_errors():
    # The C library reads as many scales as the scheme gives the codes:
    # fewer were read past their end.
    q = lowbit.quantize(RNG.standard_normal((64, 256)).astype(np.float32), "u4:g128:zp")
    lowbit.check_weight(q)
    short = lowbit.QuantizedWeight("u4:g128:zp", q.codes, q.scales[:, :1], q.zero_points)
    with pytest.raises(lowbit.LowbitError, match="has 128 scales, got 64"):
        lowbit.dequantize(short)
    with pytest.raises(lowbit.LowbitError, match="scheme u4:g128:zp needs zero points"):
        lowbit.dequantize(lowbit.QuantizedWeight("u4:g128:zp", q.codes, q.scales))
    with pytest.raises(lowbit.LowbitError, match="scheme u4:g128 takes no zero points"):
        lowbit.matmul(np.ones((1, 256), np.float32),
                      lowbit.QuantizedWeight("u4:g128", q.codes, q.scales, q.zero_points))
    with pytest.raises(lowbit.LowbitError, match="has 128 zero points, got 2"):
        lowbit.dequantize(lowbit.QuantizedWeight("u4:g128:zp", q.codes, q.scales,
                                                 q.zero_points[:1, :2]))
    # As many scales, stored [groups, N] as GPTQ and AWQ checkpoints do: read
    # flat they would belong to other rows.
    with pytest.raises(lowbit.LowbitError, match=r"has scales of shape \(64, 2\), got \(2, 64\)"):
        lowbit.dequantize(lowbit.QuantizedWeight("u4:g128:zp", q.codes, q.scales.T.copy(),
                                                 q.zero_points))
    # Flat ones are read in that order.
    lowbit.check_weight(lowbit.QuantizedWeight("u4:g128:zp", q.codes, q.scales.ravel(),
                                               q.zero_points.ravel()))
    # Codes are one per byte: int32 ones would be cut to their low byte.
    with pytest.raises(lowbit.LowbitError, match="one per byte .* got int32"):
        lowbit.dequantize(lowbit.QuantizedWeight("u4:g128:zp", q.codes.astype(np.int32),
                                                 q.scales, q.zero_points))


def test_matmul_numpy_reference():
    w = RNG.standard_normal((128, 256)).astype(np.float32)
    x = RNG.standard_normal((3, 256)).astype(np.float32)
    q = lowbit.quantize(w, "u4:g128:zp")
    y = lowbit.matmul(x, q)
    np.testing.assert_allclose(y, x @ lowbit.dequantize(q).T, rtol=1e-5, atol=1e-5)
    # Close to the unquantized product (4-bit weights: ~10%).
    assert np.linalg.norm(y - x @ w.T) / np.linalg.norm(x @ w.T) < 0.15
    with pytest.raises(lowbit.LowbitError, match="x must be"):
        lowbit.matmul(np.zeros((3, 255), np.float32), q)


def test_codes_and_strings_reach_the_c_api_unchanged():
    """Values a cast to bytes would wrap or truncate, and strings a NUL would
    cut short, are errors (260 was packed as 4, 3.7 as 3, a spec's layout
    after a NUL dropped); so are codes and zero points that are no code of
    the scheme (a u4 code 16 was read as 0)."""
    with pytest.raises(lowbit.LowbitError, match="one per byte"):
        lowbit.pack_codes(np.full((1, 2), 260, np.int32), 4)
    with pytest.raises(lowbit.LowbitError, match="codes must be integers"):
        lowbit.pack_codes(np.full((1, 2), 3.7), 4)
    with pytest.raises(lowbit.LowbitError, match="expected 1 to 8"):
        lowbit.pack_codes(np.ones((1, 2), np.uint8), 2**32 + 4)
    with pytest.raises(lowbit.LowbitError, match="one per byte"):
        lowbit.pack_bits(np.full((1, 8), 257, np.int32))
    with pytest.raises(lowbit.LowbitError, match="one per byte"):
        lowbit.pack_sign_magnitude(np.full((1, 32), 65539, np.int32))
    with pytest.raises(lowbit.LowbitError, match="NUL"):
        lowbit.compile("matmul m=1 n=256 k=256 a=f16 w=u4:g128\0 layout=half_fragment")
    with pytest.raises(lowbit.LowbitError, match="NUL"):
        lowbit.quantize(np.ones((4, 128), np.float32), "u4\0:zp")
    with pytest.raises(lowbit.LowbitError, match="must be a string"):
        lowbit.quantize(np.ones((4, 128), np.float32), None)
    q = lowbit.quantize(RNG.standard_normal((4, 128)).astype(np.float32), "u4:g32:zp")
    with pytest.raises(lowbit.LowbitError, match="code 16 at index 0 is not a 4-bit code"):
        lowbit.dequantize(lowbit.QuantizedWeight(q.scheme, np.full_like(q.codes, 16), q.scales,
                                                 q.zero_points))
    with pytest.raises(lowbit.LowbitError, match="is not a 4-bit integer code"):
        lowbit.dequantize(lowbit.QuantizedWeight(q.scheme, q.codes, q.scales,
                                                 q.zero_points + 0.5))
    # IR nested 20000 deep overflowed MLIR's parser's stack (a crash of the
    # host program): an error before parsing.
    deep = ("func.func @f() { %0 = arith.constant dense<" + "[" * 20000 + "1" + "]" * 20000 +
            "> : tensor<1xi32> return }")
    with pytest.raises(lowbit.LowbitError, match="nests brackets 2000[0-9] deep; at most 256"):
        lowbit.Context("sm_90a", cache_dir="").compile_mlir(deep)
    # Row sizes past 2^56 bits, or negative, are -1 (the size came out negative).
    lib = lowbit._capi.lib()
    assert lib.lowbitBitRowBytes(1000) == 128
    assert lib.lowbitBitRowBytes(2**63 - 1) == -1 and lib.lowbitBitRowBytes(-1) == -1
    # Signed codes may come as int8 (two's complement bytes).
    s4 = lowbit.quantize(RNG.standard_normal((4, 128)).astype(np.float32), "s4")
    as_int8 = ((s4.codes.astype(np.int16) ^ 8) - 8).astype(np.int8)
    assert np.array_equal(lowbit.dequantize(lowbit.QuantizedWeight("s4", as_int8, s4.scales)),
                          lowbit.dequantize(s4))


def test_pack_codes_is_one_stream_low_bits_first():
    for bits in (2, 3, 4, 6):
        codes = RNG.integers(0, 2 ** bits, (4, 64), dtype=np.uint8)
        packed = lowbit.pack_codes(codes, bits)
        assert packed.shape == (4, 64 * bits // 8)
        planes = (codes[..., None] >> np.arange(bits, dtype=np.uint8)) & 1  # low bit first
        assert (packed.ravel() == np.packbits(planes.ravel(), bitorder="little")).all(), bits
    assert (lowbit.pack4(codes & 15) == lowbit.pack_codes(codes & 15, 4)).all()
    # Rows of 5 x 3 bits are not whole bytes: the flat stream.
    assert lowbit.pack_codes(codes[:, :5] & 7, 3).shape == (8,)
    bad = codes & 7
    bad[1, 2] = 8
    with pytest.raises(lowbit.LowbitError, match=r"code 8 at \(1, 2\) does not fit 3 bits"):
        lowbit.pack_codes(bad, 3)
    with pytest.raises(lowbit.LowbitError, match="codes of 9 bits; expected 1 to 8"):
        lowbit.pack_codes(codes, 9)


def test_pack_codes_interleaves_each_group_in_its_order():
    # AWQ's word order, a two-word 2-bit order and a four-word 4-bit one
    # (the half-fragment order of branch w4a16-fragment).
    half_fragment = [2 * q + 8 * (s % 4) + s // 4 for q in range(4) for s in range(8)]
    for bits, order in ((4, [0, 2, 4, 6, 1, 3, 5, 7]), (2, list(range(31, -1, -1))),
                        (4, half_fragment)):
        codes = RNG.integers(0, 2 ** bits, (3, 4 * len(order)), dtype=np.uint8)
        packed = lowbit.pack_codes(codes, bits, order=order)
        # Position p of each group holds the group's code order[p], in a
        # little-endian stream of whole words: a stream of the codes with
        # each group's columns permuted.
        groups = codes.reshape(3, -1, len(order))[:, :, order].reshape(codes.shape)
        planes = (groups[..., None] >> np.arange(bits, dtype=np.uint8)) & 1
        expected = np.packbits(planes.reshape(3, -1), axis=1, bitorder="little")
        assert (packed == expected).all(), (bits, order)
    codes = RNG.integers(0, 16, (2, 16), dtype=np.uint8)
    with pytest.raises(lowbit.LowbitError, match="interleave order is not a permutation"):
        lowbit.pack_codes(codes, 4, order=[0, 0, 1, 2, 3, 4, 5, 6])
    with pytest.raises(lowbit.LowbitError, match="not one, two or four 32-bit words"):
        lowbit.pack_codes(codes, 4, order=[0, 1, 2, 3])
    with pytest.raises(lowbit.LowbitError, match="interleave needs cols to be a multiple of 8"):
        lowbit.pack_codes(codes[:, :12], 4, order=[0, 2, 4, 6, 1, 3, 5, 7])
    with pytest.raises(lowbit.LowbitError, match="does not fit 4 bits"):
        lowbit.pack_codes(codes + 16, 4, order=[0, 2, 4, 6, 1, 3, 5, 7])
    with pytest.raises(lowbit.LowbitError, match="interleave holds 2-, 4- or 8-bit codes"):
        lowbit.pack_codes(codes & 7, 3, order=list(range(32)))


def test_pack_sign_magnitude_words_widen_to_e4m3_of_the_codes():
    # Each 16 bytes of a row are four words; word q masked with 0x87878787
    # is the e4m3 bytes of code / 512 for codes 4q .. 4q + 3 of the group,
    # the word rotated right by 4 and masked alike those of 16 + 4q ...
    ml_dtypes = pytest.importorskip("ml_dtypes")
    codes = RNG.integers(-7, 8, (3, 96)).astype(np.int8)
    packed = lowbit.pack_sign_magnitude(codes)
    assert packed.shape == (3, 48)
    words = packed.reshape(3, -1, 4, 4).copy().view("<u4")[..., 0]  # [row, group, q]
    mask = np.uint32(0x87878787)
    low = words & mask
    high = ((words >> np.uint32(4)) | (words << np.uint32(28))) & mask
    for half, regs in ((0, low), (1, high)):
        values = regs[..., None].view(np.uint8).reshape(3, -1, 4, 4).view(ml_dtypes.float8_e4m3fn)
        expected = codes.reshape(3, -1, 2, 4, 4)[:, :, half]  # [row, group, q, j]
        assert (values.astype(np.float32) * 512 == expected).all(), half
    bad = np.zeros((1, 32), np.int8)
    bad[0, 5] = -8
    with pytest.raises(lowbit.LowbitError, match="code -8 at row 0, column 5"):
        lowbit.pack_sign_magnitude(bad)
    with pytest.raises(lowbit.LowbitError, match="multiple of 32"):
        lowbit.pack_sign_magnitude(np.zeros((1, 48), np.int8))
    # Codes that are not 4-bit ones are errors, not wrapped.
    for wide in (9, -9):
        bad = np.zeros((1, 32), np.int8)
        bad[0, 3] = wide
        with pytest.raises(lowbit.LowbitError, match="codes must be -7..7"):
            lowbit.pack_sign_magnitude(bad)
    with pytest.raises(lowbit.LowbitError, match="does not fit 4 bits"):
        lowbit.pack_sign_magnitude(np.full((1, 32), 16, np.uint8))
    with pytest.raises(lowbit.LowbitError, match="codes must be integers"):
        lowbit.pack_sign_magnitude(np.zeros((1, 32), np.float32))


def test_pack4_matches_the_kernel_layout():
    codes = np.array([[1, 2, 3, 4]], np.uint8)
    assert lowbit.pack4(codes).tolist() == [[0x21, 0x43]]


def test_pack_bits_matches_the_kernel_layout():
    bits = RNG.integers(0, 2, (2, 3, 133)).astype(np.uint8)
    packed = lowbit.pack_bits(bits)
    assert packed.shape == (2, 3, 32)
    # Lowest bit first, 133 bits in 17 bytes, zero bits to 32 bytes.
    assert (packed[..., :17] == np.packbits(bits, axis=-1, bitorder="little")).all()
    assert not packed[..., 17:].any()
    bits[1, 2, 5] = 2
    with pytest.raises(lowbit.LowbitError, match="value 2 at row 5, column 5 is not 0 or 1"):
        lowbit.pack_bits(bits)


def test_bipolar_values():
    planes = np.array([[[1, 0, 1]], [[1, 1, 0]]], np.uint8)  # P = 2, one row
    assert lowbit.bipolar_values(planes).tolist() == [[3, 1, -1]]


BITPLANE_SOURCE = """
func.func @w2a2(%a: tensor<2x200x1000xi1>, %w: tensor<2x136x1000xi1>) -> tensor<200x136xi32> {
  %c = lowbit.bitplane_matmul %a, %w : tensor<2x200x1000xi1>, tensor<2x136x1000xi1> -> tensor<200x136xi32>
  return %c : tensor<200x136xi32>
}"""


def test_compile_bitplane_mlir():
    kernel = lowbit.Context("sm_90a", cache_dir="").compile_mlir(BITPLANE_SOURCE)
    entry = kernel.entry
    assert entry["name"] == "w2a2_bitplane0"
    roles = [(p["role"], p["dtype"], p.get("layout")) for p in entry["params"]]
    assert roles == [("input", "b1", "bits"), ("weight", "b1", "bits"), ("result", "i4", None)]


def _has_library():
    try:
        lowbit._capi.lib()
    except (lowbit.LowbitError, OSError):
        return False
    return True


def _weight(**fields):
    """A u4:g128:zp QuantizedWeight of [4, 256] codes made without the
    library, with `fields` replaced."""
    q = lowbit.QuantizedWeight("u4:g128:zp", np.zeros((4, 256), np.uint8),
                               np.ones((4, 2), np.float32), np.zeros((4, 2), np.float32))
    return dataclasses.replace(q, **fields)


def _raises_type_error(call, name):
    """`call` raises a TypeError (a LowbitError too) whose message names the
    argument `name`: these escaped as AttributeErrors, unhashable-type or
    conversion errors from inside numpy and ctypes, or were taken."""
    with pytest.raises(TypeError) as error:
        call()
    assert isinstance(error.value, lowbit.LowbitError), repr(error.value)
    assert name in str(error.value), str(error.value)


@pytest.mark.parametrize("call,name", [
    (lambda: lowbit.compile("matmul", arch=["sm_90a"]), "arch must be a string"),
    (lambda: lowbit.quantize(None), "weight must be"),
    (lambda: lowbit.quantize("abc"), "weight must be"),
    (lambda: lowbit.dequantize(np.zeros((4, 256), np.uint8)), "q must be a QuantizedWeight"),
    (lambda: lowbit.check_weight(None), "q must be a QuantizedWeight"),
    (lambda: lowbit.dequantize(_weight(codes=[[0] * 256] * 4)), "q.codes must be"),
    (lambda: lowbit.dequantize(_weight(scheme=None)), "q.scheme must be"),
    (lambda: lowbit.dequantize(_weight(scales=None)), "q.scales must be"),
    (lambda: lowbit.check_weight(_weight(scales="abc")), "q.scales must be"),
    (lambda: lowbit.check_weight(_weight(zero_points="ab")), "q.zero_points must be"),
    (lambda: lowbit.matmul(np.ones((1, 256)), np.zeros((4, 256), np.uint8)), "q must be"),
    (lambda: lowbit.matmul(None, _weight()), "x must be"),
    (lambda: lowbit.matmul("abc", _weight()), "x must be"),
    (lambda: lowbit.weight_layout(None, "sm_90a", 8192, 8192), "scheme must be"),
    (lambda: lowbit.weight_layout("u4:g128", None, 8192, 8192), "arch must be"),
    (lambda: lowbit.weight_layout("u4:g128", "sm_90a", "8192", 8192), "n must be"),
    (lambda: lowbit.pack_codes(None, 4), "codes must be"),
    (lambda: lowbit.pack_codes(np.zeros((1, 8), np.uint8), "4"), "bits must be"),
    (lambda: lowbit.pack_codes(np.zeros((1, 8), np.uint8), 4, order="ab"), "order must be"),
    # Floats were truncated to positions: this order packed as 0, 1, 2, ...
    (lambda: lowbit.pack_codes(np.zeros((1, 8), np.uint8), 4,
                               order=[0.5, 1.2, 2, 3, 4, 5, 6, 7]), "order must be"),
    (lambda: lowbit.pack4(None), "codes must be"),
    (lambda: lowbit.pack_bits(None), "bits must be"),
    (lambda: lowbit.bipolar_values(None), "planes must be"),
    (lambda: lowbit.bipolar_values(["1", "0"]), "planes must be"),
])
def test_arguments_of_the_wrong_type_are_type_errors(call, name):
    _raises_type_error(call, name)


def test_scalars_for_arrays_are_errors():
    # bipolar_values indexed the shape of a scalar; pack_bits made it a row.
    with pytest.raises(lowbit.LowbitError, match="planes must be"):
        lowbit.bipolar_values(5)
    with pytest.raises(lowbit.LowbitError, match="pack_bits: expects an array"):
        lowbit.pack_bits(1)


@pytest.mark.skipif(not _has_library(), reason="libLowbitC.so is not built")
def test_arguments_of_the_wrong_type_are_type_errors_at_the_c_api():
    """Strings for the C API, and launch arguments: ctypes raised its own
    ArgumentError or TypeError, or took a str stream as an address."""
    _raises_type_error(lambda: lowbit.compile(None), "spec must be a string")
    _raises_type_error(lambda: lowbit.Context(5), "arch must be a string")
    _raises_type_error(lambda: lowbit.Context("sm_90a", cache_dir=5), "cache_dir must be")
    _raises_type_error(lambda: lowbit.Context("sm_90a", cache_dir="").compile_mlir(None),
                       "source must be")
    _raises_type_error(lambda: lowbit.quantize(np.ones((4, 128), np.float32), 4),
                       "scheme must be")
    kernel = lowbit.Context("sm_90a", cache_dir="").compile(
        "matmul m=1 n=256 k=256 a=f16 w=u4:g128:zp")
    pointers = [0] * len(kernel.entry["params"])
    _raises_type_error(lambda: kernel.launch(None), "pointers must be")
    _raises_type_error(lambda: kernel.launch([1.5] + pointers[1:]), "pointers[0] must be")
    _raises_type_error(lambda: kernel.launch(pointers, "stream"), "stream must be")
    _raises_type_error(lambda: kernel.launch(pointers, object()), "stream must be")
    _raises_type_error(lambda: kernel.launch(pointers, None, "cuda:0"), "device must be")


@pytest.mark.skipif(not _has_library(), reason="libLowbitC.so is not built")
def test_weight_shape_is_checked_before_it_is_read(tmp_path):
    """matmul read q.codes.shape[1] of 1-D codes (an IndexError) before
    check_weight said what is wrong; a pathlib cache folder is a path."""
    rng = np.random.default_rng(5)
    q = lowbit.quantize(rng.standard_normal((8, 256)).astype(np.float32), "u4:g128:zp")
    flat = lowbit.QuantizedWeight(q.scheme, q.codes.reshape(-1), q.scales, q.zero_points)
    with pytest.raises(lowbit.LowbitError, match=r"weight codes must be \[N, K\]"):
        lowbit.matmul(np.ones((1, 256), np.float32), flat)
    with pytest.raises(lowbit.LowbitTypeError, match="pack_sign_magnitude: codes must be"):
        lowbit.pack_sign_magnitude(None)
    # An empty order is the C API's to refuse (numpy makes [] float64); a
    # plane of 0.5 was cast to 0.
    with pytest.raises(lowbit.LowbitError) as empty:
        lowbit.pack_codes(np.ones((2, 8), np.uint8), 4, order=[])
    assert not isinstance(empty.value, lowbit.LowbitTypeError)
    with pytest.raises(lowbit.LowbitError, match="planes hold bits"):
        lowbit.bipolar_values(np.array([[0.5, 1.0]]))
    np.testing.assert_array_equal(lowbit.bipolar_values(np.array([[0.0, 1.0]])), [-1, 1])
    context = lowbit.Context("sm_90a", cache_dir=tmp_path / "cache")
    kernel = context.compile("matmul m=1 n=256 k=256 a=f16 w=u4:g128:zp")
    assert kernel.entry["params"]
    assert any((tmp_path / "cache").iterdir())


@pytest.mark.skipif(not _has_library(), reason="libLowbitC.so is not built")
def test_ml_dtypes_scales_are_real_numbers():
    """ml_dtypes' bfloat16 arrays (numpy kind "V") were cast to f32 before
    the type checks, and must still be: the wrong-type check took them for
    objects."""
    ml_dtypes = pytest.importorskip("ml_dtypes")
    rng = np.random.default_rng(7)
    q = lowbit.quantize(rng.standard_normal((8, 256)).astype(np.float32), "u4:g128:zp")
    rounded = q.scales.astype(ml_dtypes.bfloat16)
    as_bf16 = lowbit.QuantizedWeight(q.scheme, q.codes, rounded, q.zero_points)
    as_f32 = lowbit.QuantizedWeight(q.scheme, q.codes, rounded.astype(np.float32), q.zero_points)
    np.testing.assert_array_equal(lowbit.dequantize(as_bf16), lowbit.dequantize(as_f32))


FAKE_TORCH_TYPES_SCRIPT = r"""
import sys, types

# Just what lowbit.torch reads of torch before its type checks.
torch = types.ModuleType("torch")
torch.float16, torch.bfloat16, torch.float32 = "f16", "bf16", "f32"


class Tensor:
    is_cuda = False

    def float(self):
        return self


class Linear:
    pass


torch.Tensor, torch.from_numpy = Tensor, lambda array: array
torch.nn = types.SimpleNamespace(Module=object, Linear=Linear)
sys.modules["torch"] = torch

import numpy as np
import lowbit
import lowbit.torch as lt

q = lowbit.QuantizedWeight("s4", np.zeros((4, 256), np.uint8), np.ones((4, 1), np.float32))
array = np.zeros((4, 256), np.float32)


def type_error(call, name):
    try:
        call()
    except TypeError as error:
        assert isinstance(error, lowbit.LowbitError) and name in str(error), repr(error)
    else:
        raise AssertionError("no TypeError naming " + name)


type_error(lambda: lt.matmul(array, q), "x must be a torch tensor")
type_error(lambda: lt.matmul(None, q), "x must be a torch tensor")
type_error(lambda: lt.matmul(Tensor(), array), "q must be a QuantizedWeight")
type_error(lambda: lt.quantize_activations(array, "e4m3"), "x must be a torch tensor")
type_error(lambda: lt.quantize_activations(Tensor(), ["e4m3"]), "activations must be")
type_error(lambda: lt.kernel_for(1, array, torch.float16), "q must be a QuantizedWeight")
type_error(lambda: lt.kernel_for("1", q, torch.float16), "m must be an int")
type_error(lambda: lt.kernel_for(1, q, torch.float16, layout=4), "layout must be")
type_error(lambda: lt.kernel_for(1, q, torch.float16, activations=["i8"]), "activations must be")
type_error(lambda: lt.QuantLinear(array), "q must be a QuantizedWeight")
type_error(lambda: lt.QuantLinear(q, bias=np.zeros(4)), "bias must be")
type_error(lambda: lt.QuantLinear(q, activations=8), "activations must be")
type_error(lambda: lt.QuantLinear.from_linear(array), "linear must be a torch.nn.Linear")
# An unhashable out_dtype was a TypeError of dict lookup; a name now.
try:
    lt.kernel_for(1, q, torch.float16, out_dtype=["f16"])
    raise AssertionError("a list out_dtype was taken")
except lowbit.LowbitError as error:
    assert "out_dtype" in str(error), error
print("ok")
"""


def test_torch_arguments_of_the_wrong_type_are_type_errors():
    """lowbit.torch's entry points name a numpy array given for a tensor, or
    a list for a QuantizedWeight (AttributeErrors before). Run against a
    stand-in torch module, in a process of its own."""
    _run_script_printing_ok(FAKE_TORCH_TYPES_SCRIPT, dict(os.environ))


torch = pytest.importorskip("torch") if os.environ.get("LOWBIT_TORCH_TESTS") else None


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("m,dtype", [(1, "float16"), (16, "bfloat16"), (256, "float16")])
def test_torch_cuda_matches_reference(m, dtype):
    import lowbit.torch as lt
    dtype = getattr(torch, dtype)
    w = RNG.standard_normal((512, 1024)).astype(np.float32)
    q = lowbit.quantize(w, "u4:g128:zp")
    x = torch.from_numpy(RNG.standard_normal((m, 1024)).astype(np.float32)).to("cuda", dtype)
    y = lt.matmul(x, q)
    ref = x.float().cpu().numpy() @ lowbit.dequantize(q).T
    rel = np.linalg.norm(y.float().cpu().numpy() - ref) / np.linalg.norm(ref)
    assert rel < (1e-2 if dtype == torch.bfloat16 else 2e-3), rel

    linear = torch.nn.Linear(1024, 512, bias=True)
    ql = lt.QuantLinear.from_linear(linear, "u4:g128:zp").to("cuda")
    out = ql(x)
    expect = torch.nn.functional.linear(x.float(), torch.from_numpy(lowbit.dequantize(ql.q)).cuda(),
                                        linear.bias.cuda().float())
    assert torch.allclose(out.float(), expect, rtol=2e-2, atol=2e-2)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("activations,scheme,layout,m", [
    ("e4m3", "s4", None, 1), ("e4m3", "s4", None, 16), ("e4m3", "s4", None, 200),
    ("e4m3", "s4", "sign_magnitude", 1), ("e4m3", "s4", "sign_magnitude", 300),
    ("i8", "s4", None, 4), ("i8", "s4", None, 256), ("i8", "s8", None, 64)])
def test_torch_quantized_activations(activations, scheme, layout, m):
    """W4A8 / W8A8 from torch: each token quantized to e4m3 or int8 codes
    with a scale (quantize_activations), then the kernel on those codes; y
    matches the product of the quantized tokens and the weights, and the
    CPU path quantizes the same way."""
    import lowbit.torch as lt
    if torch.cuda.get_device_capability() < (8, 9) and activations == "e4m3":
        pytest.skip("e4m3 activations need sm_89 or newer")
    if layout == "sign_magnitude" and torch.cuda.get_device_capability() != (9, 0):
        pytest.skip("sign_magnitude weights run on sm_90a")
    q = lowbit.quantize(RNG.standard_normal((256, 1024)).astype(np.float32), scheme)
    x = torch.from_numpy(RNG.standard_normal((m, 1024)).astype(np.float32)).to("cuda",
                                                                            torch.bfloat16)
    codes, scales = lt.quantize_activations(x, activations)
    assert codes.dtype == (torch.float8_e4m3fn if activations == "e4m3" else torch.int8)
    assert scales.shape == (m, 1) and scales.dtype == torch.float32
    dequantized = codes.float() * scales
    # Each token's largest magnitude is the code's largest value.
    top = 448.0 if activations == "e4m3" else 127.0
    assert torch.allclose(codes.float().abs().amax(dim=1), torch.full((m,), top, device="cuda"))
    assert (dequantized - x.float()).norm() / x.float().norm() < (0.05 if activations == "e4m3"
                                                                  else 0.02)
    ref = dequantized.cpu().numpy() @ lowbit.dequantize(q).T
    y = lt.matmul(x, q, out_dtype=torch.float32, layout=layout, activations=activations)
    rel = np.linalg.norm(y.cpu().numpy() - ref) / np.linalg.norm(ref)
    # Integer products are exact; wgmma's e4m3 sums are kept in fewer bits
    # between their promotions to f32.
    assert rel < (3e-3 if activations == "e4m3" else 1e-5), (activations, layout, m, rel)
    # The CPU quantizes alike; a code may round the other way where CUDA's
    # division differs in the last bit (on an H200: up to 1.3e-3 for e4m3,
    # 7.6e-4 for int8).
    cpu = lt.matmul(x.cpu(), q, out_dtype=torch.float32, activations=activations)
    assert np.linalg.norm(cpu.numpy() - ref) / np.linalg.norm(ref) < (
        5e-3 if activations == "e4m3" else 2e-3)
    # The bf16 result and QuantLinear's.
    y16 = lt.matmul(x, q, layout=layout, activations=activations)
    assert y16.dtype == torch.bfloat16
    assert np.linalg.norm(y16.float().cpu().numpy() - ref) / np.linalg.norm(ref) < 1e-2
    linear = lt.QuantLinear(q, activations=activations).to("cuda")
    out = linear(x.reshape(1, m, 1024))
    assert out.shape == (1, m, 256) and torch.equal(out.reshape(m, 256), lt.matmul(
        x, q, activations=activations))
    if scheme == "s4":  # from_linear picks s4 for quantized activations
        layer = lt.QuantLinear.from_linear(torch.nn.Linear(1024, 256), activations=activations)
        assert layer.q.scheme == "s4" and layer.to("cuda")(x).shape == (m, 256)
    # An empty batch takes the same layouts.
    assert lt.matmul(x[:0], q, layout=layout, activations=activations).shape == (0, 256)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
def test_torch_empty_batch_gives_an_empty_result():
    """As torch.nn.Linear: no tokens give a [0, N] result (of [*, 0, N]
    through QuantLinear), not an error."""
    import lowbit.torch as lt
    q = lowbit.quantize(RNG.standard_normal((256, 512)).astype(np.float32), "u4:g128:zp")
    y = lt.matmul(torch.empty((0, 512), dtype=torch.float16, device="cuda"), q,
                  out_dtype=torch.float32)
    assert y.shape == (0, 256) and y.dtype == torch.float32 and y.is_cuda
    out = lt.QuantLinear(q).to("cuda")(torch.empty((2, 0, 512), dtype=torch.bfloat16, device="cuda"))
    assert out.shape == (2, 0, 256) and out.dtype == torch.bfloat16
    # What any other M refuses, an empty batch refuses too.
    with pytest.raises(lowbit.LowbitError, match="results"):
        lt.matmul(torch.empty((0, 512), dtype=torch.float16, device="cuda"), q, out_dtype=torch.int32)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("scheme,m", [("nf4:g64", 1), ("e2m1:g32", 4), ("u2:g64:zp", 2),
                                      ("s4:g128", 16), ("s8", 1), ("u8:g128:zp", 3),
                                      ("s4:g128", 64), ("u4:g256:zp", 200)])
def test_torch_packs_every_format_as_its_kernel_reads_it(scheme, m):
    # Only u4 / s4 codes were packed: NF4, FP4 and 2-bit weights reached
    # kernels that read packed codes one code per byte.
    import lowbit.torch as lt
    q = lowbit.quantize(RNG.standard_normal((256, 1024)).astype(np.float32), scheme)
    x = torch.from_numpy(RNG.standard_normal((m, 1024)).astype(np.float32)).to("cuda", torch.float16)
    ref = x.float().cpu().numpy() @ lowbit.dequantize(q).T
    y = lt.matmul(x, q).float().cpu().numpy()
    assert np.linalg.norm(y - ref) / np.linalg.norm(ref) < 2e-3, scheme
    # A token of another width is an error, not a kernel of that K reading
    # this weight.
    with pytest.raises(lowbit.LowbitError, match="x must be"):
        lt.matmul(x[:, :512].contiguous(), q)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("scheme,m,dtype", [("u4:g128:zp", 1, "bfloat16"), ("s4:g128", 16, "float16"),
                                            ("u4:g64:zp", 9, "float16"), ("u4:g128:zp", 200, "bfloat16")])
def test_torch_half_fragment_weights(scheme, m, dtype):
    # Weights packed in the order the kernel's manifest names (the GEMVs up
    # to 16 tokens, wgmma past them); the same weight then packed for a
    # kernel that reads it packed, each from its own device copy.
    import lowbit.torch as lt
    if torch.cuda.get_device_capability() != (9, 0):
        pytest.skip("half-fragment weights run on sm_90a")
    dtype = getattr(torch, dtype)
    q = lowbit.quantize(RNG.standard_normal((256, 1024)).astype(np.float32), scheme)
    x = torch.from_numpy(RNG.standard_normal((m, 1024)).astype(np.float32)).to("cuda", dtype)
    ref = x.float().cpu().numpy() @ lowbit.dequantize(q).T
    for layout in ("half_fragment", "packed"):
        y = lt.matmul(x, q, layout=layout).float().cpu().numpy()
        rel = np.linalg.norm(y - ref) / np.linalg.norm(ref)
        assert rel < (1e-2 if dtype == torch.bfloat16 else 2e-3), (layout, rel)
    assert len(q._device_copies) == 2
    with pytest.raises(lowbit.LowbitError, match="layout=diagonal"):
        lt.matmul(x, q, layout="diagonal")


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
def test_torch_weights_of_the_same_shape_stay_apart():
    # Device copies of a weight were cached by id(q): a new weight of the
    # same shape that reused a dead one's id ran with the dead one's values.
    import gc
    import lowbit.torch as lt
    x = torch.from_numpy(RNG.standard_normal((4, 256)).astype(np.float32)).to("cuda", torch.float16)
    for _ in range(4):
        q = lowbit.quantize(RNG.standard_normal((128, 256)).astype(np.float32), "u4:g128:zp")
        ref = x.float().cpu().numpy() @ lowbit.dequantize(q).T
        y = lt.matmul(x, q).float().cpu().numpy()
        assert np.linalg.norm(y - ref) / np.linalg.norm(ref) < 2e-3
        del q
        gc.collect()


W4A8_WGMMA = ("#lowbit_gpu.config<strategy = wgmma, block = [128, 128, 256], warp = [128, 64], "
              "mma = [64, 64, 32], mma_type = i8, stages = 4, persistent = true>")


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("weights,config,out", [
    # W8A8 int8: sm_90a's default is the TMA + wgmma kernel.
    ("s8", None, "f32"),
    # W4A8 on wgmma, chosen by config (the 4-bit weights as register A).
    ("s4", W4A8_WGMMA, "f32"),
    # bf16 results are stored through shared memory by TMA: a third map,
    # of the result (plain and transposed).
    ("s8", None, "bf16"),
    ("s4", W4A8_WGMMA, "bf16"),
])
def test_kernel_launch_with_tensor_maps(weights, config, out):
    """Kernels whose operands (and 16-bit results) go through TMA tensor
    maps, launched through the C API on torch tensors: the maps are encoded
    from the pointers on each launch."""
    m, n, k = 200, 320, 544
    spec = f"matmul m={m} n={n} k={k} a=i8 w={weights} out={out}"
    kernel = lowbit.compile(spec, config=config)
    maps = kernel.entry["tensor_maps"]
    assert len(maps) == (3 if out == "bf16" else 2), kernel.entry
    low = -8 if weights == "s4" else -128
    x = RNG.integers(-128, 128, (m, k)).astype(np.int8)
    w = RNG.integers(low, -low, (n, k)).astype(np.int8)
    s = RNG.uniform(0.5, 1.5, (n, 1)).astype(np.float32) / 64
    xs = RNG.uniform(0.5, 1.5, (m, 1)).astype(np.float32) / 64
    stored = lowbit.pack4(w.view(np.uint8) & 15) if weights == "s4" else w
    dev = [torch.from_numpy(np.ascontiguousarray(a)).cuda() for a in (x, stored, s, xs)]
    dtype = torch.bfloat16 if out == "bf16" else torch.float32
    y = torch.full((m, n), float("nan"), device="cuda", dtype=dtype)
    kernel.launch([t.data_ptr() for t in dev] + [y.data_ptr()],
                  torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    ref = (x.astype(np.float64) @ w.astype(np.float64).T) * xs * s.T
    got = y.float().cpu().numpy()
    assert np.isfinite(got).all()
    # bf16 rounds each result to 8 significant bits.
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < (4e-3 if out == "bf16" else 1e-5)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
def test_stream_k_kernel_on_two_streams():
    """A stream-K kernel (sm_90a's W8A8 default past 64 tokens; 4 tiles
    split in 2 along K here) keeps its partial sums in its module: six
    launches queued back to back on two streams are ordered by the library,
    and each result matches the reference within bf16 rounding."""
    m, n, k = 200, 304, 2048
    kernel = lowbit.compile(f"matmul m={m} n={n} k={k} a=i8 w=s8 out=bf16")
    if not kernel.entry.get("shared_workspace"):
        pytest.skip("not a stream-K kernel on this target: " + kernel.entry.get("config", ""))
    streams = [torch.cuda.Stream(), torch.cuda.Stream()]
    runs = []
    for i in range(6):
        x = RNG.integers(-128, 128, (m, k)).astype(np.int8)
        w = RNG.integers(-128, 128, (n, k)).astype(np.int8)
        s = RNG.uniform(0.5, 1.5, (n, 1)).astype(np.float32) / 64
        xs = RNG.uniform(0.5, 1.5, (m, 1)).astype(np.float32) / 64
        dev = [torch.from_numpy(a).cuda() for a in (x, w, s, xs)]
        y = torch.full((m, n), float("nan"), device="cuda", dtype=torch.bfloat16)
        ref = (x.astype(np.float64) @ w.astype(np.float64).T) * xs * s.T
        runs.append((dev, y, ref))
    torch.cuda.synchronize()
    for i, (dev, y, _) in enumerate(runs):
        stream = streams[i % 2]
        kernel.launch([t.data_ptr() for t in dev] + [y.data_ptr()], stream.cuda_stream)
    torch.cuda.synchronize()
    for _, y, ref in runs:
        got = y.float().cpu().numpy()
        # bf16 rounds each result to 8 significant bits.
        assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 4e-3


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
def test_bitplane_kernel_matches_the_bipolar_product():
    """The bit-plane kernel through the C API: packed planes in, the exact
    integer product of the bipolar matrices out."""
    kernel = lowbit.Context("sm_90a", cache_dir="").compile_mlir(BITPLANE_SOURCE)
    a = RNG.integers(0, 2, (2, 200, 1000)).astype(np.uint8)
    w = RNG.integers(0, 2, (2, 136, 1000)).astype(np.uint8)
    dev = [torch.from_numpy(lowbit.pack_bits(p)).cuda() for p in (a, w)]
    y = torch.full((200, 136), -1, dtype=torch.int32, device="cuda")
    kernel.launch([t.data_ptr() for t in dev] + [y.data_ptr()],
                  torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    ref = lowbit.bipolar_values(a) @ lowbit.bipolar_values(w).T
    assert (y.cpu().numpy() == ref).all()


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("m,scheme", [(1, "u4:g128:zp"), (16, "u4:g128:zp"), (1, "s4:g128")])
def test_programmatic_launches_wait_for_the_layer_before(m, scheme):
    """Two layers, the second reading the first's result, launched
    programmatically: the second's blocks start early, and must not read its
    activations before the first has written them (each round's input is new,
    so an early read sees another round's values or freed memory)."""
    import lowbit.torch as lt
    up = lowbit.quantize(RNG.standard_normal((8192, 4096)).astype(np.float32), scheme)
    down = lowbit.quantize(RNG.standard_normal((4096, 8192)).astype(np.float32), scheme)
    for q in (up, down):
        assert lt.kernel_for(m, q, torch.float16).entry.get("dependent_launch"), q.scheme
    lowbit.set_programmatic_launches(True)
    try:
        xs = [torch.from_numpy(RNG.standard_normal((m, 4096)).astype(np.float32) / 64)
              .to("cuda", torch.float16) for _ in range(4)]
        ys = [lt.matmul(lt.matmul(x, up), down) for x in xs]
        torch.cuda.synchronize()
    finally:
        lowbit.set_programmatic_launches(False)
    w_up, w_down = (torch.from_numpy(lowbit.dequantize(q)).cuda() for q in (up, down))
    for x, y in zip(xs, ys):
        hidden = (x.float() @ w_up.T).half().float()
        expect = hidden @ w_down.T
        rel = ((y.float() - expect).norm() / expect.norm()).item()
        assert rel < 2e-3, rel


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("programmatic", [False, True])
def test_cuda_graph_replays_match_eager_launches(programmatic):
    """Two layers at 1, 16 and 256 tokens captured in one CUDA graph (on
    sm_90a: tma_gemv, and wgmma with stream-K, whose partial sums live in
    the kernel's module), launched plainly or programmatically. Each replay
    on new inputs gives the eager launches' results bit for bit and the
    reference's within rounding; eager launches of the same kernels run
    between replays (an event recorded in the capture would fail them)."""
    import lowbit.torch as lt
    up = lowbit.quantize(RNG.standard_normal((8192, 4096)).astype(np.float32), "u4:g128:zp")
    down = lowbit.quantize(RNG.standard_normal((4096, 8192)).astype(np.float32), "u4:g128:zp")
    tokens = (1, 16, 256)
    if torch.cuda.get_device_capability() == (9, 0):
        assert any(lt.kernel_for(m, q, torch.float16).entry.get("shared_workspace")
                   for m in tokens for q in (up, down))

    def layers(x):
        return lt.matmul(lt.matmul(x, up), down)

    def draw(m):
        return torch.from_numpy(RNG.standard_normal((m, 4096)).astype(np.float32) / 64).to(
            "cuda", torch.float16)

    lowbit.set_programmatic_launches(programmatic)
    try:
        # One eager call per shape first: it compiles and loads the kernels
        # and copies the weights to the device, none of which a capture
        # may do.
        static = {m: draw(m) for m in tokens}
        for m in tokens:
            layers(static[m])
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outs = {m: layers(static[m]) for m in tokens}
        rounds = []
        for _ in range(3):
            xs = {m: draw(m) for m in tokens}
            for m in tokens:
                static[m].copy_(xs[m])
            graph.replay()
            replayed = {m: outs[m].clone() for m in tokens}
            rounds.append((xs, replayed, {m: layers(xs[m]) for m in tokens}))
        torch.cuda.synchronize()
    finally:
        lowbit.set_programmatic_launches(False)
    w_up, w_down = (torch.from_numpy(lowbit.dequantize(q)).cuda() for q in (up, down))
    for xs, replayed, eager in rounds:
        for m in tokens:
            assert torch.equal(replayed[m], eager[m]), m
            expect = (xs[m].float() @ w_up.T).half().float() @ w_down.T
            rel = ((replayed[m].float() - expect).norm() / expect.norm()).item()
            assert rel < 2e-3, (m, rel)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("own_context", [False, True])
def test_launch_from_a_thread_leaves_its_current_context(own_context):
    """A launch on a torch stream from a thread that never used CUDA (no
    current context), or one whose current context is its own, runs on the
    stream's device and leaves the thread's current context as it was: the
    library makes the device's primary context current for each call only.
    The default stream of a context of the caller's own is an error."""
    import ctypes
    import threading
    import lowbit.torch as lt
    driver = ctypes.CDLL("libcuda.so.1")
    q = lowbit.quantize(RNG.standard_normal((4096, 2048)).astype(np.float32), "u4:g128:zp")
    x = torch.from_numpy(RNG.standard_normal((1, 2048)).astype(np.float32) / 64).to(
        "cuda", torch.float16)
    kernel = lt.kernel_for(1, q, torch.float16)
    param = next(p for p in kernel.entry["params"] if p["role"] == "weight")
    w, s, z = lt._device_weights(q, x.device, x.dtype, param)
    y = torch.full((1, 4096), float("nan"), device="cuda", dtype=torch.float16)
    by_role = {"input": x, "weight": w, "weight_scales": s, "weight_zero_points": z, "result": y}
    pointers = [by_role[p["role"]].data_ptr() for p in kernel.entry["params"]]
    stream = torch.cuda.Stream()  # of the device's primary context, as torch's are
    torch.cuda.synchronize()
    seen = {}

    def work():
        try:
            mine = ctypes.c_void_p()
            if own_context:  # cuCtxCreate makes it current
                assert driver.cuCtxCreate_v2(ctypes.byref(mine), 0, 0) == 0
                # Its default stream is not the primary context's: an error.
                with pytest.raises(lowbit.LowbitError, match="primary context"):
                    kernel.launch(pointers, 0)
            kernel.launch(pointers, stream.cuda_stream)
            current = ctypes.c_void_p()
            assert driver.cuCtxGetCurrent(ctypes.byref(current)) == 0
            seen["current"], seen["mine"] = current.value, mine.value
            if own_context:
                driver.cuCtxDestroy_v2(mine)
        except Exception as error:  # reported on the test's thread
            seen["error"] = error

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert "error" not in seen, seen.get("error")
    assert seen["current"] == seen["mine"]  # None: still no current context
    stream.synchronize()
    expect = x.float().cpu() @ torch.from_numpy(lowbit.dequantize(q)).T
    rel = ((y.float().cpu() - expect).norm() / expect.norm()).item()
    assert rel < 2e-3, rel


@pytest.mark.skipif(torch is None or not torch.cuda.is_available() or
                    torch.cuda.device_count() < 2,
                    reason="needs torch with two CUDA devices (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("m,current", [(1, 0), (256, 0), (16, 1)])
def test_torch_launches_on_the_tensors_device(m, current):
    """From one thread whose current device is `current`, tensors on the
    other GPU, then on this one, then the other again: each product runs on
    its tensor's device and matches the reference, and the thread's current
    device stays the caller's."""
    import lowbit.torch as lt
    q = lowbit.quantize(RNG.standard_normal((4096, 2048)).astype(np.float32), "u4:g128:zp")
    w = torch.from_numpy(lowbit.dequantize(q))
    previous = torch.cuda.current_device()
    torch.cuda.set_device(current)
    try:
        for index in (1 - current, current, 1 - current):
            device = torch.device("cuda", index)
            x = torch.from_numpy(RNG.standard_normal((m, 2048)).astype(np.float32) / 64).to(
                device, torch.float16)
            y = lt.matmul(x, q)
            assert torch.cuda.current_device() == current
            expect = x.float().cpu() @ w.T
            rel = ((y.float().cpu() - expect).norm() / expect.norm()).item()
            assert rel < 2e-3, (index, rel)
    finally:
        torch.cuda.set_device(previous)


@pytest.mark.skipif(torch is None or not torch.cuda.is_available(),
                    reason="needs torch with a CUDA device (LOWBIT_TORCH_TESTS=1)")
@pytest.mark.parametrize("m,groups", [(4, "g128"), (16, "g256"), (3, "per_channel")])
def test_sign_magnitude_weights_with_e4m3_tokens(m, groups):
    """A spec of s4 weights in the sign_magnitude layout (up to 16 tokens
    also scaled per group of a multiple of 128: tma_gemv), launched through
    the C API on codes packed by pack_sign_magnitude."""
    n, k = 520, 1024
    spec = (f"matmul m={m} n={n} k={k} a=e4m3:per_tensor w=s4:{groups} "
            "layout=sign_magnitude out=f32")
    kernel = lowbit.compile(spec)
    assert "strategy = tma_gemv" in kernel.entry["config"], kernel.entry["config"]
    x = torch.from_numpy(RNG.standard_normal((m, k)).astype(np.float32)).to(torch.float8_e4m3fn)
    codes = RNG.integers(-7, 8, (n, k)).astype(np.int8)
    per = 1 if groups == "per_channel" else k // int(groups[1:])
    s = RNG.uniform(0.5, 1.5, (n, per)).astype(np.float32) / 16
    xs = np.array([[0.25]], np.float32)
    by_role = {"input": x.view(torch.uint8).cuda(),
               "weight": torch.from_numpy(lowbit.pack_sign_magnitude(codes)).cuda(),
               "weight_scales": torch.from_numpy(s).cuda(),
               "input_scales": torch.from_numpy(xs).cuda(),
               "result": torch.full((m, n), float("nan"), device="cuda")}
    kernel.launch([by_role[p["role"]].data_ptr() for p in kernel.entry["params"]],
                  torch.cuda.current_stream().cuda_stream)
    torch.cuda.synchronize()
    w = codes.astype(np.float64) * np.repeat(s, k // per, axis=1)
    ref = (x.float().numpy().astype(np.float64) @ w.T) * xs[0, 0]
    got = by_role["result"].cpu().numpy()
    assert np.isfinite(got).all()
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) < 1e-3
