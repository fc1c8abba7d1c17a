/* AVX-512 pointwise kernels for float64: the float32 scheme of gemm_avx512.c
 * with 8 double lanes.
 *   NHWC: rows = pixels (A = d in place), columns = a packed panel of 16
 *         output channels: 14 x 16, 28 accumulators.
 *   NCHW: y^T = W^T d^T: rows = a packed W^T panel of 8 channels, columns =
 *         pixels (rows of d): 8 x 24, 24 accumulators.
 * Every output element is a sequential FMA chain over k = 0..K-1 starting at
 * zero, then + bias, then the activation, in interior and edge tiles alike,
 * so the result does not depend on the tiling. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#include "epilogue.h"
#include "gemm_common.h"

#define TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#define INL static inline __attribute__((always_inline)) TGT

enum { NHWC_MR = 14, NHWC_NR = 16, NCHW_MR = 8, NCHW_NR = 24, F_BLOCK = 16,
       NCHW_KC = 128 /* a 128 x 24 strip of d: 24 KB of L1 */,
       NHWC_KC = 256 /* a 256 x 16 weight block: 32 KB of L1 */,
       NHWC_FULL_K_MAX = 2560 /* K up to which a micro-tile runs the whole K (tile_nhwc) */,
       /* doubles: d rows 4 KB apart (at 2 KB, K = 256, the copy cost xc_05 3-4 %) */
       NHWC_REPACK_MOD = 512,
       NCHW_STRIP_MIN_K = 1024 /* K above which NCHW tiles go strip by strip (tile_nchw) */ };

INL __m512d act_vec(int act, __m512d x) {
    const __m512d zero = _mm512_setzero_pd();
    switch (act) {
    case SEPCONV_ACT_RELU: return _mm512_max_pd(zero, x); /* NaN in x comes through */
    case SEPCONV_ACT_RELU6: return _mm512_min_pd(_mm512_set1_pd(6.), _mm512_max_pd(zero, x));
    case SEPCONV_ACT_LEAKY_RELU: {
        __mmask8 neg = _mm512_cmp_pd_mask(x, zero, _CMP_LT_OQ);
        return _mm512_mask_mul_pd(x, neg, x, _mm512_set1_pd(0.2));
    }
    case SEPCONV_ACT_HARD_SIGMOID: {
        __m512d v = _mm512_add_pd(_mm512_mul_pd(x, _mm512_set1_pd(0.2)), _mm512_set1_pd(0.5));
        return _mm512_min_pd(_mm512_set1_pd(1.), _mm512_max_pd(zero, v));
    }
    default: return x;
    }
}

/* C[MR x 8*NV]; the last vector column is loaded (if mask_b) and stored under
 * mlast; only the first `rows` rows are stored.  bias_rows: bias is per row
 * (broadcast) rather than per column (vector).  load_c/finish: partial sums
 * over a block of k go through c raw and are resumed. */
