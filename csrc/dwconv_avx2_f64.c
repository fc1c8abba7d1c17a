/* AVX2 + FMA depthwise family for float64: the dwconv_simd.h body with 4
 * double lanes.  Lane indices are held as int64 (for the gathers); a lane
 * permutation turns them into the int32 pairs vpermps wants. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma")))
#define FAM(name) dw256d_##name
#define VL 4
#define ET double
typedef __m256d vec;
typedef __m256i vmask; /* all-ones 64-bit lanes */
typedef __m256i ivec;  /* int64 lane indices */

static inline TGT vmask dw256d_first(int64_t n) {
    const int64_t k = n >= VL ? VL : n > 0 ? n : 0;
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(k), _mm256_setr_epi64x(0, 1, 2, 3));
}
static inline TGT vec dw256d_perm(ivec idx, vec v) {
    /* double lane e = float lanes 2e, 2e + 1 */
    const __m256i e2 = _mm256_slli_epi64(idx, 1);
    const __m256i pairs = _mm256_or_si256(
        e2, _mm256_slli_epi64(_mm256_add_epi64(e2, _mm256_set1_epi64x(1)), 32));
    return _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), pairs));
}
static inline TGT vec dw256d_even(vec lo, vec hi) {
    /* [lo0 hi0 lo2 hi2] -> [lo0 lo2 hi0 hi2] */
    return _mm256_permute4x64_pd(_mm256_unpacklo_pd(lo, hi), 0xD8);
}

#define V_ZERO() _mm256_setzero_pd()
#define V_SET1(s) _mm256_set1_pd(s)
#define V_LOAD(p) _mm256_loadu_pd(p)
#define V_PIN(v) __asm__("" : "+x"(v)) /* keep a loaded column in a register */
#define V_STORE(p, v) _mm256_storeu_pd(p, v)
#define V_STREAM(p, v) _mm256_stream_pd(p, v) /* p aligned to the vector */
#define V_SFENCE() _mm_sfence()
#define V_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define V_LOADM(p, m) _mm256_maskload_pd(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_pd(p, m, v)
#define M_FIRST(n) dw256d_first(n)
#define M_ANDNOT(a, b) _mm256_andnot_si256(a, b)
#define V_FMAM(a, b, c, m) _mm256_blendv_pd(c, _mm256_fmadd_pd(a, b, c), _mm256_castsi256_pd(m))
#define I_LOAD(p) _mm256_cvtepi32_epi64(_mm_loadu_si128((const __m128i *)(p)))
#define V_PERM(idx, v) dw256d_perm(idx, v)
#define V_EVEN(lo, hi) dw256d_even(lo, hi)
#define V_GATHERM(p, idx, m) \
    _mm256_mask_i64gather_pd(_mm256_setzero_pd(), p, idx, _mm256_castsi256_pd(m), 8)

/* register blocks (pixels): general, 3-, 5-, 7-wide kernels, short runs */
#define RB 8
#define R3 8
#define R5 6
#define R7 4
#define R2 4

#include "dwconv_simd.h"

const sepconv_dw_kernels_f64 sepconv_dw_avx2_f64 = {dw256d_size, dw256d_pack, dw256d_rows};
#endif
