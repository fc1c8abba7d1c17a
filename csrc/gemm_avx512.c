/* AVX-512 pointwise kernels (float32).
 *
 * One micro-kernel shape serves both layouts: C[rows x 16*NV] += A * B, where
 * A is broadcast one element at a time (a[r*a_rs + k*a_cs]) and B is read as
 * NV vectors per k (b[k*b_rs + ...]); C rows are contiguous.
 *   NHWC: rows = pixels (A = d in place), columns = output channels (B = a
 *         packed weight panel of 32 channels): 14 x 32, 28 accumulators.
 *   NCHW: y^T = W^T d^T: rows = output channels (A = a packed W^T panel of 8),
 *         columns = pixels (B = rows of d): 8 x 48, 24 accumulators.
 * Every output element is a sequential FMA chain over k = 0..K-1 starting at
 * zero, then + bias, then the activation: the same in interior and edge tiles,
 * so the result does not depend on the tiling. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#include "epilogue.h"
#include "gemm_common.h"

#define TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#define INL static inline __attribute__((always_inline)) TGT

enum { NHWC_MR = 14, NHWC_NR = 32, NCHW_MR = 8, NCHW_NR = 48, F_BLOCK = 32,
       NCHW_KC = 128 /* a 128 x 48 strip of d: 24 KB of L1 */,
       /* K above which NCHW tiles go strip by strip (K 1536-2048: 1-9 %
        * faster); up to it panel by panel, equal or faster (K 32-1024) */
       NCHW_STRIP_MIN_K = 1024,
       NHWC_KC = 256 /* a 256 x 32 weight block: 32 KB of L1 */,
       NHWC_REPACK_MOD = 512 /* floats: d rows 2 KB apart */,
       NHWC_FULL_K_MAX = 2560 /* K up to which a micro-tile runs the whole K (tile_nhwc) */ };

INL __m512 act_vec(int act, __m512 x) {
    const __m512 zero = _mm512_setzero_ps();
    switch (act) {
    case SEPCONV_ACT_RELU: return _mm512_max_ps(zero, x); /* NaN in x comes through */
    case SEPCONV_ACT_RELU6: return _mm512_min_ps(_mm512_set1_ps(6.f), _mm512_max_ps(zero, x));
    case SEPCONV_ACT_LEAKY_RELU: {
        __mmask16 neg = _mm512_cmp_ps_mask(x, zero, _CMP_LT_OQ);
        return _mm512_mask_mul_ps(x, neg, x, _mm512_set1_ps(0.2f));
    }
    case SEPCONV_ACT_HARD_SIGMOID: {
        __m512 v = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.2f)), _mm512_set1_ps(0.5f));
        return _mm512_min_ps(_mm512_set1_ps(1.f), _mm512_max_ps(zero, v));
    }
    default: return x;
    }
}

/* C[MR x 16*NV]; the last vector column is loaded (if mask_b) and stored under
 * mlast; only the first `rows` rows are stored.  bias_rows: bias is per row
 * (broadcast) rather than per column (vector).  HALF: the last vector column
 * has at most 8 lanes (mlast <= 0xFF) and runs as 256-bit FMAs, which cost
 * half a 512-bit one on cores that split those (Zen 4): 24 output channels
 * take 3 halves per row and k, not 4.  The lanes' arithmetic is the same. */
