/* Portable pointwise family (float32 and float64), also the one for aarch64
 * and for every float64 run.  Products and sums are rounded separately
 * (ISO C mode: gcc does not contract; clang is told so below), so the
 * vectorised and edge paths give identical bits. */
#include <string.h>
#include "kernels.h"
#include "epilogue.h"
#include "gemm_common.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define T float
#define SFX f32
#define MR 4
#define NR 8
#define F_BLOCK 8
#include "gemm_scalar_impl.h"
#undef T
#undef SFX
#undef MR
#undef NR
#undef F_BLOCK

#define T double
#define SFX f64
#define MR 4
#define NR 4
#define F_BLOCK 4
#include "gemm_scalar_impl.h"
#undef T
#undef SFX
#undef MR
#undef NR
#undef F_BLOCK
