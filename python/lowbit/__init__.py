"""lowbit: low-bit matmul kernels compiled for NVIDIA GPUs, from Python.

    import numpy as np, lowbit
    q = lowbit.quantize(np.random.randn(4096, 4096).astype(np.float32), "u4:g128:zp")
    y = lowbit.matmul(x, q)            # numpy: the CPU reference
    k = lowbit.compile("matmul m=1 n=4096 k=4096 a=f16 w=u4:g128:zp")

numpy arrays work on any machine (the CPU reference); torch CUDA tensors run
the compiled kernel (lowbit.torch.QuantLinear replaces torch.nn.Linear).
Everything goes through libLowbitC.so with ctypes, so one build serves every
Python version.
"""
import ctypes
import os
import json
from dataclasses import dataclass

import numpy as np

from ._capi import LowbitError, lib

__all__ = ["Context", "Kernel", "QuantizedWeight", "LowbitError", "LowbitTypeError", "compile",
           "quantize", "dequantize", "check_weight", "matmul", "pack4", "pack_codes",
           "pack_sign_magnitude", "pack_bits", "bipolar_values", "version"]


class LowbitTypeError(LowbitError, TypeError):
    """An argument of the wrong type (None, a list or an int where a string,
    an array or a QuantizedWeight goes): a TypeError, and a LowbitError as
    the library's other errors are."""


def _check_type(value, types, what, expected):
    """Raises LowbitTypeError naming `what` unless `value` is one of `types`
    (a type or a tuple of them; a bool is no int unless bool is named). A
    bad value got this far as an AttributeError or TypeError from deep
    inside numpy or ctypes."""
    types = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise LowbitTypeError("%s must be %s, got %s" % (what, expected, type(value).__name__))
    return value


def _array_of(values, kinds, what, expected):
    """`values` as a numpy array whose dtype is of `kinds` (numpy's kind
    letters): None, strings or other objects are a LowbitTypeError naming
    `what` (float("abc") failed inside numpy, None became NaN)."""
    array = np.asarray(values)
    if array.size == 0 and isinstance(values, (list, tuple)):
        return array  # numpy's float64 for [], with no element of a wrong kind
    # ml_dtypes' bfloat16 and float8 arrays (kind "V") are real numbers too.
    real = "f" in kinds and array.dtype.kind == "V" and np.can_cast(array.dtype, np.float32)
    if array.dtype.kind not in kinds and not real:
        got = type(values).__name__ if array.dtype.kind == "O" else array.dtype
        raise LowbitTypeError("%s must be %s, got %s" % (what, expected, got))
    return array


def _path_string(path, what):
    """A path (str or os.PathLike, as pathlib's) as a str; anything else is
    left for _c_string to refuse."""
    return os.fspath(path) if isinstance(path, os.PathLike) else path


def _c_string(text, what):
    """`text` (a str) as the C API's NUL-terminated bytes: a NUL inside it
    would end the string there, the rest silently dropped."""
    _check_type(text, str, what, "a string")
    if "\0" in text:
        raise LowbitError("%s contains a NUL character: %r" % (what, text))
    return text.encode()


def _byte_codes(codes, what, negative=False):
    """`codes` checked to go to the C API one per byte without a cast that
    changes them (260 wrapped to 4, 3.7 truncated to 3): integers (or bools)
    of 0 to 255 (with `negative`, from -128); the C API then says which
    code does not fit its width. `what` names the argument
    ("pack_codes: codes")."""
    codes = _array_of(codes, "iub", what, "integers")
    if codes.size:
        low = -128 if negative else 0
        if int(codes.min()) < low or int(codes.max()) > 255:
            raise LowbitError("%s go one per byte (%d to 255), got %d to %d" %
                              (what, low, codes.min(), codes.max()))
    return codes


def version():
    return lib().lowbitVersion().decode()


def _as_f32(a, what):
    return np.ascontiguousarray(_array_of(a, "biuf", what, "an array of real numbers"),
                                dtype=np.float32)


def _ptr(a, ctype):
    return a.ctypes.data_as(ctypes.POINTER(ctype))


