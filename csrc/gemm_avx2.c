/* AVX2+FMA pointwise kernels (float32); the same scheme as gemm_avx512.c with
 * 8-wide vectors and 16 registers:
 *   NHWC: rows = pixels (d broadcast in place) x 16 output channels (packed
 *         panel of 16): 6 x 16, 12 accumulators.
 *   NCHW: rows = 4 output channels (packed W^T panel) x 24 pixels (rows of d):
 *         4 x 24, 12 accumulators.
 * Each output element is a sequential FMA chain over k from zero, then
 * + bias, then the activation, identical in interior and edge tiles. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#include "epilogue.h"
#include "gemm_common.h"

#define TGT __attribute__((target("avx2,fma")))
#define INL static inline __attribute__((always_inline)) TGT

enum { NHWC_MR = 6, NHWC_NR = 16, NCHW_MR = 4, NCHW_NR = 24, F_BLOCK = 16,
       NCHW_STRIP_MIN_K = 1024 /* K above which NCHW tiles go strip by strip (tile_nchw) */ };

INL __m256 act_vec(int act, __m256 x) {
    const __m256 zero = _mm256_setzero_ps();
    switch (act) {
    case SEPCONV_ACT_RELU: return _mm256_max_ps(zero, x); /* NaN in x comes through */
    case SEPCONV_ACT_RELU6: return _mm256_min_ps(_mm256_set1_ps(6.f), _mm256_max_ps(zero, x));
    case SEPCONV_ACT_LEAKY_RELU: {
        __m256 neg = _mm256_cmp_ps(x, zero, _CMP_LT_OQ);
        return _mm256_blendv_ps(x, _mm256_mul_ps(x, _mm256_set1_ps(0.2f)), neg);
    }
    case SEPCONV_ACT_HARD_SIGMOID: {
        __m256 v = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(0.2f)), _mm256_set1_ps(0.5f));
        return _mm256_min_ps(_mm256_set1_ps(1.f), _mm256_max_ps(zero, v));
    }
    default: return x;
    }
}

/* Lanes [0, n) set, n in 1..8. */
INL __m256i tail_mask(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* C[MR x 8*NV]; the last vector column holds nlast valid lanes (masked loads
 * of B when mask_b, masked stores); only the first `rows` rows are stored.
 * bias_rows: bias per row (broadcast) rather than per column (vector). */
INL void ukr(const int MR, const int NV, const int mask_b, int64_t k, const float *a,
             int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs, int nlast,
             const float *bias, const int bias_rows, int act, int rows, float *c, int64_t ldc) {
    const __m256i mlast = tail_mask(nlast);
    __m256 acc[NHWC_MR][3];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
    for (int64_t kk = 0; kk < k; kk++) {
        __m256 bv[3];
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            bv[v] = (mask_b && v == NV - 1) ? _mm256_maskload_ps(b + 8 * v, mlast)
                                             : _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            __m256 av = _mm256_broadcast_ss(a + r * a_rs);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += a_cs;
        b += b_rs;
    }
    const int vec_act = sepconv_gemm_act_is_simple(act);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        float *cr = c + r * ldc;
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            __m256 bb = bias_rows ? _mm256_broadcast_ss(bias + r) : _mm256_loadu_ps(bias + 8 * v);
            __m256 x = _mm256_add_ps(acc[r][v], bb);
            if (vec_act) x = act_vec(act, x);
            if (v == NV - 1) _mm256_maskstore_ps(cr + 8 * v, mlast, x);
            else _mm256_storeu_ps(cr + 8 * v, x);
        }
    }
    /* after every store: a call with accumulators live would spill them all */
    if (!vec_act)
        for (int r = 0; r < rows; r++) sepconv_act_apply_f32(act, c + r * ldc, 8 * (NV - 1) + nlast, 1);
}

SEPCONV_GEMM_PACK_FNS(float, f32)

/* NHWC rows of pixels with a constant row count: instantiations 1..6. */
#define NHWC_CASE(R)                                                                        \
    case R:                                                                                 \
        if (nv == 2) ukr(R, 2, 0, k, a, ldd, 1, panel, NHWC_NR, nlast, panel + k * NHWC_NR, 0, \
                         act, R, c, ldy);                                                    \
        else ukr(R, 1, 0, k, a, ldd, 1, panel, NHWC_NR, nlast, panel + k * NHWC_NR, 0, act, R, \
                 c, ldy);                                                                    \
        break;