INL void ukr(const int MR, const int NV, const int mask_b, int64_t k, const double *a,
             int64_t a_rs, int64_t a_cs, const double *b, int64_t b_rs, __mmask8 mlast,
             const double *bias, const int bias_rows, int act, int rows, double *c,
             int64_t ldc, const int load_c, const int finish, const int PF, const char *pf,
             int64_t pf_n, const int STREAM) {
    __m512d acc[NHWC_MR][3];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            acc[r][v] = !load_c || r >= rows ? _mm512_setzero_pd()
                        : v == NV - 1       ? _mm512_maskz_loadu_pd(mlast, c + r * ldc + 8 * v)
                                            : _mm512_loadu_pd(c + r * ldc + 8 * v);
    for (int64_t kk = 0; kk < k; kk++) {
        __m512d bv[3];
        /* one line of the caller's next input into L2 per k */
        if (PF) _mm_prefetch(pf + 64 * (kk < pf_n ? kk : pf_n - 1), _MM_HINT_T1);
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            bv[v] = (mask_b && v == NV - 1) ? _mm512_maskz_loadu_pd(mlast, b + 8 * v)
                                             : _mm512_loadu_pd(b + 8 * v);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            __m512d av = _mm512_set1_pd(a[r * a_rs]);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_pd(av, bv[v], acc[r][v]);
        }
        a += a_cs;
        b += b_rs;
    }
    if (!finish) {
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            if (r >= rows) break;
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++) {
                if (v == NV - 1) _mm512_mask_storeu_pd(c + r * ldc + 8 * v, mlast, acc[r][v]);
                else _mm512_storeu_pd(c + r * ldc + 8 * v, acc[r][v]);
            }
        }
        return;
    }
    const int vec_act = sepconv_gemm_act_is_simple(act);
    /* a streamed line must not be read back: not with a separate activation pass */
    const int stream = STREAM && vec_act;
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        if (r >= rows) break;
        double *cr = c + r * ldc;
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            __m512d bb = bias_rows ? _mm512_set1_pd(bias[r]) : _mm512_loadu_pd(bias + 8 * v);
            __m512d x = _mm512_add_pd(acc[r][v], bb);
            if (vec_act) x = act_vec(act, x);
            double *dst = cr + 8 * v;
            if (stream && (v < NV - 1 || mlast == 0xFF) && ((uintptr_t)dst & 63) == 0)
                _mm512_stream_pd(dst, x);
            else if (v == NV - 1) _mm512_mask_storeu_pd(dst, mlast, x);
            else _mm512_storeu_pd(dst, x);
        }
    }
    /* after every store: a call with accumulators live would spill them all */
    if (!vec_act)
        for (int r = 0; r < rows; r++)
            sepconv_act_apply_f64(act, c + r * ldc, 8 * (NV - 1) + __builtin_popcount(mlast), 1);
}

SEPCONV_GEMM_PACK_FNS(double, f64)

static inline __mmask8 tail_mask(int64_t n) { /* n in 1..8 */
    return (__mmask8)(n >= 8 ? 0xFF : ((1u << n) - 1));
}

#define NHWC_CASE(R, PF, ST)                                                              \
    case R:                                                                               \
        if (nv == 2) ukr(R, 2, 0, kn, a, ldd, 1, b, NHWC_NR, m, bias, 0, act, R, c, ldy,  \
                         load, fin, PF, pf, pf_n, ST);                                    \
        else ukr(R, 1, 0, kn, a, ldd, 1, b, NHWC_NR, m, bias, 0, act, R, c, ldy, load, fin, \
                 PF, pf, pf_n, ST);                                                       \
        break;

/* PF: the variant that fetches pf_n lines from pf; ST: the one that streams
 * its output (SEPCONV_HINT_STREAM_OUTPUT); each a function of its own */
#define NHWC_ROWS(NAME, PF, ST, ATTR)                                                         \
    ATTR TGT static void NAME(int rows, int nv, __mmask8 m, int64_t k, int64_t k0, int64_t k1, \
                              const double *a, int64_t ldd, const double *panel, int act,     \
                              double *c, int64_t ldy, const char *pf, int64_t pf_n) {         \
        const int64_t kn = k1 - k0;                                                           \
        const double *b = panel + k0 * NHWC_NR, *bias = panel + k * NHWC_NR;                  \
        const int load = k0 > 0, fin = k1 == k; /* a starts at column k0 */                  \
        switch (rows) {                                                                       \
            NHWC_CASE(1, PF, ST) NHWC_CASE(2, PF, ST) NHWC_CASE(3, PF, ST)                    \
            NHWC_CASE(4, PF, ST) NHWC_CASE(5, PF, ST) NHWC_CASE(6, PF, ST)                    \
            NHWC_CASE(7, PF, ST) NHWC_CASE(8, PF, ST) NHWC_CASE(9, PF, ST)                    \
            NHWC_CASE(10, PF, ST) NHWC_CASE(11, PF, ST) NHWC_CASE(12, PF, ST)                 \
            NHWC_CASE(13, PF, ST) NHWC_CASE(14, PF, ST)                                       \
        default: break;                                                                       \
        }                                                                                     \
    }