class Kernel:
    """A compiled kernel: its image (cubin or PTX), launch manifest, and where
    it came from ("memory", "disk" or "compiled")."""

    def __init__(self, context, handle):
        self._context, self._handle = context, handle
        self.source = lib().lowbitKernelSource(handle).decode()
        self._image = self._manifest = None

    # Read from the library when first asked for: copying the image and
    # parsing the manifest took about 115 us of a memory hit's compile().
    @property
    def image(self):
        if self._image is None:
            size, cubin = ctypes.c_size_t(), ctypes.c_int()
            data = lib().lowbitKernelImage(self._handle, ctypes.byref(size), ctypes.byref(cubin))
            self._image, self._is_cubin = ctypes.string_at(data, size.value), bool(cubin.value)
        return self._image

    @property
    def is_cubin(self):
        self.image
        return self._is_cubin

    @property
    def manifest(self):
        if self._manifest is None:
            self._manifest = json.loads(lib().lowbitKernelManifest(self._handle).decode())
        return self._manifest

    @property
    def compile_seconds(self):
        times = [ctypes.c_double() for _ in range(3)]
        lib().lowbitKernelCompileTimes(self._handle, *[ctypes.byref(t) for t in times])
        return dict(zip(("mlir", "llvm", "ptxas"), (t.value for t in times)))

    @property
    def entry(self):
        return self.manifest["kernels"][0]

    def launch(self, pointers, stream=None, device=None):
        """Launches on `stream` (an int CUstream or None) with device pointers
        (ints) in the manifest's parameter order, on `device` (an ordinal:
        a default stream is then that device's; None: the stream's device,
        for a default stream the current context's)."""
        # ctypes took a str stream as the address of its bytes.
        _check_type(pointers, (list, tuple), "pointers", "a list of device pointers (ints)")
        for i, pointer in enumerate(pointers):
            _check_type(pointer, (int, ctypes.c_void_p, type(None)), "pointers[%d]" % i,
                        "a device pointer (int)")
        _check_type(stream, (int, ctypes.c_void_p, type(None)), "stream",
                    "a CUstream handle (int) or None")
        _check_type(device, (int, np.integer, type(None)), "device", "a device ordinal or None")
        array = (ctypes.c_void_p * len(pointers))(*pointers)
        if lib().lowbitKernelLaunchOnDevice(self._context._handle, self._handle, array,
                                            len(pointers), stream,
                                            -1 if device is None else device):
            self._context._raise()

    def __del__(self):
        if getattr(self, "_handle", None) and lib is not None:
            lib().lowbitKernelDestroy(self._handle)
            self._handle = None


class Context:
    """Compiles for one chip, caching kernels in `cache_dir` (None: the
    default folder, "": memory only)."""

    def __init__(self, arch="sm_90a", cache_dir=None):
        self.arch = arch
        self._handle = lib().lowbitContextCreate(
            _c_string(arch, "arch"),
            None if cache_dir is None else _c_string(_path_string(cache_dir, "cache_dir"),
                                                     "cache_dir"))
        if not self._handle:
            raise MemoryError("lowbitContextCreate")

    def _raise(self):
        raise LowbitError(lib().lowbitContextError(self._handle).decode())

    def set_programmatic_launches(self, on=True):
        """Launches the kernels that allow it (sm_90 wgmma and tma_gemv) as
        programmatic dependent launches: they start while the kernel before
        them on the stream finishes, loading their weights, and wait for it
        before reading activations (lowbitContextSetProgrammaticLaunches). The
        kernel just before must not write their weights. Specs with
        "launch=programmatic" compile (and tune) for such chains."""
        if lib().lowbitContextSetProgrammaticLaunches(self._handle, 1 if on else 0):
            self._raise()

    def compile(self, spec, config=None):
        handle = ctypes.c_void_p()
        if lib().lowbitCompileSpec(self._handle, _c_string(spec, "spec"),
                                   None if config is None else _c_string(config, "config"),
                                   ctypes.byref(handle)):
            self._raise()
        return Kernel(self, handle)

    def compile_mlir(self, source):
        handle = ctypes.c_void_p()
        if lib().lowbitCompileMLIR(self._handle, _c_string(source, "source"), ctypes.byref(handle)):
            self._raise()
        return Kernel(self, handle)

    def __del__(self):
        if getattr(self, "_handle", None):
            lib().lowbitContextDestroy(self._handle)
            self._handle = None


_contexts = {}
_programmatic_launches = False


def _context(arch="sm_90a"):
    _check_type(arch, str, "arch", "a string")
    if arch not in _contexts:
        _contexts[arch] = Context(arch)
        _contexts[arch].set_programmatic_launches(_programmatic_launches)
    return _contexts[arch]


def set_programmatic_launches(on=True):
    """Programmatic dependent launches (Context.set_programmatic_launches)
    for the kernels that lowbit.compile and lowbit.torch launch."""
    global _programmatic_launches
    _programmatic_launches = bool(on)
    for context in list(_contexts.values()):
        context.set_programmatic_launches(on)


