"""torch integration: lowbit kernels on CUDA tensors, and QuantLinear."""
import numpy as np
import torch

from . import (LowbitError, QuantizedWeight, check_weight, compile, dequantize, pack_codes,
               pack_sign_magnitude, quantize, weight_layout)
from . import _check_type, _programmatic_launches_on

_DTYPES = {torch.float16: "f16", torch.bfloat16: "bf16", torch.float32: "f32"}
# A manifest's .npy dtype of real values (scales) as torch's.
_NPY_DTYPES = {"f2": torch.float16, "V2": torch.bfloat16, "f4": torch.float32}
# Quantized activations (matmul's `activations`): each the code's largest
# finite value, which a token's largest magnitude is scaled to.
_ACTIVATION_MAX = {"e4m3": 448.0, "i8": 127.0}


def _check_activations(codes):
    _check_type(codes, str, "activations", 'a string ("e4m3" or "i8")')
    if codes not in _ACTIVATION_MAX:
        raise LowbitError("activations are quantized to e4m3 or i8, not %r" % (codes,))


def _check_out_dtype(out_dtype):
    # By identity (torch's dtypes are singletons): a list was unhashable
    # in _DTYPES, an array compared element by element.
    if not any(out_dtype is dtype for dtype in _DTYPES):
        raise LowbitError("out_dtype: lowbit kernels write f16, bf16 or f32 results, got %s" %
                          (out_dtype,))


def quantize_activations(x, codes):
    """x [M, K] (a real torch tensor) as `codes` ("e4m3" or "i8") with one
    f32 scale per token: (codes [M, K] of torch.float8_e4m3fn or int8,
    scales [M, 1]), each token scaled so that its largest magnitude is the
    code's largest value (448 or 127; a token of zeros gets scale 1).
    x ~ codes * scales."""
    _check_type(x, torch.Tensor, "x", "a torch tensor")
    _check_activations(codes)
    if codes == "e4m3" and not hasattr(torch, "float8_e4m3fn"):
        raise LowbitError("e4m3 activations need torch with float8_e4m3fn (2.1 or newer)")
    if x.dim() != 2:
        raise LowbitError("quantize_activations: x must be [M, K], got %s" % (tuple(x.shape),))
    real = x.float()
    amax = real.abs().amax(dim=1, keepdim=True)
    scales = torch.where(amax > 0, amax / _ACTIVATION_MAX[codes], torch.ones_like(amax))
    scaled = real / scales
    if codes == "e4m3":  # |scaled| <= 448: rounds to the nearest e4m3, no overflow
        return scaled.to(torch.float8_e4m3fn), scales
    return torch.round(scaled).clamp_(-127, 127).to(torch.int8), scales


def _device_weights(q, device, dtype, weight_param):
    # The device copies live on the weight object and die with it (a global
    # dict keyed by id(q) handed a dead weight's tensors to a new weight that
    # reused its id: same shape, wrong values). They are kept per layout
    # too: kernels of one weight may read it in different orders, and made
    # again when q holds other arrays than they were made from (arrays
    # assigned anew; an array changed in place is not seen).
    cache = q.__dict__.setdefault("_device_copies", {})
    key = (device, dtype, weight_param.get("layout"), tuple(weight_param.get("order", ())))
    sources = (q.codes, q.scales, q.zero_points)
    made = cache.get(key)
    if made is None or any(a is not b for a, b in zip(made[0], sources)):
        codes = q.codes
        # Packed as the kernel's manifest says it reads them (every code
        # narrower than a byte: 2- and 4-bit integers, NF4, FP4, ...; or
        # interleaved in the order it names). Any other layout would be
        # read as something else: an error.
        layout, bits = weight_param.get("layout"), weight_param["bits"]
        if layout == "packed" and bits < 8:
            codes = pack_codes(codes, bits)
        elif layout == "interleave":
            codes = pack_codes(codes, bits, order=weight_param["order"])
        elif layout == "sign_magnitude":
            codes = pack_sign_magnitude(codes)
        elif layout not in ("packed", "bytes"):
            raise LowbitError("the kernel reads its weights in layout %r, which lowbit.torch "
                              "does not pack" % (layout,))
        w = torch.from_numpy(codes.copy()).to(device)
        s = torch.from_numpy(q.scales.copy()).to(device=device, dtype=dtype)
        z = None
        if q.zero_points is not None:
            # Kernels read zero points as codes, one per byte (two's
            # complement for signed codes, up to 255 for u8: through int32,
            # since casting 128..255 to int8 is undefined in numpy).
            z = np.rint(q.zero_points).astype(np.int32) & 0xFF
            z = torch.from_numpy(z.astype(np.uint8)).to(device)
        cache[key] = (sources, (w, s, z))
    return cache[key][1]