INL void ukr(const int MR, const int NV, const int mask_b, int64_t k, const float *a,
             int64_t a_rs, int64_t a_cs, const float *b, int64_t b_rs, __mmask16 mlast,
             const float *bias, const int bias_rows, int act, int rows, float *c, int64_t ldc,
             const int load_c, const int finish, const int PF, const char *pf, int64_t pf_n,
             const int STREAM, const int HALF) {
    __m512 acc[NHWC_MR][3];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            acc[r][v] = !load_c || r >= rows ? _mm512_setzero_ps()
                        : v == NV - 1       ? _mm512_maskz_loadu_ps(mlast, c + r * ldc + 16 * v)
                                            : _mm512_loadu_ps(c + r * ldc + 16 * v);
    for (int64_t kk = 0; kk < k; kk++) {
        __m512 bv[3];
        /* toward L2: line kk of the next weight block or the caller's next
         * input (the last line again when there are fewer lines than steps),
         * and with PF > 1 lines kk + k, kk + 2k, ... while there are some */
        if (PF) _mm_prefetch(pf + 64 * (kk < pf_n ? kk : pf_n - 1), _MM_HINT_T1);
#pragma GCC unroll 4
        for (int j = 1; j < PF; j++)
            if (kk + j * k < pf_n) _mm_prefetch(pf + 64 * (kk + j * k), _MM_HINT_T1);
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++)
            bv[v] = HALF && v == NV - 1     ? _mm512_castps256_ps512(_mm256_loadu_ps(b + 16 * v))
                    : mask_b && v == NV - 1 ? _mm512_maskz_loadu_ps(mlast, b + 16 * v)
                                            : _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            __m512 av = _mm512_set1_ps(a[r * a_rs]);
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++)
                acc[r][v] = HALF && v == NV - 1
                                ? _mm512_castps256_ps512(_mm256_fmadd_ps(
                                      _mm512_castps512_ps256(av), _mm512_castps512_ps256(bv[v]),
                                      _mm512_castps512_ps256(acc[r][v])))
                                : _mm512_fmadd_ps(av, bv[v], acc[r][v]);
        }
        a += a_cs;
        b += b_rs;
    }
    if (!finish) { /* partial sums over a block of k: stored raw, resumed later */
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            if (r >= rows) break;
#pragma GCC unroll 3
            for (int v = 0; v < NV; v++) {
                if (v == NV - 1) _mm512_mask_storeu_ps(c + r * ldc + 16 * v, mlast, acc[r][v]);
                else _mm512_storeu_ps(c + r * ldc + 16 * v, acc[r][v]);
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
        float *cr = c + r * ldc;
#pragma GCC unroll 3
        for (int v = 0; v < NV; v++) {
            __m512 bb = bias_rows ? _mm512_set1_ps(bias[r]) : _mm512_loadu_ps(bias + 16 * v);
            __m512 x = _mm512_add_ps(acc[r][v], bb);
            if (vec_act) x = act_vec(act, x);
            float *dst = cr + 16 * v;
            if (stream && (v < NV - 1 || mlast == 0xFFFF) && ((uintptr_t)dst & 63) == 0)
                _mm512_stream_ps(dst, x);
            else if (v == NV - 1) _mm512_mask_storeu_ps(dst, mlast, x);
            else _mm512_storeu_ps(dst, x);
        }
    }
    /* after every store: a call with accumulators live would spill them all */
    if (!vec_act)
        for (int r = 0; r < rows; r++)
            sepconv_act_apply_f32(act, c + r * ldc, 16 * (NV - 1) + __builtin_popcount(mlast), 1);
}

SEPCONV_GEMM_PACK_FNS(float, f32)

static inline __mmask16 tail_mask(int64_t n) { /* n in 1..16 */
    return (__mmask16)(n >= 16 ? 0xFFFF : ((1u << n) - 1));
}

/* NHWC rows of pixels with a constant row count: instantiations 1..14, for
 * k in [k0, k1) (partial sums go through c when the block is not the first
 * or not the last).  PF: the variant that prefetches pf_n lines from pf, in
 * a function of its own (one function with every variant compiles badly).
 * HALF: a panel of 17-24 columns (the last of F = 24, 56, 728, ...) as
 * 16 + 8, in functions of their own too (inside the others they made b16
 * mbv1_03 and mbv1_07, which never take them, 3-5 % slower): mbv2_144
 * (F = 24) batch 1, 1 thread fused 0.107 -> 0.098 ms, the pointwise alone
 * at batch 16 1.28-1.31 -> 1.08 ms. */
#define NHWC_CASE(R, PF, ST, HALF)                                                          \
    case R:                                                                                 \
        if (HALF)                                                                           \
            ukr(R, 2, 0, kn, a, ldd, 1, b, NHWC_NR, m, bias, 0, act, R, c, ldy, load, fin, PF, \
                pf, pf_n, ST, 1);                                                           \
        else if (nv == 2)                                                                   \
            ukr(R, 2, 0, kn, a, ldd, 1, b, NHWC_NR, m, bias, 0, act, R, c, ldy, load, fin, PF, \
                pf, pf_n, ST, 0);                                                           \
        else                                                                                \
            ukr(R, 1, 0, kn, a, ldd, 1, b, NHWC_NR, m, bias, 0, act, R, c, ldy, load, fin, PF, \
                pf, pf_n, ST, 0);                                                           \
        break;