def _programmatic_launches_on():
    """Whether set_programmatic_launches is on (lowbit.torch's specs then
    say launch=programmatic)."""
    return _programmatic_launches


def compile(spec, arch="sm_90a", config=None):
    """The kernel of a one-line spec, e.g. "matmul m=1 n=4096 k=4096 a=f16
    w=u4:g128:zp" (see include/lowbit/JIT/Spec.h)."""
    return _context(arch).compile(spec, config)


@dataclass
class QuantizedWeight:
    """Weights [N, K] as codes (one per byte, uint8), scales and (for `:zp`
    schemes) zero points, of a scheme spelled like a spec's w= field."""
    scheme: str
    codes: np.ndarray
    scales: np.ndarray
    zero_points: np.ndarray = None

    @property
    def shape(self):
        return self.codes.shape


def _check_quantized(q, what="q"):
    """Raises LowbitTypeError unless `q` is a QuantizedWeight of a scheme
    string, a numpy array of codes and real scales (and zero points)."""
    _check_type(q, QuantizedWeight, what, "a QuantizedWeight (lowbit.quantize)")
    _check_type(q.scheme, str, what + ".scheme", "a string")
    _check_type(q.codes, np.ndarray, what + ".codes", "a numpy array")
    _array_of(q.scales, "biuf", what + ".scales", "an array of real numbers")
    if q.zero_points is not None:
        _array_of(q.zero_points, "biuf", what + ".zero_points", "an array of real numbers")


def _scale_count(scheme, rows, cols):
    count = ctypes.c_int64()
    ctx = _context()
    if lib().lowbitScaleCount(ctx._handle, _c_string(scheme, "scheme"), rows, cols, ctypes.byref(count)):
        ctx._raise()
    return count.value


def quantize(weight, scheme="u4:g128:zp"):
    """Quantizes a real [N, K] matrix (scales and zero points chosen from the
    data: largest magnitude, or min-max range with `:zp`)."""
    w = _as_f32(weight, "weight")
    if w.ndim != 2:
        raise LowbitError("quantize takes a 2-D [N, K] weight, got shape %s" % (w.shape,))
    rows, cols = w.shape
    count = _scale_count(scheme, rows, cols)
    codes = np.empty((rows, cols), np.uint8)
    scales = np.empty(count, np.float32)
    zeros = np.empty(count, np.float32) if ":zp" in scheme else None
    ctx = _context()
    if lib().lowbitQuantize(ctx._handle, _c_string(scheme, "scheme"), _ptr(w, ctypes.c_float), rows, cols,
                            _ptr(codes, ctypes.c_uint8), _ptr(scales, ctypes.c_float),
                            None if zeros is None else _ptr(zeros, ctypes.c_float)):
        ctx._raise()
    shape = _scales_shape(rows, count)
    return QuantizedWeight(scheme, codes, scales.reshape(shape),
                           None if zeros is None else zeros.reshape(shape))


