/* AVX-512 depthwise family: 16 float lanes, mask registers for channel tails,
 * vpermps for the depth multiplier, vpermt2ps for stride-2 NCHW rows. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#define TGT __attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma")))
#define FAM(name) dw512_##name
#define VL 16
#define ET float
typedef __m512 vec;
typedef __mmask16 vmask;
typedef __m512i ivec;

static inline TGT vmask dw512_first(int64_t n) {
    return n >= VL ? (vmask)0xFFFF : (vmask)((1u << (n > 0 ? n : 0)) - 1u);
}
static inline TGT vec dw512_even(vec lo, vec hi) {
    const __m512i idx = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, idx, hi);
}

#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(s) _mm512_set1_ps(s)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_PIN(v) __asm__("" : "+v"(v)) /* keep a loaded column in a register */
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_STREAM(p, v) _mm512_stream_ps(p, v) /* p aligned to the vector */
#define V_SFENCE() _mm_sfence()
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_LOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define V_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define M_FIRST(n) dw512_first(n)
#define M_ANDNOT(a, b) (vmask)((b) & ~(a))
#define V_FMAM(a, b, c, m) _mm512_mask3_fmadd_ps(a, b, c, m)
#define I_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define V_PERM(idx, v) _mm512_permutexvar_ps(idx, v)
#define V_EVEN(lo, hi) dw512_even(lo, hi)
#define V_GATHERM(p, idx, m) _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, p, 4)

/* register blocks (pixels): general, 3-, 5-, 7-wide kernels, short runs */
#define RB 8
#define R3 12
#define R5 10
#define R7 16 /* 8 left FMA latency exposed (49 chained taps): 16 is 9-11 % faster on 7x7 */
#define R2 4

#include "dwconv_simd.h"

const sepconv_dw_kernels_f32 sepconv_dw_avx512_f32 = {dw512_size, dw512_pack, dw512_rows};
#endif