#define NHWC_ROWS(NAME, PF, ST, HALF, ATTR)                                                   \
    ATTR TGT static void NAME(                                                                \
        int rows, int nv, __mmask16 m, int64_t k, int64_t k0, int64_t k1, const float *a,     \
        int64_t ldd, const float *panel, int act, float *c, int64_t ldy, const char *pf,       \
        int64_t pf_n) {                                                                       \
        const int64_t kn = k1 - k0;                                                           \
        const float *b = panel + k0 * NHWC_NR, *bias = panel + k * NHWC_NR;                   \
        const int load = k0 > 0, fin = k1 == k; /* a starts at column k0 */                  \
        switch (rows) {                                                                       \
            NHWC_CASE(1, PF, ST, HALF) NHWC_CASE(2, PF, ST, HALF) NHWC_CASE(3, PF, ST, HALF)  \
            NHWC_CASE(4, PF, ST, HALF) NHWC_CASE(5, PF, ST, HALF) NHWC_CASE(6, PF, ST, HALF)  \
            NHWC_CASE(7, PF, ST, HALF) NHWC_CASE(8, PF, ST, HALF) NHWC_CASE(9, PF, ST, HALF)  \
            NHWC_CASE(10, PF, ST, HALF) NHWC_CASE(11, PF, ST, HALF)                           \
            NHWC_CASE(12, PF, ST, HALF) NHWC_CASE(13, PF, ST, HALF)                           \
            NHWC_CASE(14, PF, ST, HALF)                                                       \
        default: break;                                                                       \
        }                                                                                     \
    }
/* (a runtime streaming flag inside the micro-kernel halved its speed: each
 * variant is a function of its own) */
#define NOINL __attribute__((noinline))
NHWC_ROWS(nhwc_rows, 0, 0, 0, )
NHWC_ROWS(nhwc_rows_pf, 1, 0, 0, NOINL)
NHWC_ROWS(nhwc_rows_pfn, SEPCONV_AHEAD_PER_STEP, 0, 0, NOINL)
NHWC_ROWS(nhwc_rows_st, 0, 1, 0, NOINL)
NHWC_ROWS(nhwc_rows_st_pf, 1, 1, 0, NOINL)
NHWC_ROWS(nhwc_rows_st_pfn, SEPCONV_AHEAD_PER_STEP, 1, 0, NOINL)
NHWC_ROWS(nhwc_rows_h, 0, 0, 1, NOINL)
NHWC_ROWS(nhwc_rows_h_pf, 1, 0, 1, NOINL)
NHWC_ROWS(nhwc_rows_h_pfn, SEPCONV_AHEAD_PER_STEP, 0, 1, NOINL)
NHWC_ROWS(nhwc_rows_h_st, 0, 1, 1, NOINL)
NHWC_ROWS(nhwc_rows_h_st_pf, 1, 1, 1, NOINL)
NHWC_ROWS(nhwc_rows_h_st_pfn, SEPCONV_AHEAD_PER_STEP, 1, 1, NOINL)
#undef NOINL

typedef void (*nhwc_rows_fn)(int, int, __mmask16, int64_t, int64_t, int64_t, const float *,
                             int64_t, const float *, int, float *, int64_t, const char *, int64_t);
/* pf: 0 no prefetch, 1 one line per k step, 2 several (SEPCONV_AHEAD_PER_STEP);
 * half: the panel has 17-24 columns */
static nhwc_rows_fn nhwc_pick(int pf, int stream, int half) {
    static const nhwc_rows_fn fns[2][2][3] = {
        {{nhwc_rows, nhwc_rows_pf, nhwc_rows_pfn}, {nhwc_rows_st, nhwc_rows_st_pf, nhwc_rows_st_pfn}},
        {{nhwc_rows_h, nhwc_rows_h_pf, nhwc_rows_h_pfn},
         {nhwc_rows_h_st, nhwc_rows_h_st_pf, nhwc_rows_h_st_pfn}}};
    return fns[half][stream][pf];
}