#define NOINL __attribute__((noinline))
NHWC_ROWS(nhwc_rows, 0, 0, )
NHWC_ROWS(nhwc_rows_pf, 1, 0, NOINL)
NHWC_ROWS(nhwc_rows_st, 0, 1, NOINL)
NHWC_ROWS(nhwc_rows_st_pf, 1, 1, NOINL)
#undef NOINL

typedef void (*nhwc_rows_fn)(int, int, __mmask8, int64_t, int64_t, int64_t, const double *,
                             int64_t, const double *, int, double *, int64_t, const char *, int64_t);
static nhwc_rows_fn nhwc_pick(int pf, int stream) {
    static const nhwc_rows_fn fns[2][2] = {{nhwc_rows, nhwc_rows_pf},
                                           {nhwc_rows_st, nhwc_rows_st_pf}};
    return fns[stream != 0][pf != 0];
}

/* A micro-tile runs the whole K while its weight panel (K x 128 B, from L2)
 * serves every row block, as in gemm_avx512.c; only K past NHWC_FULL_K_MAX
 * goes in blocks of KC kept in L1, run in order with raw partial sums, so
 * each element is still one chain over k.  As there too: d rows a multiple
 * of 4 KB apart copied to a padded stride per block of k, and when the
 * weights pass L2, the next panel fetched from L3 while this one runs
 * (batch 1, 1 thread, fused: xc_09 7.2-8.3 -> 6.1 ms, mbv1_13 1.9-2.4 ->
 * 1.9; xc_05 1.5 % slower).  Row blocks of 14 and a tail (blocks of even size, as the float32
 * kernel has, made xc_04 and xc_05 1.5-2 % slower here). */