# Per process: each device's chip, and each chip and spec's kernel. A call
# of lowbit.compile builds a new Kernel (about 20 us in Python, 50 with its
# manifest parsed), which a decode layer's launch (10-50 us on the GPU)
# would pay on every call.
_archs = {}
_kernels = {}


def _arch(device):
    index = None if device is None else torch.device(device).index
    if index is None:  # no device, or "cuda" without an index
        index = torch.cuda.current_device()
    if index not in _archs:
        major, minor = torch.cuda.get_device_capability(index)
        _archs[index] = "sm_%d%d%s" % (major, minor, "a" if major == 9 else "")
    return _archs[index]


def kernel_for(m, q, dtype, out_dtype=None, layout=None, device=None, activations=None):
    """The kernel that matmul launches for M = `m` tokens of `dtype` on
    `device`'s chip (the current CUDA device by default); compiled (or read
    from the cache) once per process. With `activations` ("e4m3" or "i8")
    the tokens are quantized to those codes per token first (W4A8 and W8A8
    kernels; the weights' scales then stay as the kernel's spec has them).
    Specs say launch=programmatic while lowbit.set_programmatic_launches is
    on, so that the kernels are those measured fastest in such chains."""
    if dtype not in (torch.float16, torch.bfloat16):
        raise LowbitError("lowbit kernels take f16 or bf16 activations, got %s" % dtype)
    if out_dtype is not None:
        _check_out_dtype(out_dtype)
    if activations is not None:
        _check_activations(activations)
    _check_type(m, (int, np.integer), "m", "an int")
    _check_type(layout, (str, type(None)), "layout", "a string or None")
    check_weight(q)  # codes [N, K] before their shape is read
    n, k = q.codes.shape
    arch = _arch(device)
    if activations is None:
        layout_field = (weight_layout(q.scheme, arch, n, k) if layout is None else
                        " layout=%s" % layout)
        operands = "a=%s w=%s%s scale=%s" % (_DTYPES[dtype], q.scheme, layout_field,
                                             _DTYPES[dtype])
    else:
        operands = "a=%s:per_token w=%s%s" % (activations, q.scheme,
                                               "" if layout is None else " layout=%s" % layout)
    spec = "matmul m=%d n=%d k=%d %s out=%s%s" % (
        m, n, k, operands, _DTYPES[out_dtype or dtype],
        " launch=programmatic" if _programmatic_launches_on() else "")
    kernel = _kernels.get((arch, spec))
    if kernel is None:
        kernel = _kernels[(arch, spec)] = compile(spec, arch=arch)
    return kernel