def _scales_shape(rows, count):
    """The [rows, count / rows] shape quantize gives `count` scales of [rows, ...]
    codes ([1, count] for fewer scales than rows)."""
    return (rows, count // rows) if count % rows == 0 and count >= rows else (1, count)


def check_weight(q):
    """Raises LowbitError unless q's codes are one per byte (uint8, or int8
    for signed codes) and its scales and zero points have the sizes its
    scheme gives its codes (the C library and the kernels read exactly that
    many; 2-D ones in quantize's [N, groups] shape, since checkpoints that
    store them [groups, N] hold as many), and zero points come with `:zp`
    schemes only."""
    _check_quantized(q)
    if q.codes.ndim != 2:
        raise LowbitError("weight codes must be [N, K], got shape %s" % (q.codes.shape,))
    # Wider integers would be cut to their low byte, or read a byte at a
    # time by a kernel.
    if q.codes.dtype not in (np.uint8, np.int8):
        raise LowbitError("weight codes are one per byte (uint8, or int8 for signed codes), "
                          "got %s" % q.codes.dtype)
    rows, cols = q.codes.shape
    count = _scale_count(q.scheme, rows, cols)
    if np.size(q.scales) != count:
        raise LowbitError("scheme %s on [%d, %d] codes has %d scales, got %d" %
                          (q.scheme, rows, cols, count, np.size(q.scales)))
    has_zp = ":zp" in q.scheme
    if has_zp != (q.zero_points is not None):
        raise LowbitError("scheme %s %s zero points" %
                          (q.scheme, "needs" if has_zp else "takes no"))
    if has_zp and np.size(q.zero_points) != count:
        raise LowbitError("scheme %s on [%d, %d] codes has %d zero points, got %d" %
                          (q.scheme, rows, cols, count, np.size(q.zero_points)))
    shape = _scales_shape(rows, count)
    for name, values in (("scales", q.scales), ("zero points", q.zero_points)):
        if values is not None and np.ndim(values) == 2 and np.shape(values) != shape:
            raise LowbitError("scheme %s on [%d, %d] codes has %s of shape %s, got %s" %
                              (q.scheme, rows, cols, name, shape, np.shape(values)))


def dequantize(q):
    """The real [N, K] matrix the codes stand for."""
    check_weight(q)
    rows, cols = q.codes.shape
    out = np.empty((rows, cols), np.float32)
    codes = np.ascontiguousarray(q.codes, np.uint8)
    scales = _as_f32(q.scales, "q.scales")
    zeros = None if q.zero_points is None else _as_f32(q.zero_points, "q.zero_points")
    ctx = _context()
    if lib().lowbitDequantize(ctx._handle, _c_string(q.scheme, "scheme"), _ptr(codes, ctypes.c_uint8),
                              rows, cols, _ptr(scales, ctypes.c_float),
                              None if zeros is None else _ptr(zeros, ctypes.c_float),
                              _ptr(out, ctypes.c_float)):
        ctx._raise()
    return out


# Weights whose codes go to sm_90a kernels in the half-fragment order (a
# spec's layout=half_fragment): 4-bit integer codes with a scale per 128 on
# layers of 8192 rows and 8192 codes or more, the scheme and shapes measured.
# On an NVIDIA H200 (u4:g128:zp, bench/results/2026-12-05-h200-half-fragment.md)
# 1.00-1.06x faster than packed at M = 1024 (bf16) and 1.07-1.21x at 16
# tokens (f16) on 8192 x 8192, 28672 x 8192 and 8192 x 28672, as fast at one
# token. Groups of 64 and 32 (NVIDIA H100, bench/results/
# 2026-12-06-h100-sign-magnitude-and-offset-mma.md): 1.08x faster at M = 1024
# but 0.96-0.97x as fast at 16 tokens, where they stay on tma_gemv; not
# chosen. Not timed: per-channel scales and narrower layers, where 9 to 16
# tokens stay on tma_gemv, which read the order 0.94x as fast as packed
# weights on 8192 x 8192.
_HALF_FRAGMENT_CODES = ("u4", "s4", "i4")


def weight_layout(scheme, arch, n, k):
    """The layout field lowbit.torch adds to the spec of f16/bf16 activations
    times [n, k] weights of `scheme` (a w= field) on `arch`:
    " layout=half_fragment" where the kernels were measured faster with such
    weights in that order, else "" (packed)."""
    _check_type(scheme, str, "scheme", "a string")
    _check_type(arch, str, "arch", "a string")
    _check_type(n, (int, np.integer), "n", "an int")
    _check_type(k, (int, np.integer), "k", "an int")
    parts = scheme.split(":")
    scales = [p for p in parts[1:] if p != "zp"]
    if (arch == "sm_90a" and parts[0] in _HALF_FRAGMENT_CODES and scales == ["g128"]
            and n >= 8192 and k >= 8192 and k % 32 == 0):
        return " layout=half_fragment"
    return ""


def pack_codes(codes, bits, order=None):
    """[rows, cols] codes of `bits` bits (one per byte) packed as kernels read a
    #lowbit.layout<packed> weight: one stream, low bits first; or, given an
    `order` (a manifest's "order" for "layout": "interleave"), as they read
    #lowbit.layout<interleave, order = order>: in each group of len(order)
    codes of a row, bits [p * bits, (p + 1) * bits) hold code order[p].
    Returns [rows, cols * bits / 8] uint8 (rows of whole bytes), else the
    flat stream."""
    _check_type(bits, (int, np.integer), "pack_codes: bits", "an int")
    if not 1 <= bits <= 8:
        raise LowbitError("pack_codes: codes of %r bits; expected 1 to 8" % (bits,))
    codes = _byte_codes(codes, "pack_codes: codes")
    if codes.ndim != 2:
        raise LowbitError("pack_codes: expects a 2-D array of codes")
    codes = np.ascontiguousarray(codes, np.uint8)
    rows, cols = codes.shape
    total = (rows * cols * bits + 7) // 8
    packed = np.empty(total, np.uint8)
    if order is not None:  # floats were truncated to positions
        order = np.ascontiguousarray(_array_of(order, "iu", "pack_codes: order", "integers"),
                                     np.int64)
    ctx = _context()
    if order is None:
        status = lib().lowbitPackCodes(ctx._handle, _ptr(codes, ctypes.c_uint8), rows, cols,
                                       bits, _ptr(packed, ctypes.c_uint8))
    else:
        status = lib().lowbitPackInterleaved(ctx._handle, _ptr(codes, ctypes.c_uint8), rows,
                                             cols, bits, _ptr(order, ctypes.c_int64), order.size,
                                             _ptr(packed, ctypes.c_uint8))
    if status:
        ctx._raise()
    return packed.reshape(rows, cols * bits // 8) if cols * bits % 8 == 0 else packed


def pack_sign_magnitude(codes):
    """[rows, cols] signed 4-bit codes of -7..7 (one per byte, two's
    complement in the low four bits, or int8) packed as kernels read a
    #lowbit.layout<sign_magnitude> weight (a manifest's "layout":
    "sign_magnitude"): each code the e4m3 byte of code / 512, cols a multiple
    of 32. Returns [rows, cols / 2] uint8; -8 is an error."""
    codes = _array_of(codes, "iu", "pack_sign_magnitude: codes", "integers")
    if codes.ndim != 2:
        raise LowbitError("pack_sign_magnitude: expects a 2-D array of integer codes")
    codes = _byte_codes(codes, "pack_sign_magnitude: codes", negative=True)
    # Signed codes as themselves, unsigned ones as two's complement nibbles
    # (the C API refuses a code that does not fit four bits).
    wide = codes.astype(np.int16)
    if codes.dtype.kind == "i":
        if ((wide < -8) | (wide > 7)).any():
            raise LowbitError("pack_sign_magnitude: codes must be -7..7")
        wide &= 0xF
    codes = np.ascontiguousarray(wide, np.uint8)
    rows, cols = codes.shape
    packed = np.empty(rows * cols // 2, np.uint8)
    ctx = _context()
    if lib().lowbitPackSignMagnitude(ctx._handle, _ptr(codes, ctypes.c_uint8), rows, cols,
                                     _ptr(packed, ctypes.c_uint8)):
        ctx._raise()
    return packed.reshape(rows, cols // 2)


def pack4(codes):
    """4-bit codes (one per byte) packed two per byte, as kernels read them."""
    return pack_codes(codes, 4)


def pack_bits(bits):
    """Bits (0 or 1; bit planes [P, M, K] or any [..., K]) packed as bit-plane
    kernels read them: each row of K bits lowest first, padded with zero bits
    to a multiple of 16 bytes. Returns [..., row bytes] uint8."""
    bits = _byte_codes(bits, "pack_bits: bits")
    if bits.ndim < 1:  # before np.ascontiguousarray, which makes a scalar a row
        raise LowbitError("pack_bits: expects an array of rows of bits")
    bits = np.ascontiguousarray(bits, np.uint8)
    k = bits.shape[-1]
    rows = bits.size // k if k else 0
    packed = np.empty(bits.shape[:-1] + (lib().lowbitBitRowBytes(k),), np.uint8)
    ctx = _context()
    if lib().lowbitPackBits(ctx._handle, _ptr(bits, ctypes.c_uint8), rows, k,
                            _ptr(packed, ctypes.c_uint8)):
        ctx._raise()
    return packed


def bipolar_values(planes):
    """The bipolar integers that planes [P, ..., K] stand for:
    sum_i 2^i (2 planes[i] - 1)."""
    planes = _array_of(planes, "biuf", "bipolar_values: planes", "an array of bits")
    if planes.ndim < 1:
        raise LowbitError("bipolar_values: planes must be [P, ..., K], got a scalar")
    # 0.5 became 0 in the cast below, a silently wrong value.
    if planes.size and not np.isin(planes, (0, 1)).all():
        raise LowbitError("bipolar_values: planes hold bits (0 or 1)")
    weights = (1 << np.arange(planes.shape[0], dtype=np.int64)).reshape(
        (-1,) + (1,) * (planes.ndim - 1))
    return ((2 * planes.astype(np.int64) - 1) * weights).sum(axis=0)


def matmul(x, q):
    """y = x @ dequantize(q).T. numpy inputs: the CPU reference (f32);
    torch CUDA tensors: the compiled lowbit kernel (see lowbit.torch)."""
    if type(x).__module__.startswith("torch"):
        from . import torch as lowbit_torch
        return lowbit_torch.matmul(x, q)
    x = _as_f32(x, "x")
    w = dequantize(q)  # checks q (codes [N, K]) before their shape is read
    if x.ndim != 2 or x.shape[1] != w.shape[1]:
        raise LowbitError("matmul: x must be [M, %d], got %s" % (w.shape[1], x.shape))
    return x @ w.T