/* The variant for a call handed n lines over kn steps. */
static nhwc_rows_fn nhwc_variant(int64_t n, int64_t kn, int stream, int half) {
    return nhwc_pick(n > kn ? 2 : n > 0 ? 1 : 0, stream, half);
}

/* Each micro-tile runs the whole K in registers while its 32-column weight
 * panel (K x 128 B, from L2) serves every row block of the tile.  Only a
 * panel past NHWC_FULL_K_MAX rows goes in blocks of KC k, a KC x 32 block
 * staying in L1 over the row blocks, with partial sums stored raw in y and
 * resumed: each element is still one FMA chain over k = 0..K-1.
 * (Measured on 33-1369 pixel tiles, K = 600-2048: the whole K is 2-17 %
 * faster than blocks of 256, whose partial sums take y through L2 several
 * times; at K = 3072-4096 the blocks win.) */
TGT static void tile_nhwc(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                          int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy,
                          sepconv_ahead *ahead) {
    const int64_t k = p->c * p->m, pstride = k * NHWC_NR + NHWC_NR;
    const int64_t nrb = (npix + NHWC_MR - 1) / NHWC_MR;
    /* d rows a multiple of 2 KB apart (K = 512, 1024, 2048, ...) fall into one
     * or two L1 sets, so the 14 rows of a block evict each other: copy each
     * block of k to rows of a padded stride first */
    const int repack = ldd % NHWC_REPACK_MOD == 0;
    const int stream = (p->hints & SEPCONV_HINT_STREAM_OUTPUT) != 0;
    /* weights from L3: fetch the next panel while this one runs, on tiles of
     * any height (limited to 8 row blocks before: 9-row-block tiles of
     * xc_08-10 at batch 16 then ran 2-7 % slower) */
    const int w_in_l2 = sepconv_gemm_weights_fit_l2(k * (f1 - f0) * (int64_t)sizeof(float));
    const int pf_on = !w_in_l2;
    const int full_k = k <= NHWC_FULL_K_MAX;
    const int64_t kmax = full_k ? k : NHWC_KC + NHWC_KC / 2;
    const int64_t lda = kmax + 16;
    float *buf = repack ? (float *)sepconv_scratch(SEPCONV_SCRATCH_KERNEL,
                                                   sizeof(float) * (size_t)(npix * lda))
                        : NULL;
    const int64_t npanels = (f1 - f0 + NHWC_NR - 1) / NHWC_NR;
    /* the caller's next input, spread evenly over the micro-kernel calls */
    const int64_t ahead_per = sepconv_ahead_per_call(ahead, nrb * npanels);
    if (full_k && !buf && w_in_l2) {
        /* weights from L2: every panel in turn on one row block, so its d
         * rows are read from memory once and then from L1, and each output
         * row is written whole (small K: 5-15 % faster than panel-outer) */
        for (int64_t b = 0, i0 = 0; b < nrb; b++) {
            const int rows = sepconv_even_block_rows(npix, nrb, b);
            for (int64_t j0 = f0; j0 < f1; j0 += NHWC_NR) {
                const int64_t ncols = f1 - j0 < NHWC_NR ? f1 - j0 : NHWC_NR;
                const int nv = ncols > 16 ? 2 : 1, half = ncols > 16 && ncols <= 24;
                const char *pf = NULL;
                const int64_t n =
                    sepconv_ahead_take(ahead, ahead_per, SEPCONV_AHEAD_PER_STEP * k, &pf);
                nhwc_variant(n, k, stream, half)(
                    rows, nv, tail_mask(ncols - 16 * (nv - 1)), k, 0, k, d + i0 * ldd, ldd,
                    wp + (j0 / NHWC_NR) * pstride, p->act, y + i0 * ldy + j0, ldy, pf, n);
            }
            i0 += rows;
        }
        return;
    }
    for (int64_t k0 = 0; k0 < k;) {
        const int64_t k1 = full_k || k - k0 <= NHWC_KC + NHWC_KC / 2 ? k : k0 + NHWC_KC;
        const float *a = d + k0;
        int64_t la = ldd;
        if (buf) {
            const int64_t e = (int64_t)sizeof(float);
            sepconv_gemm_copy_rows(buf, lda * e, d + k0, ldd * e, npix, (k1 - k0) * e);
            a = buf;
            la = lda;
        }
        for (int64_t j0 = f0; j0 < f1; j0 += NHWC_NR) {
            const float *panel = wp + (j0 / NHWC_NR) * pstride;
            const int64_t ncols = f1 - j0 < NHWC_NR ? f1 - j0 : NHWC_NR;
            const int nv = ncols > 16 ? 2 : 1, half = ncols > 16 && ncols <= 24;
            const __mmask16 m = tail_mask(ncols - 16 * (nv - 1));
            /* the next panel's weight block (from L3 when the weights pass
             * L2), a share per row block, one line per k */
            const int64_t lines = (k1 - k0) * NHWC_NR * (int64_t)sizeof(float) / 64;
            const char *next = (const char *)(panel + pstride + k0 * NHWC_NR);
            for (int64_t b = 0, i0 = 0; b < nrb; b++) {
                const int rows = sepconv_even_block_rows(npix, nrb, b);
                int64_t l0;
                const int64_t n = sepconv_gemm_panel_share(lines, nrb, b, &l0);
                const int use = pf_on && j0 + NHWC_NR < f1 && n > 0;
                /* otherwise the caller's next input (weights from L2) */
                const char *pf = next + 64 * l0;
                const int64_t na = pf_on ? 0
                                         : sepconv_ahead_take(ahead, ahead_per,
                                                              SEPCONV_AHEAD_PER_STEP * (k1 - k0), &pf);
                const int st = stream && k1 == k;
                (na ? nhwc_variant(na, k1 - k0, st, half) : nhwc_pick(st ? 0 : use, st, half))(
                    rows, nv, m, k, k0, k1, a + i0 * la, la, panel, p->act, y + i0 * ldy + j0,
                    ldy, pf, na ? na : n);
                i0 += rows;
            }
        }
        k0 = k1;
    }
}