def matmul(x, q, out_dtype=None, layout=None, activations=None):
    """y[M, N] = x[M, K] @ dequantize(q).T with the lowbit kernel for this
    shape (compiled once, then cached) on the current CUDA stream. `layout`
    names the weights' layout in the kernel's spec ("packed" or
    "half_fragment"; "sign_magnitude" with e4m3 activations); by default
    lowbit.weight_layout picks it.

    `activations` "e4m3" or "i8" quantizes x per token first
    (quantize_activations) and runs a kernel on those codes: W4A8 for
    signed 4-bit weights (q of scheme "s4", scales per channel), W8A8 for
    "s8"; y is then (codes * scales) @ dequantize(q).T. On the CPU the
    same quantization runs before the reference product.

    The weights' device copies are made at the first call and kept on `q`:
    give `q` new arrays to change them (arrays changed in place are not
    copied again). Captured into a CUDA graph (torch.cuda.graph), call it
    once per shape before the capture: the first call compiles and loads the kernel and
    copies the weights to the device, which a capture may not do. Replays
    must not overlap launches of the same kernel on another stream."""
    _check_type(x, torch.Tensor, "x", "a torch tensor")
    if not x.is_cuda:  # the CPU reference
        real = x.float()
        if activations is not None:
            codes, scales = quantize_activations(real, activations)
            real = codes.float() * scales
        return (real @ torch.from_numpy(dequantize(q)).T).to(out_dtype or x.dtype)
    if x.dtype not in (torch.float16, torch.bfloat16):
        raise LowbitError("lowbit kernels take f16 or bf16 activations, got %s" % x.dtype)
    if activations is not None:
        _check_activations(activations)
    out_dtype = out_dtype or x.dtype
    x = x.contiguous()
    check_weight(q)
    n, k = q.codes.shape
    if x.dim() != 2 or x.shape[1] != k:
        raise LowbitError("matmul: x must be [M, %d], got %s" % (k, tuple(x.shape)))
    m = x.shape[0]
    if m == 0:  # as torch.nn.Linear: an empty batch gives an empty result, no kernel
        _check_out_dtype(out_dtype)
        layouts = ("packed", "half_fragment", "sign_magnitude")
        if layout is not None and layout not in layouts:
            raise LowbitError("matmul: layout must be one of %s, got %r" % (layouts, layout))
        return torch.empty((0, n), dtype=out_dtype, device=x.device)
    kernel = kernel_for(m, q, x.dtype, out_dtype, layout, x.device, activations)
    entry = kernel.entry
    params = {p["role"]: p for p in entry["params"]}
    # Scales in the type the kernel's manifest gives them (its spec's
    # scale=, which quantized activations leave at the default).
    w, s, z = _device_weights(q, x.device, _NPY_DTYPES[params["weight_scales"]["dtype"]],
                              params["weight"])
    y = (torch.zeros if entry["zero_result"] else torch.empty)((m, n), dtype=out_dtype,
                                                                device=x.device)
    by_role = {"input": x, "weight": w, "weight_scales": s, "weight_zero_points": z,
               "result": y}
    if activations is not None:
        codes, scales = quantize_activations(x, activations)
        by_role["input"] = codes
        by_role["input_scales"] = scales.to(_NPY_DTYPES[params["input_scales"]["dtype"]])
    pointers = [by_role[p["role"]].data_ptr() for p in entry["params"]]
    # On x's device by name: torch's default stream is handle 0 on every
    # device, which alone would mean the current context's.
    kernel.launch(pointers, torch.cuda.current_stream(x.device).cuda_stream,
                  device=x.device.index)
    return y


class QuantLinear(torch.nn.Module):
    """A drop-in for torch.nn.Linear with low-bit weights (no bias support
    beyond adding it after the product); `activations` ("e4m3", "i8")
    quantizes each token for W4A8 / W8A8 kernels (matmul)."""

    def __init__(self, q: QuantizedWeight, bias=None, activations=None):
        super().__init__()
        check_weight(q)
        _check_type(bias, (torch.Tensor, type(None)), "bias", "a torch tensor or None")
        if activations is not None:
            _check_activations(activations)
        self.q = q
        self.activations = activations
        self.out_features, self.in_features = q.codes.shape
        self.bias = None if bias is None else torch.nn.Parameter(bias.detach().clone(),
                                                                 requires_grad=False)

    @classmethod
    def from_linear(cls, linear: torch.nn.Linear, scheme=None, activations=None):
        """The layer's weights quantized to `scheme` (default "u4:g128:zp",
        or "s4" with quantized activations, whose kernels take signed codes
        scaled per channel)."""
        _check_type(linear, torch.nn.Linear, "linear", "a torch.nn.Linear")
        if scheme is None:
            scheme = "u4:g128:zp" if activations is None else "s4"
        q = quantize(linear.weight.detach().float().cpu().numpy(), scheme)
        return cls(q, linear.bias, activations)

    def forward(self, x):
        shape = x.shape
        y = matmul(x.reshape(-1, shape[-1]), self.q, activations=self.activations)
        if self.bias is not None:
            y = y + self.bias.to(y.dtype)
        return y.reshape(*shape[:-1], self.out_features)
