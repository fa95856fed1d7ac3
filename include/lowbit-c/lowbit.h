/*===- lowbit.h - the lowbit C API ----------------------------------------===*\
|*                                                                            *|
|* libLowbitC.so: compile low-bit operators (one-line specs or MLIR) to PTX   *|
|* or cubins through a cached JIT driver, launch them through the CUDA        *|
|* driver, and quantize weights on the host. Every symbol starts with         *|
|* `lowbit`; functions returning int return 0 on success and non-zero on      *|
|* error, with the message in lowbitContextError(). No CUDA is needed to      *|
|* compile; launching needs a GPU (loaded with dlopen at first use).          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef LOWBIT_C_LOWBIT_H
#define LOWBIT_C_LOWBIT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lowbitContextImpl *lowbitContext;
typedef struct lowbitKernelImpl *lowbitKernel;

/* The library's version, e.g. "0.1.0". */
const char *lowbitVersion(void);

/* A context compiles for `arch` (sm_80, sm_86, sm_89, sm_90, sm_90a) and
 * caches kernels in `cacheDir` (NULL: $LOWBIT_CACHE_DIR, else
 * $XDG_CACHE_HOME/lowbit, else ~/.cache/lowbit, else none: never a shared
 * folder; "" : no disk cache).
 * Returns NULL only when out of memory. */
lowbitContext lowbitContextCreate(const char *arch, const char *cacheDir);
/* Waits for all work on the devices the context launched kernels on, then
 * unloads its kernels' modules there and frees it. */
void lowbitContextDestroy(lowbitContext context);
/* The last error of a call on `context` ("" when it succeeded). A copy for
 * the calling thread, valid until its next lowbitContextError call; with
 * several threads on one context, that of the call that finished last. */
const char *lowbitContextError(lowbitContext context);

/* The kernel of a spec ("matmul m=1 n=4096 k=4096 a=f16 w=u4:g128:zp"),
 * from memory, the disk cache or a fresh compile. `config` is a
 * #lowbit_gpu.config, NULL for the default, "tune": the tuned winner
 * (tuned now on GPU 0 when not cached; the default config without a GPU),
 * or "tuned": the tuned winner if cached, else an error saying so. */
int lowbitCompileSpec(lowbitContext context, const char *spec, const char *config,
                      lowbitKernel *kernel);
/* Compiles MLIR source holding one lowbit.matmul (not cached). */
int lowbitCompileMLIR(lowbitContext context, const char *source, lowbitKernel *kernel);
void lowbitKernelDestroy(lowbitKernel kernel);

/* The kernel accessors return NULL (and do nothing) for a NULL kernel. */
/* The image: a cubin (`*isCubin` = 1) or PTX text. */
const void *lowbitKernelImage(lowbitKernel kernel, size_t *size, int *isCubin);
/* The launch manifest as JSON (entry, grid, block, shared memory, params,
 * tensor maps). */
const char *lowbitKernelManifest(lowbitKernel kernel);
/* Where the kernel came from: "memory", "disk" or "compiled". */
const char *lowbitKernelSource(lowbitKernel kernel);
/* Seconds spent compiling it (0 unless compiled now): MLIR, LLVM, ptxas. */
void lowbitKernelCompileTimes(lowbitKernel kernel, double *mlir, double *llvm,
                              double *ptxas);

/* Launches the kernel on `stream` (a CUstream, NULL for the default) with
 * device pointers in the manifest's parameter order, on the stream's device
 * (for the default streams, that of the calling thread's current context;
 * device 0 without one). The stream must belong to its device's primary
 * context (the CUDA runtime's, which torch uses): another context's stream,
 * or its default stream, is an error. The kernel's module is loaded on each
 * device at its first launch there. The calling thread's current context
 * (the CUDA runtime's current device) is left as it was. Operands are in the
 * kernel's layout (codes narrower than a byte packed as lowbitPackCodes packs
 * them: 4-bit ones two per byte, low nibble first); a
 * result the manifest marks zero_result must be zeroed first. The TMA tensor
 * maps the manifest lists are encoded from these pointers on each call and
 * passed after them. Does not wait. Kernels whose manifest entry has
 * `shared_workspace` (stream-K) exchange partial sums through a workspace in
 * their module, so launches of one must not overlap: each launch waits for
 * the kernel's previous one (an event, whatever the stream). Launched on a
 * stream being captured into a CUDA graph, they neither wait nor mark: the
 * caller orders them there (capture one stream, or join the streams between
 * two launches of one kernel) and must not let a replay overlap another
 * launch of the same kernel, replayed or not (replay on the stream of the
 * other launches, or synchronize). Their blocks wait for one
 * another: their grid (at most the target's SM count) is meant to be
 * resident at once (docs/GPU.md). */
int lowbitKernelLaunch(lowbitContext context, lowbitKernel kernel, void *const *args,
                       size_t numArgs, void *stream);
/* lowbitKernelLaunch on device `device` (an ordinal; -1: as
 * lowbitKernelLaunch finds it): a default stream (NULL) is then that
 * device's primary context's, whatever context is current, and another
 * device's stream is an error. */