TGT static void tile_nhwc(const sepconv_params *p, const double *wp, const double *d,
                          int64_t ldd, int64_t npix, int64_t f0, int64_t f1, double *y,
                          int64_t ldy, sepconv_ahead *ahead) {
    const int64_t k = p->c * p->m, pstride = k * NHWC_NR + NHWC_NR;
    const int64_t nrb = (npix + NHWC_MR - 1) / NHWC_MR;
    const int64_t npanels = (f1 - f0 + NHWC_NR - 1) / NHWC_NR;
    const int repack = ldd % NHWC_REPACK_MOD == 0;
    const int w_in_l2 = sepconv_gemm_weights_fit_l2(k * (f1 - f0) * (int64_t)sizeof(double));
    const int full_k = k <= NHWC_FULL_K_MAX;
    const int stream = (p->hints & SEPCONV_HINT_STREAM_OUTPUT) != 0;
    const int64_t lda = (full_k ? k : NHWC_KC + NHWC_KC / 2) + 8;
    double *buf = repack ? (double *)sepconv_scratch(SEPCONV_SCRATCH_KERNEL,
                                                     sizeof(double) * (size_t)(npix * lda))
                         : NULL;
    /* the caller's next input, spread evenly over the micro-kernel calls */
    const int64_t per_call = sepconv_ahead_per_call(ahead, nrb * npanels);
    if (full_k && !buf && w_in_l2) {
        /* weights from L2: every panel on one row block in turn (d rows read
         * once, output rows written whole) */
        for (int64_t b = 0, i0 = 0; b < nrb; b++) {
            const int rows = (int)(npix - i0 < NHWC_MR ? npix - i0 : NHWC_MR);
            for (int64_t j0 = f0; j0 < f1; j0 += NHWC_NR) {
                const int64_t ncols = f1 - j0 < NHWC_NR ? f1 - j0 : NHWC_NR;
                const int nv = ncols > 8 ? 2 : 1;
                const char *pf = NULL;
                const int64_t n = sepconv_ahead_take(ahead, per_call, k, &pf);
                nhwc_pick(n > 0, stream)(rows, nv, tail_mask(ncols - 8 * (nv - 1)), k, 0, k,
                                         d + i0 * ldd, ldd, wp + (j0 / NHWC_NR) * pstride,
                                         p->act, y + i0 * ldy + j0, ldy, pf, n);
            }
            i0 += rows;
        }
        return;
    }
    for (int64_t k0 = 0; k0 < k;) {
        const int64_t k1 = full_k || k - k0 <= NHWC_KC + NHWC_KC / 2 ? k : k0 + NHWC_KC;
        const double *a = d + k0;
        int64_t la = ldd;
        if (buf) {
            const int64_t e = (int64_t)sizeof(double);
            sepconv_gemm_copy_rows(buf, lda * e, d + k0, ldd * e, npix, (k1 - k0) * e);
            a = buf;
            la = lda;
        }
        for (int64_t j0 = f0; j0 < f1; j0 += NHWC_NR) {
            const double *panel = wp + (j0 / NHWC_NR) * pstride;
            const int64_t ncols = f1 - j0 < NHWC_NR ? f1 - j0 : NHWC_NR;
            const int nv = ncols > 8 ? 2 : 1;
            const __mmask8 m = tail_mask(ncols - 8 * (nv - 1));
            /* the next panel's weight block (from L3 when the weights pass
             * L2), a share per row block, one line per k */
            const int64_t lines = (k1 - k0) * NHWC_NR * (int64_t)sizeof(double) / 64;
            const char *next = (const char *)(panel + pstride + k0 * NHWC_NR);
            for (int64_t b = 0, i0 = 0; b < nrb; b++) {
                const int rows = (int)(npix - i0 < NHWC_MR ? npix - i0 : NHWC_MR);
                int64_t l0;
                const int64_t n = sepconv_gemm_panel_share(lines, nrb, b, &l0);
                const int use = !w_in_l2 && j0 + NHWC_NR < f1 && n > 0;
                /* otherwise the caller's next input (weights from L2) */
                const char *pf = next + 64 * l0;
                const int64_t na =
                    w_in_l2 ? sepconv_ahead_take(ahead, per_call, k1 - k0, &pf) : 0;
                nhwc_pick(na || use, stream && k1 == k)(rows, nv, m, k, k0, k1, a + i0 * la, la,
                                                        panel, p->act, y + i0 * ldy + j0, ldy,
                                                        pf, na ? na : n);
                i0 += rows;
            }
        }
        k0 = k1;
    }
}

/* One NCHW micro-tile: channels of panel pi (rows), pixels i0.. (columns). */
TGT static void nchw_block(const sepconv_params *p, const double *wp, const double *d,
                           int64_t ldd, int64_t npix, int64_t i0, int64_t pi, int64_t f1,
                           double *y, int64_t ldy, int64_t k0, int64_t k1, const char *pf,
                           int64_t pf_n) {
    const int64_t k = p->c * p->m, pstride = k * NCHW_MR + NCHW_MR;
    const double *panel = wp + pi * pstride, *bias = panel + k * NCHW_MR;
    const int64_t j0 = pi * NCHW_MR;
    const int rows = (int)(f1 - j0 < NCHW_MR ? f1 - j0 : NCHW_MR);
    const int64_t ncols = npix - i0 < NCHW_NR ? npix - i0 : NCHW_NR;
    const int nv = (int)((ncols + 7) / 8);
    const __mmask8 m = tail_mask(ncols - 8 * (nv - 1));
    const double *a = panel + k0 * NCHW_MR, *b = d + k0 * ldd + i0;
    const int load = k0 > 0, fin = k1 == k;
    double *c = y + j0 * ldy + i0;
#define NCHW_UKR(NV, PF) \
    ukr(NCHW_MR, NV, 1, k1 - k0, a, 1, NCHW_MR, b, ldd, m, bias, 1, p->act, rows, c, ldy, load, \
        fin, PF, pf, pf_n, 0)
    if (pf_n > 0) {
        if (nv == 3) NCHW_UKR(3, 1);
        else if (nv == 2) NCHW_UKR(2, 1);
        else NCHW_UKR(1, 1);
    } else {
        if (nv == 3) NCHW_UKR(3, 0);
        else if (nv == 2) NCHW_UKR(2, 0);
        else NCHW_UKR(1, 0);
    }
#undef NCHW_UKR
}

