/* AVX2 + FMA depthwise family: 8 float lanes, vmaskmovps for channel tails,
 * vpermps for the depth multiplier, shuffles for stride-2 NCHW rows. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#define TGT __attribute__((target("avx2,fma")))
#define FAM(name) dw256_##name
#define VL 8
#define ET float
typedef __m256 vec;
typedef __m256i vmask;
typedef __m256i ivec;

static inline TGT vmask dw256_first(int64_t n) {
    const int32_t k = (int32_t)(n >= VL ? VL : n > 0 ? n : 0);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline TGT vec dw256_even(vec lo, vec hi) {
    /* [lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6] -> [lo0 lo2 lo4 lo6 hi0 hi2 hi4 hi6] */
    const __m256 t = _mm256_shuffle_ps(lo, hi, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(t), 0xD8));
}

#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(s) _mm256_set1_ps(s)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_PIN(v) __asm__("" : "+x"(v)) /* keep a loaded column in a register */
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_STREAM(p, v) _mm256_stream_ps(p, v) /* p aligned to the vector */
#define V_SFENCE() _mm_sfence()
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_LOADM(p, m) _mm256_maskload_ps(p, m)
#define V_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#define M_FIRST(n) dw256_first(n)
#define M_ANDNOT(a, b) _mm256_andnot_si256(a, b)
#define V_FMAM(a, b, c, m) _mm256_blendv_ps(c, _mm256_fmadd_ps(a, b, c), _mm256_castsi256_ps(m))
#define I_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define V_PERM(idx, v) _mm256_permutevar8x32_ps(v, idx)
#define V_EVEN(lo, hi) dw256_even(lo, hi)
#define V_GATHERM(p, idx, m) \
    _mm256_mask_i32gather_ps(_mm256_setzero_ps(), p, idx, _mm256_castsi256_ps(m), 4)

/* register blocks (pixels): general, 3-, 5-, 7-wide kernels, short runs */
#define RB 8
#define R3 8
#define R5 6
#define R7 4
#define R2 4

#include "dwconv_simd.h"

const sepconv_dw_kernels_f32 sepconv_dw_avx2_f32 = {dw256_size, dw256_pack, dw256_rows};
#endif
