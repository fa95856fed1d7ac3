"""ctypes bindings of libLowbitC.so (include/lowbit-c/lowbit.h)."""
import ctypes
import ctypes.util
import os
import pathlib

c_void_p, c_char_p, c_int, c_size_t, c_int64, c_double = (
    ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t, ctypes.c_int64,
    ctypes.c_double)
c_float_p = ctypes.POINTER(ctypes.c_float)
c_uint8_p = ctypes.POINTER(ctypes.c_uint8)


class LowbitError(RuntimeError):
    """An error reported by the lowbit library (bad spec, unsupported shape,
    no GPU, ...)."""


def _find_library():
    env = os.environ.get("LOWBIT_LIBRARY")
    if env:
        return env
    here = pathlib.Path(__file__).resolve()
    for candidate in (here.parent / "libLowbitC.so",
                      here.parents[2] / "build" / "lib" / "libLowbitC.so"):
        if candidate.exists():
            return str(candidate)
    found = ctypes.util.find_library("LowbitC")
    if found:
        return found
    raise LowbitError("libLowbitC.so not found: build it (scripts/test.sh) or set "
                      "LOWBIT_LIBRARY")


_lib = None


def lib():
    global _lib
    if _lib is None:
        _lib = ctypes.CDLL(_find_library())
        sig = {
            "lowbitVersion": (c_char_p, []),
            "lowbitContextCreate": (c_void_p, [c_char_p, c_char_p]),
            "lowbitContextDestroy": (None, [c_void_p]),
            "lowbitContextError": (c_char_p, [c_void_p]),
            "lowbitCompileSpec": (c_int, [c_void_p, c_char_p, c_char_p,
                                          ctypes.POINTER(c_void_p)]),
            "lowbitCompileMLIR": (c_int, [c_void_p, c_char_p, ctypes.POINTER(c_void_p)]),
            "lowbitKernelDestroy": (None, [c_void_p]),
            "lowbitKernelImage": (c_void_p, [c_void_p, ctypes.POINTER(c_size_t),
                                             ctypes.POINTER(c_int)]),
            "lowbitKernelManifest": (c_char_p, [c_void_p]),
            "lowbitKernelSource": (c_char_p, [c_void_p]),
            "lowbitKernelCompileTimes": (None, [c_void_p] + [ctypes.POINTER(c_double)] * 3),
            "lowbitKernelLaunch": (c_int, [c_void_p, c_void_p, ctypes.POINTER(c_void_p),
                                           c_size_t, c_void_p]),
            "lowbitKernelLaunchOnDevice": (c_int, [c_void_p, c_void_p, ctypes.POINTER(c_void_p),
                                                   c_size_t, c_void_p, c_int]),
            "lowbitContextSetProgrammaticLaunches": (c_int, [c_void_p, c_int]),
            "lowbitScaleCount": (c_int, [c_void_p, c_char_p, c_int64, c_int64,
                                         ctypes.POINTER(c_int64)]),
            "lowbitQuantize": (c_int, [c_void_p, c_char_p, c_float_p, c_int64, c_int64,
                                       c_uint8_p, c_float_p, c_float_p]),
            "lowbitDequantize": (c_int, [c_void_p, c_char_p, c_uint8_p, c_int64, c_int64,
                                         c_float_p, c_float_p, c_float_p]),
            "lowbitPack4": (c_int, [c_void_p, c_uint8_p, c_int64, c_int64, c_uint8_p]),
            "lowbitPackCodes": (c_int, [c_void_p, c_uint8_p, c_int64, c_int64, ctypes.c_int,
                                        c_uint8_p]),
            "lowbitPackInterleaved": (c_int, [c_void_p, c_uint8_p, c_int64, c_int64,
                                              ctypes.c_int, ctypes.POINTER(c_int64), c_int64,
                                              c_uint8_p]),
            "lowbitPackSignMagnitude": (c_int, [c_void_p, c_uint8_p, c_int64, c_int64,
                                                c_uint8_p]),
            "lowbitBitRowBytes": (c_int64, [c_int64]),
            "lowbitPackBits": (c_int, [c_void_p, c_uint8_p, c_int64, c_int64, c_uint8_p]),
        }
        for name, (restype, argtypes) in sig.items():
            fn = getattr(_lib, name)
            fn.restype, fn.argtypes = restype, argtypes
    return _lib
