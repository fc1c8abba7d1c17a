/* AVX-512 depthwise family for float64: the dwconv_simd.h body with 8 double
 * lanes; lane indices are widened to int64 for vpermpd and the gathers. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))
#define FAM(name) dw512d_##name
#define VL 8
#define ET double
typedef __m512d vec;
typedef __mmask8 vmask;
typedef __m512i ivec;

static inline TGT vmask dw512d_first(int64_t n) {
    return n >= VL ? (vmask)0xFF : (vmask)((1u << (n > 0 ? n : 0)) - 1u);
}
static inline TGT vec dw512d_even(vec lo, vec hi) {
    const __m512i idx = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
    return _mm512_permutex2var_pd(lo, idx, hi);
}

#define V_ZERO() _mm512_setzero_pd()
#define V_SET1(s) _mm512_set1_pd(s)
#define V_LOAD(p) _mm512_loadu_pd(p)
#define V_PIN(v) __asm__("" : "+v"(v)) /* keep a loaded column in a register */
#define V_STORE(p, v) _mm512_storeu_pd(p, v)
#define V_STREAM(p, v) _mm512_stream_pd(p, v) /* p aligned to the vector */
#define V_SFENCE() _mm_sfence()
#define V_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define V_LOADM(p, m) _mm512_maskz_loadu_pd(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_pd(p, m, v)
#define M_FIRST(n) dw512d_first(n)
#define M_ANDNOT(a, b) (vmask)((b) & ~(a))
#define V_FMAM(a, b, c, m) _mm512_mask3_fmadd_pd(a, b, c, m)
#define I_LOAD(p) _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(p)))
#define V_PERM(idx, v) _mm512_permutexvar_pd(idx, v)
#define V_EVEN(lo, hi) dw512d_even(lo, hi)
#define V_GATHERM(p, idx, m) _mm512_mask_i64gather_pd(_mm512_setzero_pd(), m, idx, p, 8)

/* register blocks (pixels): as for float32, the register file is the limit */
#define RB 8
#define R3 12
#define R5 10
#define R7 16 /* as in float32: 16 chains hide the FMA latency of 49 taps */
#define R2 4

#include "dwconv_simd.h"

const sepconv_dw_kernels_f64 sepconv_dw_avx512_f64 = {dw512d_size, dw512d_pack, dw512d_rows};
#endif
