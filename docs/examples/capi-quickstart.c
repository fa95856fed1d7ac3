/* The lowbit C API in one file: compile a W4A16 decode kernel from a spec
 * (twice: the second comes from the cache), quantize a weight matrix on the
 * host and measure what quantization lost, then launch where there is a GPU.
 *
 *   cc docs/examples/capi-quickstart.c -Iinclude -Lbuild/lib -lLowbitC \
 *      -Wl,-rpath,build/lib -o quickstart && ./quickstart
 */
#include "lowbit-c/lowbit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  lowbitContext ctx = lowbitContextCreate("sm_90a", NULL);
  printf("lowbit %s\n", lowbitVersion());

  const char *spec = "matmul m=1 n=4096 k=4096 a=f16 w=u4:g128:zp out=f32";
  lowbitKernel kernel;
  for (int round = 0; round < 2; ++round) {
    if (lowbitCompileSpec(ctx, spec, NULL, &kernel)) {
      fprintf(stderr, "compile: %s\n", lowbitContextError(ctx));
      return 1;
    }
    size_t size;
    int cubin;
    lowbitKernelImage(kernel, &size, &cubin);
    printf("round %d: %s, %s of %zu bytes\n", round, lowbitKernelSource(kernel),
           cubin ? "cubin" : "PTX", size);
    if (round == 0)
      lowbitKernelDestroy(kernel);
  }

  /* Bad input is an error with a message, not a crash. */
  lowbitKernel bad;
  if (lowbitCompileSpec(ctx, "matmul m=1 n=4096 k=4096 a=f16 w=u7", NULL, &bad))
    printf("error: %s\n", lowbitContextError(ctx));

  /* Quantize 256 x 512 weights to u4 with group-128 scales and zero points. */
  enum { ROWS = 256, COLS = 512 };
  float *w = malloc(sizeof(float) * ROWS * COLS), *back = malloc(sizeof(float) * ROWS * COLS);
  unsigned char *codes = malloc(ROWS * COLS);
  unsigned seed = 1;
  for (int i = 0; i < ROWS * COLS; ++i) {
    seed = seed * 1664525u + 1013904223u;
    w[i] = (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
  }
  int64_t groups;
  lowbitScaleCount(ctx, "u4:g128:zp", ROWS, COLS, &groups);
  float *scales = malloc(sizeof(float) * groups), *zeros = malloc(sizeof(float) * groups);
  if (lowbitQuantize(ctx, "u4:g128:zp", w, ROWS, COLS, codes, scales, zeros) ||
      lowbitDequantize(ctx, "u4:g128:zp", codes, ROWS, COLS, scales, zeros, back)) {
    fprintf(stderr, "quantize: %s\n", lowbitContextError(ctx));
    return 1;
  }
  /* Round to nearest: no element is off by more than half its group's step. */
  double err = 0, norm = 0, worstSteps = 0;
  for (int i = 0; i < ROWS * COLS; ++i) {
    double d = back[i] - w[i];
    double step = scales[(i / COLS) * (COLS / 128) + (i % COLS) / 128];
    err += d * d;
    norm += (double)w[i] * w[i];
    if (fabs(d) / step > worstSteps)
      worstSteps = fabs(d) / step;
  }
  printf("quantized %d x %d to u4 with %lld groups: relative L2 error %.3f, "
         "largest error %.3f steps\n",
         ROWS, COLS, (long long)groups, sqrt(err / norm), worstSteps);

  /* Decode layers back to back: let each Hopper kernel start while the one
   * before it finishes (that kernel must not write this one's weights). */
  if (lowbitContextSetProgrammaticLaunches(ctx, 1))
    printf("error: %s\n", lowbitContextError(ctx));
  /* Launching needs device pointers (here: none, to show the check). */
  if (lowbitKernelLaunch(ctx, kernel, NULL, 0, NULL))
    printf("launch: %s\n", lowbitContextError(ctx));

  lowbitKernelDestroy(kernel);
  lowbitContextDestroy(ctx);
  free(w); free(back); free(codes); free(scales); free(zeros);
  return 0;
}