TGT static void nhwc_rows(int rows, int nv, int nlast, int64_t k, const float *a, int64_t ldd,
                          const float *panel, int act, float *c, int64_t ldy) {
    switch (rows) {
        NHWC_CASE(1) NHWC_CASE(2) NHWC_CASE(3) NHWC_CASE(4) NHWC_CASE(5) NHWC_CASE(6)
    default: break;
    }
}

TGT static void tile_nhwc(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                          int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy) {
    const int64_t k = p->c * p->m, pstride = k * NHWC_NR + NHWC_NR;
    for (int64_t j0 = f0; j0 < f1; j0 += NHWC_NR) {
        const float *panel = wp + (j0 / NHWC_NR) * pstride;
        const int ncols = (int)(f1 - j0 < NHWC_NR ? f1 - j0 : NHWC_NR);
        const int nv = ncols > 8 ? 2 : 1;
        const int nlast = ncols - 8 * (nv - 1);
        int64_t i0 = 0;
        for (; i0 + NHWC_MR <= npix; i0 += NHWC_MR)
            nhwc_rows(NHWC_MR, nv, nlast, k, d + i0 * ldd, ldd, panel, p->act, y + i0 * ldy + j0,
                      ldy);
        if (i0 < npix)
            nhwc_rows((int)(npix - i0), nv, nlast, k, d + i0 * ldd, ldd, panel, p->act,
                      y + i0 * ldy + j0, ldy);
    }
}

/* One NCHW micro-tile: channels of panel pi (rows), pixels i0.. (columns). */
TGT static void nchw_block(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                           int64_t npix, int64_t i0, int64_t pi, int64_t f1, float *y,
                           int64_t ldy) {
    const int64_t k = p->c * p->m, pstride = k * NCHW_MR + NCHW_MR;
    const float *panel = wp + pi * pstride;
    const int64_t j0 = pi * NCHW_MR;
    const int rows = (int)(f1 - j0 < NCHW_MR ? f1 - j0 : NCHW_MR);
    const int ncols = (int)(npix - i0 < NCHW_NR ? npix - i0 : NCHW_NR);
    const int nv = (ncols + 7) / 8;
    const int nlast = ncols - 8 * (nv - 1);
    const float *b = d + i0, *bias = panel + k * NCHW_MR;
    float *c = y + j0 * ldy + i0;
    if (nv == 3)
        ukr(NCHW_MR, 3, 1, k, panel, 1, NCHW_MR, b, ldd, nlast, bias, 1, p->act, rows, c, ldy);
    else if (nv == 2)
        ukr(NCHW_MR, 2, 1, k, panel, 1, NCHW_MR, b, ldd, nlast, bias, 1, p->act, rows, c, ldy);
    else
        ukr(NCHW_MR, 1, 1, k, panel, 1, NCHW_MR, b, ldd, nlast, bias, 1, p->act, rows, c, ldy);
}

TGT static void tile_nchw(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                          int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy) {
    const int64_t k = p->c * p->m;
    const int64_t p0 = f0 / NCHW_MR, p1 = (f1 + NCHW_MR - 1) / NCHW_MR;
    if (k > NCHW_STRIP_MIN_K &&
        sepconv_gemm_weights_fit_l2((p1 - p0) * (k * NCHW_MR + NCHW_MR) * (int64_t)sizeof(float))) {
        /* weights stay in L2; a K x 24 strip of d is reused by every panel */
        for (int64_t i0 = 0; i0 < npix; i0 += NCHW_NR)
            for (int64_t pi = p0; pi < p1; pi++) nchw_block(p, wp, d, ldd, npix, i0, pi, f1, y, ldy);
    } else {
        /* each panel over all pixels, as in gemm_avx512.c: its 4 output rows
         * go out as long runs, not one short run per channel and strip, and
         * big weights come in once */
        for (int64_t pi = p0; pi < p1; pi++)
            for (int64_t i0 = 0; i0 < npix; i0 += NCHW_NR) nchw_block(p, wp, d, ldd, npix, i0, pi, f1, y, ldy);
    }
}

static void tile_f32(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                     int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy,
                     sepconv_ahead *ahead) {
    (void)ahead; /* not measured on this family */
    if (npix <= 0 || f1 <= f0) return;
    if (p->layout == SEPCONV_NCHW) tile_nchw(p, wp, d, ldd, npix, f0, f1, y, ldy);
    else tile_nhwc(p, wp, d, ldd, npix, f0, f1, y, ldy);
}

const sepconv_pw_kernels_f32 sepconv_pw_avx2_f32 = {size_f32, pack_f32, tile_f32, F_BLOCK};
#endif