TGT static void tile_nchw(const sepconv_params *p, const double *wp, const double *d,
                          int64_t ldd, int64_t npix, int64_t f0, int64_t f1, double *y,
                          int64_t ldy, sepconv_ahead *ahead) {
    const int64_t k = p->c * p->m;
    const int64_t p0 = f0 / NCHW_MR, p1 = (f1 + NCHW_MR - 1) / NCHW_MR;
    const int64_t nstrips = (npix + NCHW_NR - 1) / NCHW_NR;
    if (k > NCHW_STRIP_MIN_K &&
        sepconv_gemm_weights_fit_l2((p1 - p0) * (k * NCHW_MR + NCHW_MR) * (int64_t)sizeof(double))) {
        /* weights stay in L2, a KC x 24 strip of d in L1 for every panel;
         * k blocks in order, partial sums through y; the caller's next
         * input spread evenly over the micro-kernel calls */
        const int64_t nkb = k <= NCHW_KC + NCHW_KC / 2 ? 1 : (k - NCHW_KC / 2 - 1) / NCHW_KC + 1;
        const int64_t per = sepconv_ahead_per_call(ahead, nstrips * nkb * (p1 - p0));
        for (int64_t i0 = 0; i0 < npix; i0 += NCHW_NR)
            for (int64_t k0 = 0; k0 < k; k0 += NCHW_KC) {
                const int64_t k1 = k - k0 <= NCHW_KC + NCHW_KC / 2 ? k : k0 + NCHW_KC;
                for (int64_t pi = p0; pi < p1; pi++) {
                    const char *pf = NULL;
                    const int64_t n = sepconv_ahead_take(ahead, per, k1 - k0, &pf);
                    nchw_block(p, wp, d, ldd, npix, i0, pi, f1, y, ldy, k0, k1, pf, n);
                }
                if (k1 == k) break;
            }
    } else {
        /* each panel over all pixels, as in gemm_avx512.c: its 8 output rows
         * go out as 8 long runs, not one short run per channel and strip
         * (at batch 1 a float64 output passes L2), and big weights come in
         * once */
        const int64_t per = sepconv_ahead_per_call(ahead, nstrips * (p1 - p0));
        for (int64_t pi = p0; pi < p1; pi++)
            for (int64_t i0 = 0; i0 < npix; i0 += NCHW_NR) {
                const char *pf = NULL;
                const int64_t n = sepconv_ahead_take(ahead, per, k, &pf);
                nchw_block(p, wp, d, ldd, npix, i0, pi, f1, y, ldy, 0, k, pf, n);
            }
    }
}

static void tile_f64(const sepconv_params *p, const double *wp, const double *d, int64_t ldd,
                     int64_t npix, int64_t f0, int64_t f1, double *y, int64_t ldy,
                     sepconv_ahead *ahead) {
    if (npix <= 0 || f1 <= f0) return;
    if (p->layout == SEPCONV_NCHW) tile_nchw(p, wp, d, ldd, npix, f0, f1, y, ldy, ahead);
    else tile_nhwc(p, wp, d, ldd, npix, f0, f1, y, ldy, ahead);
    /* streamed stores are weakly ordered: drain them before the tile counts as written */
    if ((p->hints & SEPCONV_HINT_STREAM_OUTPUT) && p->layout == SEPCONV_NHWC) _mm_sfence();
}

const sepconv_pw_kernels_f64 sepconv_pw_avx512_f64 = {size_f64, pack_f64, tile_f64, F_BLOCK};
#endif