int lowbitKernelLaunchOnDevice(lowbitContext context, lowbitKernel kernel, void *const *args,
                               size_t numArgs, void *stream, int device);

/* `on` = 1: launch the kernels whose manifest says "dependent_launch" (the
 * sm_90 wgmma and tma_gemv kernels) as programmatic dependent launches.
 * Their blocks start while the kernel before them on the stream finishes,
 * set up and load their weights, and wait for it to complete before they
 * read activations, scales or zero points or write anything. So the kernel
 * just before must not write their weights (a repack or dequantize on the
 * GPU, weights streamed into a reused buffer): synchronize, or launch
 * plainly, after such a kernel. Chains of decode layers ran
 * 1.01-1.33x faster per call on the H100 (docs/GPU.md). Such launches may use
 * more shared memory than the manifest says (to spread their blocks evenly
 * over the SMs). 0: plain launches (the default). Applies to later launches
 * on this context. Kernels compiled from specs with `launch=programmatic`
 * take the configs measured (and tuned) fastest in such chains
 * (docs/JIT.md); any kernel runs correctly launched either way. */
int lowbitContextSetProgrammaticLaunches(lowbitContext context, int on);

/* Quantizes a row-major rows x cols float matrix with `scheme` (the weight
 * part of a spec: "u4:g128:zp", "s8", "e4m3:per_tensor", ...), choosing the
 * scales (and zero points) from the data. `codes` receives rows * cols raw
 * codes, one per byte; `scales` and `zeroPoints` (decoded values; may be
 * NULL without zero points) receive lowbitScaleCount() values. */
int lowbitScaleCount(lowbitContext context, const char *scheme, int64_t rows, int64_t cols,
                     int64_t *count);
int lowbitQuantize(lowbitContext context, const char *scheme, const float *values,
                   int64_t rows, int64_t cols, uint8_t *codes, float *scales,
                   float *zeroPoints);
/* The reals the codes stand for: (code - zero point) * scale. */
int lowbitDequantize(lowbitContext context, const char *scheme, const uint8_t *codes,
                     int64_t rows, int64_t cols, const float *scales,
                     const float *zeroPoints, float *values);
/* Packs rows x cols codes of `bits` bits (1 to 8, one per byte) as kernels
 * read a #lowbit.layout<packed> weight: one stream, code i at bits
 * [i * bits, (i + 1) * bits), low bits first: (rows * cols * bits + 7) / 8
 * bytes. A code that does not fit `bits` bits is an error, as are sizes
 * whose bits overflow 64 bits (for every packing function). */
int lowbitPackCodes(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                    int bits, uint8_t *packed);
/* Packs rows x cols codes of `bits` bits (one per byte) as kernels read a
 * #lowbit.layout<interleave, order = [...]> weight (a manifest parameter
 * with "layout": "interleave" names its "order"): each row in groups of
 * `positions` codes (one, two or four 32-bit words: 32 / bits, 64 / bits or
 * 128 / bits codes), bits [p * bits, (p + 1) * bits) of a group
 * (little-endian words) holding its code order[p]: rows * cols * bits / 8
 * bytes. `bits` is 2, 4 or 8, cols a multiple of
 * `positions`, `order` a permutation of 0 .. positions - 1; otherwise, or
 * for a code that does not fit, an error. */
int lowbitPackInterleaved(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                          int bits, const int64_t *order, int64_t positions, uint8_t *packed);
/* Packs rows x cols signed 4-bit codes (one per byte, two's complement in
 * the low four bits: -1 is 15) as kernels read a
 * #lowbit.layout<sign_magnitude> weight (a manifest parameter with
 * "layout": "sign_magnitude"): each code as the e4m3 byte of code / 512, in
 * groups of 32 codes of a row (include/lowbit/Quant/Layouts.h): rows * cols
 * / 2 bytes. cols is a multiple of 32 and the codes are -7..7; -8, or a code
 * that does not fit 4 bits, is an error. */
int lowbitPackSignMagnitude(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                            uint8_t *packed);
/* lowbitPackCodes with 4 bits: two codes per byte, (rows * cols + 1) / 2
 * bytes. */
int lowbitPack4(lowbitContext context, const uint8_t *codes, int64_t rows, int64_t cols,
                uint8_t *packed);
/* Bytes of one row of k bits as bit-plane kernels (lowbit.bitplane_matmul)
 * read them: bit i % 8 of byte i / 8, padded with zero bits to a multiple of
 * 16 bytes; -1 for a k below 0 or above 2^56 (lowbitPackBits's limit). */
int64_t lowbitBitRowBytes(int64_t k);
/* Packs rows x k bits (0 or 1, one per byte; any other value is an error)
 * into that layout: rows * lowbitBitRowBytes(k) bytes. A [P, M, K] plane
 * tensor is P * M rows. */
int lowbitPackBits(lowbitContext context, const uint8_t *bits, int64_t rows, int64_t k,
                   uint8_t *packed);

#ifdef __cplusplus
}
#endif

#endif /* LOWBIT_C_LOWBIT_H */