/* One NCHW micro-tile: channels of panel pi (rows), pixels i0.. (columns);
 * b is the d strip for k0.. (row stride b_rs); pf_n lines from pf are
 * fetched toward L2 on the way (0: none). */
#define NCHW_UKR(NV, MASKED, PF)                                                          \
    ukr(NCHW_MR, NV, MASKED, k1 - k0, a, 1, NCHW_MR, b, b_rs, m, bias, 1, p->act, rows, c, \
        ldy, load, fin, PF, pf, pf_n, 0, 0)
#define NCHW_NV(NV)                                                                       \
    do {                                                                                  \
        if (pf_n) {                                                                       \
            if (masked) NCHW_UKR(NV, 1, 1); else NCHW_UKR(NV, 0, 1);                      \
        } else {                                                                          \
            if (masked) NCHW_UKR(NV, 1, 0); else NCHW_UKR(NV, 0, 0);                      \
        }                                                                                 \
    } while (0)
TGT static void nchw_block(const sepconv_params *p, const float *wp, const float *b, int64_t b_rs,
                           int64_t ncols, int64_t pi, int64_t f1, float *c, int64_t ldy,
                           int64_t k0, int64_t k1, const int packed, const char *pf,
                           int64_t pf_n) {
    const int64_t k = p->c * p->m, pstride = k * NCHW_MR + NCHW_MR;
    const float *panel = wp + pi * pstride, *bias = panel + k * NCHW_MR;
    const int64_t j0 = pi * NCHW_MR;
    const int rows = (int)(f1 - j0 < NCHW_MR ? f1 - j0 : NCHW_MR);
    const int nv = (int)((ncols + 15) / 16);
    const __mmask16 m = tail_mask(ncols - 16 * (nv - 1));
    const float *a = panel + k0 * NCHW_MR;
    const int load = k0 > 0, fin = k1 == k;
    const int masked = !packed && ncols % 16 != 0; /* a packed strip is zero-padded */
    c += j0 * ldy;
    if (nv == 3) NCHW_NV(3);
    else if (nv == 2) NCHW_NV(2);
    else NCHW_NV(1);
}
#undef NCHW_NV
#undef NCHW_UKR

