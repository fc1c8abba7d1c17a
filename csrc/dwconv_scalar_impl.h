/* Portable depthwise family body, included by dwconv_scalar.c once per element
 * type T with name suffix SFX.  Plain C written so that gcc auto-vectorises
 * the unit-stride inner loops (channels for NHWC, output columns for NCHW).
 *
 * Packed taps: NHWC keeps the raw [kh*kw][c*m] order; NCHW is [c*m][kh*kw].
 * Every output element starts from 0 and adds its in-bounds taps in (a, b)
 * order, skipping out-of-bounds ones, as the reference does. */
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define FN(name) CAT(name, SFX)

static int64_t FN(dws_size)(const sepconv_params *p) { return p->kh * p->kw * p->c * p->m; }

static void FN(dws_pack)(const sepconv_params *p, const T *dw, T *taps) {
    const int64_t cm = p->c * p->m, kk = p->kh * p->kw;
    for (int64_t k = 0; k < kk; k++)
        for (int64_t q = 0; q < cm; q++) {
            if (p->layout == SEPCONV_NCHW) taps[q * kk + k] = dw[k * cm + q];
            else taps[k * cm + q] = dw[k * cm + q];
        }
}

/* n (<= DWS_CB) output channels of one NHWC pixel with depth multiplier 1. */
static inline __attribute__((always_inline)) void FN(dws_chunk)(
    const T *restrict x, int64_t xo, const T *restrict t, T *restrict out, int64_t n,
    int64_t a0, int64_t a1, int64_t b0, int64_t b1, int64_t kw, int64_t cm, int64_t rstep,
    int64_t cstep) {
    T acc[DWS_CB];
    for (int64_t j = 0; j < n; j++) acc[j] = 0;
    for (int64_t a = a0; a < a1; a++)
        for (int64_t b = b0; b < b1; b++) {
            const T *restrict xp = x + (xo + a * rstep + b * cstep);
            const T *restrict tp = t + (a * kw + b) * cm;
            for (int64_t j = 0; j < n; j++) acc[j] += xp[j] * tp[j];
        }
    for (int64_t j = 0; j < n; j++) out[j] = acc[j];
}

static void FN(dws_nhwc)(const sepconv_params *p, const T *taps, const T *x, int64_t oh0,
                         int64_t oh1, T *d, int64_t ldd) {
    const int64_t c = p->c, m = p->m, cm = c * m, w = p->w, kw = p->kw;
    const int64_t rstep = p->dh * w * c, cstep = p->dw * c;
    for (int64_t oh = oh0; oh < oh1; oh++) {
        int64_t a0, a1;
        sepconv_tap_range(oh, p->sh, p->kh, p->dh, p->pad_top, p->h, &a0, &a1);
        for (int64_t ow = 0; ow < p->wo; ow++) {
            int64_t b0, b1;
            sepconv_tap_range(ow, p->sw, kw, p->dw, p->pad_left, w, &b0, &b1);
            const int64_t xo = ((oh * p->sh - p->pad_top) * w + ow * p->sw - p->pad_left) * c;
            T *restrict out = d + ((oh - oh0) * p->wo + ow) * ldd;
            if (m == 1) {
                int64_t q = 0;
                for (; q + DWS_CB <= cm; q += DWS_CB)
                    FN(dws_chunk)(x + q, xo, taps + q, out + q, DWS_CB, a0, a1, b0, b1, kw, cm,
                                  rstep, cstep);
                if (q < cm)
                    FN(dws_chunk)(x + q, xo, taps + q, out + q, cm - q, a0, a1, b0, b1, kw, cm,
                                  rstep, cstep);
                continue;
            }
            /* depth multiplier: accumulate in place in the output pixel */
            for (int64_t q = 0; q < cm; q++) out[q] = 0;
            for (int64_t a = a0; a < a1; a++)
                for (int64_t b = b0; b < b1; b++) {
                    const T *restrict xp = x + (xo + a * rstep + b * cstep);
                    const T *restrict tp = taps + (a * kw + b) * cm;
                    for (int64_t ci = 0; ci < c; ci++)
                        for (int64_t mm = 0; mm < m; mm++)
                            out[ci * m + mm] += xp[ci] * tp[ci * m + mm];
                }
        }
    }
}

/* NCHW: one output row of channel q is accumulated in place; each tap covers
 * the output columns where it falls inside the input. */
static void FN(dws_nchw)(const sepconv_params *p, const T *taps, const T *x, int64_t oh0,
                         int64_t oh1, T *d, int64_t ldd) {
    const int64_t h = p->h, w = p->w, wo = p->wo, kh = p->kh, kw = p->kw, sw = p->sw;
    const int64_t cm = p->c * p->m;
    for (int64_t q = 0; q < cm; q++) {
        const T *xc = x + (q / p->m) * h * w;
        const T *tq = taps + q * kh * kw;
        for (int64_t oh = oh0; oh < oh1; oh++) {
            T *restrict dr = d + q * ldd + (oh - oh0) * wo;
            for (int64_t ow = 0; ow < wo; ow++) dr[ow] = 0;
            int64_t a0, a1;
            sepconv_tap_range(oh, p->sh, kh, p->dh, p->pad_top, h, &a0, &a1);
            for (int64_t a = a0; a < a1; a++) {
                const T *restrict xr = xc + (oh * p->sh + a * p->dh - p->pad_top) * w;
                for (int64_t b = 0; b < kw; b++) {
                    const int64_t off = b * p->dw - p->pad_left;
                    int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
                    int64_t hi = w - 1 - off < 0 ? 0 : (w - 1 - off) / sw + 1;
                    if (hi > wo) hi = wo;
                    const T tv = tq[a * kw + b];
                    if (sw == 1) {
                        const T *restrict xs = xr + off;
                        for (int64_t ow = lo; ow < hi; ow++) dr[ow] += xs[ow] * tv;
                    } else {
                        for (int64_t ow = lo; ow < hi; ow++) dr[ow] += xr[ow * sw + off] * tv;
                    }
                }
            }
        }
    }
}

static int FN(dws_rows)(const sepconv_params *p, const T *taps, const T *x, int64_t oh0,
                        int64_t oh1, T *d, int64_t ldd) {
    if (p->layout == SEPCONV_NCHW) FN(dws_nchw)(p, taps, x, oh0, oh1, d, ldd);
    else FN(dws_nhwc)(p, taps, x, oh0, oh1, d, ldd);
    return SEPCONV_OK;
}

#undef CAT_
#undef CAT
#undef FN
