/* Portable pointwise kernels, written for gcc/clang auto-vectorisation; the
 * body of gemm_scalar.c, included once per element type with T, SFX, MR, NR.
 *
 * Micro-kernel C[MR x NR] += A * B, A broadcast (a[r*a_rs + k*a_cs]), B rows
 * of NR contiguous elements (b[k*b_rs + j]):
 *   NHWC: rows = pixels (d in place), columns = a packed panel of NR channels.
 *   NCHW: rows = a packed W^T panel of MR channels, columns = pixels of d.
 * Each element is c = c + a*b over k in order from zero (no contraction: see
 * gemm_scalar.c), then + bias, then the activation; the edge kernel uses the
 * same formula, so results do not depend on the tiling. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SFX)

/* Full MR x NR tile.  With GNU C vector extensions (gcc, clang: SSE2, NEON,
 * ...) the accumulators are explicit 16-byte vectors, since gcc's own
 * vectoriser picks the k loop here and shuffles; plain loops otherwise. */
#if defined(__GNUC__)
typedef T FN(vec) __attribute__((vector_size(16)));
#define VL ((int)(16 / sizeof(T)))
static inline void FN(ukr_full)(int64_t k, const T *restrict a, int64_t a_rs, int64_t a_cs,
                                const T *restrict b, int64_t b_rs, T c[MR][NR]) {
    FN(vec) acc[MR][NR / VL];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NR / VL; v++) acc[r][v] = (FN(vec)){0};
    for (int64_t kk = 0; kk < k; kk++) {
        FN(vec) bv[NR / VL];
        for (int v = 0; v < NR / VL; v++) memcpy(&bv[v], b + v * VL, sizeof bv[v]);
        for (int r = 0; r < MR; r++) {
            const T av = a[r * a_rs];
            for (int v = 0; v < NR / VL; v++) acc[r][v] = acc[r][v] + av * bv[v];
        }
        a += a_cs;
        b += b_rs;
    }
    for (int r = 0; r < MR; r++) memcpy(c[r], acc[r], sizeof acc[r]);
}
#undef VL
#else
static inline void FN(ukr_full)(int64_t k, const T *restrict a, int64_t a_rs, int64_t a_cs,
                                const T *restrict b, int64_t b_rs, T c[MR][NR]) {
    T acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = 0;
    for (int64_t kk = 0; kk < k; kk++) {
        for (int r = 0; r < MR; r++) {
            const T av = a[r * a_rs];
            for (int j = 0; j < NR; j++) acc[r][j] = acc[r][j] + av * b[j];
        }
        a += a_cs;
        b += b_rs;
    }
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) c[r][j] = acc[r][j];
}
#endif

/* Edge tile: only mr rows of A and nr columns of B are read. */
static void FN(ukr_edge)(int64_t k, const T *restrict a, int64_t a_rs, int64_t a_cs,
                         const T *restrict b, int64_t b_rs, int mr, int nr, T c[MR][NR]) {
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < nr; j++) c[r][j] = 0;
    for (int64_t kk = 0; kk < k; kk++) {
        for (int r = 0; r < mr; r++) {
            const T av = a[r * a_rs];
            for (int j = 0; j < nr; j++) c[r][j] = c[r][j] + av * b[j];
        }
        a += a_cs;
        b += b_rs;
    }
}

/* Adds the bias (per row or per column), stores rows x cols, applies act. */
static void FN(store)(const T c[MR][NR], int rows, int cols, const T *bias, int bias_rows,
                      int act, T *y, int64_t ldy) {
    for (int r = 0; r < rows; r++) {
        T *yr = y + r * ldy;
        if (bias_rows)
            for (int j = 0; j < cols; j++) yr[j] = c[r][j] + bias[r];
        else
            for (int j = 0; j < cols; j++) yr[j] = c[r][j] + bias[j];
        FN(sepconv_act_apply)(act, yr, cols, 1);
    }
}

static void FN(block)(const sepconv_params *p, int64_t k, const T *a, int64_t a_rs, int64_t a_cs,
                      const T *b, int64_t b_rs, int rows, int cols, int full, const T *bias,
                      int bias_rows, T *y, int64_t ldy) {
    T c[MR][NR];
    if (full) FN(ukr_full)(k, a, a_rs, a_cs, b, b_rs, c);
    else FN(ukr_edge)(k, a, a_rs, a_cs, b, b_rs, bias_rows ? MR : rows, bias_rows ? cols : NR, c);
    FN(store)(c, rows, cols, bias, bias_rows, p->act, y, ldy);
}

static int64_t FN(panel_width)(const sepconv_params *p) {
    return p->layout == SEPCONV_NCHW ? MR : NR;
}

static int64_t FN(size)(const sepconv_params *p) {
    return sepconv_gemm_packed_size(p->c * p->m, p->f, FN(panel_width)(p));
}

static void FN(pack)(const sepconv_params *p, const T *pw, const T *bias, T *wp) {
    SEPCONV_GEMM_PACK(T, p->c * p->m, p->f, FN(panel_width)(p), pw, bias, wp);
}

static void FN(tile)(const sepconv_params *p, const T *wp, const T *d, int64_t ldd, int64_t npix,
                     int64_t f0, int64_t f1, T *y, int64_t ldy, sepconv_ahead *ahead) {
    const int64_t k = p->c * p->m;
    (void)ahead; /* portable code: the hardware prefetchers' job */
    if (npix <= 0 || f1 <= f0) return;
    if (p->layout == SEPCONV_NHWC) {
        /* A = d rows (pixels), B = panel; the panel stays in cache over pixels.
         * Columns past F read the zero padding, so only pixel edges differ. */
        const int64_t ps = k * NR + NR;
        for (int64_t j0 = f0; j0 < f1; j0 += NR) {
            const T *panel = wp + (j0 / NR) * ps;
            const int cols = (int)(f1 - j0 < NR ? f1 - j0 : NR);
            for (int64_t i0 = 0; i0 < npix; i0 += MR) {
                const int rows = (int)(npix - i0 < MR ? npix - i0 : MR);
                FN(block)(p, k, d + i0 * ldd, ldd, 1, panel, NR, rows, cols, rows == MR,
                          panel + k * NR, 0, y + i0 * ldy + j0, ldy);
            }
        }
    } else {
        /* A = panel of W^T (channels, zero padded), B = rows of d (pixels):
         * a K x NR strip of d is reused by every panel. */
        const int64_t ps = k * MR + MR;
        for (int64_t i0 = 0; i0 < npix; i0 += NR) {
            const int cols = (int)(npix - i0 < NR ? npix - i0 : NR);
            for (int64_t j0 = f0; j0 < f1; j0 += MR) {
                const T *panel = wp + (j0 / MR) * ps;
                const int rows = (int)(f1 - j0 < MR ? f1 - j0 : MR);
                FN(block)(p, k, panel, 1, MR, d + i0, ldd, rows, cols, cols == NR,
                          panel + k * MR, 1, y + j0 * ldy + i0, ldy);
            }
        }
    }
}

const CAT(sepconv_pw_kernels, SFX) CAT(sepconv_pw_scalar, SFX) = {FN(size), FN(pack), FN(tile),
                                                                  F_BLOCK};

#undef CAT_
#undef CAT
#undef FN