/* Copies rows [k0, k1) x ncols pixels of d into a contiguous strip (row stride NCHW_NR). */
TGT static void pack_strip(const float *d, int64_t ldd, int64_t k0, int64_t k1, int64_t ncols,
                           float *s) {
    const int nv = (int)((ncols + 15) / 16);
    const __mmask16 m = tail_mask(ncols - 16 * (nv - 1));
    for (int64_t kk = k0; kk < k1; kk++, s += NCHW_NR) {
        const float *r = d + kk * ldd;
        for (int v = 0; v < nv; v++)
            _mm512_storeu_ps(s + 16 * v, v == nv - 1 ? _mm512_maskz_loadu_ps(m, r + 16 * v)
                                                     : _mm512_loadu_ps(r + 16 * v));
    }
}

TGT static void tile_nchw(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                          int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy,
                          sepconv_ahead *ahead) {
    const int64_t k = p->c * p->m;
    const int64_t p0 = f0 / NCHW_MR, p1 = (f1 + NCHW_MR - 1) / NCHW_MR;
    const int64_t nstrips = (npix + NCHW_NR - 1) / NCHW_NR;
    /* the caller's next input, spread evenly over the micro-kernel calls */
    const int64_t calls = nstrips * (p1 - p0);
    const int64_t per = sepconv_ahead_per_call(ahead, calls);
    const char *pf = NULL;
    const int strips = k > NCHW_STRIP_MIN_K &&
                       sepconv_gemm_weights_fit_l2((p1 - p0) * (k * NCHW_MR + NCHW_MR) * (int64_t)sizeof(float));
    float *strip = strips ? (float *)sepconv_scratch(SEPCONV_SCRATCH_KERNEL,
                                                     sizeof(float) * (NCHW_KC + NCHW_KC / 2) * NCHW_NR)
                          : NULL;
    if (strip) {
        /* weights stay in L2; a KC x 48 strip of d, copied contiguous, stays
         * in L1 for every panel.  Blocks of k run in order, partial sums going
         * through y, so each element still sums k = 0..K-1 in sequence. */
        for (int64_t i0 = 0; i0 < npix; i0 += NCHW_NR) {
            const int64_t ncols = npix - i0 < NCHW_NR ? npix - i0 : NCHW_NR;
            for (int64_t k0 = 0; k0 < k; k0 += NCHW_KC) {
                const int64_t k1 = k - k0 <= NCHW_KC + NCHW_KC / 2 ? k : k0 + NCHW_KC;
                pack_strip(d + i0, ldd, k0, k1, ncols, strip);
                for (int64_t pi = p0; pi < p1; pi++) {
                    const int64_t n = sepconv_ahead_take(ahead, per, k1 - k0, &pf);
                    nchw_block(p, wp, strip, NCHW_NR, ncols, pi, f1, y + i0, ldy, k0, k1, 1, pf, n);
                }
                if (k1 == k) break;
            }
        }
    } else {
        /* each panel over all pixels: its 8 output rows are written as 8 long
         * runs (strip by strip, the output is one short run per channel, too
         * many streams for the hardware prefetchers: b16 mbv1_01 NCHW 16.9 ->
         * 8.8 ms), and the weights, when they pass L2, come in once */
        for (int64_t pi = p0; pi < p1; pi++)
            for (int64_t i0 = 0; i0 < npix; i0 += NCHW_NR) {
                const int64_t n = sepconv_ahead_take(ahead, per, k, &pf);
                nchw_block(p, wp, d + i0, ldd, npix - i0 < NCHW_NR ? npix - i0 : NCHW_NR, pi, f1,
                           y + i0, ldy, 0, k, 0, pf, n);
            }
    }
}

static void tile_f32(const sepconv_params *p, const float *wp, const float *d, int64_t ldd,
                     int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy,
                     sepconv_ahead *ahead) {
    if (npix <= 0 || f1 <= f0) return;
    if (p->layout == SEPCONV_NCHW) tile_nchw(p, wp, d, ldd, npix, f0, f1, y, ldy, ahead);
    else tile_nhwc(p, wp, d, ldd, npix, f0, f1, y, ldy, ahead);
    /* streamed stores are weakly ordered: drain them before the tile counts as written */
    if ((p->hints & SEPCONV_HINT_STREAM_OUTPUT) && p->layout == SEPCONV_NHWC) _mm_sfence();
}

const sepconv_pw_kernels_f32 sepconv_pw_avx512_f32 = {size_f32, pack_f32, tile_f32, F_BLOCK};
#endif
