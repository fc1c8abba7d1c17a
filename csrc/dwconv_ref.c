/* Plain reference depthwise kernels: the oracle every optimised family is
 * tested against.  Taps keep the raw (kh, kw, c, m) order. */
#include "kernels.h"

#define DEFINE_DW_REF(T, SFX)                                                           \
    static int64_t dw_ref_size_##SFX(const sepconv_params *p) {                         \
        return p->kh * p->kw * p->c * p->m;                                             \
    }                                                                                   \
    static void dw_ref_pack_##SFX(const sepconv_params *p, const T *dw, T *taps) {      \
        int64_t n = dw_ref_size_##SFX(p);                                               \
        for (int64_t i = 0; i < n; i++) taps[i] = dw[i];                                \
    }                                                                                   \
    static int dw_ref_rows_##SFX(const sepconv_params *p, const T *taps, const T *x,    \
                                 int64_t oh0, int64_t oh1, T *d, int64_t ldd) {         \
        const int64_t cm = p->c * p->m, nchw = p->layout == SEPCONV_NCHW;               \
        for (int64_t oh = oh0; oh < oh1; oh++)                                          \
            for (int64_t ow = 0; ow < p->wo; ow++)                                      \
                for (int64_t q = 0; q < cm; q++) {                                      \
                    const int64_t c = q / p->m, pix = (oh - oh0) * p->wo + ow;          \
                    T acc = 0;                                                          \
                    for (int64_t a = 0; a < p->kh; a++) {                               \
                        const int64_t ih = oh * p->sh + a * p->dh - p->pad_top;         \
                        if (ih < 0 || ih >= p->h) continue;                             \
                        for (int64_t b = 0; b < p->kw; b++) {                           \
                            const int64_t iw = ow * p->sw + b * p->dw - p->pad_left;    \
                            if (iw < 0 || iw >= p->w) continue;                         \
                            const T xv = nchw ? x[(c * p->h + ih) * p->w + iw]          \
                                              : x[(ih * p->w + iw) * p->c + c];         \
                            acc += xv * taps[(a * p->kw + b) * cm + q];                 \
                        }                                                               \
                    }                                                                   \
                    if (nchw) d[q * ldd + pix] = acc; else d[pix * ldd + q] = acc;      \
                }                                                                       \
        return SEPCONV_OK;                                                              \
    }                                                                                   \
    const sepconv_dw_kernels_##SFX sepconv_dw_ref_##SFX = {                             \
        dw_ref_size_##SFX, dw_ref_pack_##SFX, dw_ref_rows_##SFX};

DEFINE_DW_REF(float, f32)
DEFINE_DW_REF(double, f64)
