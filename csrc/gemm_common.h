/* Helpers shared by the pointwise (GEMM) families: the packed weight layout
 * and small policy decisions.
 *
 * Packed layout: ceil(F / P) panels of P output channels each; panel q holds
 * K rows of P weights (w[k][q*P + r], zero past F) followed by P biases (zero
 * when there is no bias or past F).  The NHWC kernels vector-load a panel row;
 * the NCHW kernels broadcast its elements (it is then a W^T micro-panel). */
#ifndef SEPCONV_GEMM_COMMON_H
#define SEPCONV_GEMM_COMMON_H

#include <stdint.h>
#include <string.h>
#include "sepconv.h"

static inline int64_t sepconv_gemm_packed_size(int64_t k, int64_t f, int64_t pw) {
    return (f + pw - 1) / pw * (k * pw + pw);
}

#define SEPCONV_GEMM_PACK(T, K, F, P, pw, bias, wp)                                      \
    do {                                                                                 \
        const int64_t k_ = (K), f_ = (F), p_ = (P);                                      \
        for (int64_t q_ = 0; q_ * p_ < f_; q_++) {                                       \
            T *o_ = (wp) + q_ * (k_ * p_ + p_);                                          \
            for (int64_t kk_ = 0; kk_ <= k_; kk_++)                                      \
                for (int64_t r_ = 0; r_ < p_; r_++) {                                    \
                    const int64_t j_ = q_ * p_ + r_;                                     \
                    T v_ = 0;                                                            \
                    if (j_ < f_) v_ = kk_ < k_ ? (pw)[kk_ * f_ + j_] : ((bias) ? (bias)[j_] : (T)0); \
                    o_[kk_ * p_ + r_] = v_;                                              \
                }                                                                        \
        }                                                                                \
    } while (0)

/* Activations every SIMD epilogue computes in registers; the rest go through
 * sepconv_act_apply_* on the freshly stored tile. */
static inline int sepconv_gemm_act_is_simple(int act) {
    return act == SEPCONV_ACT_LINEAR || act == SEPCONV_ACT_RELU || act == SEPCONV_ACT_RELU6 ||
           act == SEPCONV_ACT_LEAKY_RELU || act == SEPCONV_ACT_HARD_SIGMOID;
}

/* Whether a weight block of this many bytes can stay in a (per-core) L2
 * beside the d tile; otherwise the kernels stream each panel once. */
static inline int sepconv_gemm_weights_fit_l2(int64_t bytes) { return bytes <= 1024 * 1024; }

/* Rows of block b when npix rows go in nrb blocks of even size (no thin tail
 * block: 100 = 8 x 12.5, not 7 x 14 + 2). */
static inline int sepconv_even_block_rows(int64_t npix, int64_t nrb, int64_t b) {
    return (int)(npix / nrb + (b < npix % nrb));
}

/* npix rows of row_bytes each, src_ld bytes apart, copied to rows dst_ld
 * bytes apart: the NHWC tiles copy d rows whose stride is a multiple of 2-4 KB
 * (one or two L1 sets for a whole row block) to a padded stride. */
static inline void sepconv_gemm_copy_rows(void *dst, int64_t dst_ld, const void *src,
                                          int64_t src_ld, int64_t npix, int64_t row_bytes) {
    for (int64_t i = 0; i < npix; i++)
        memcpy((char *)dst + i * dst_ld, (const char *)src + i * src_ld, (size_t)row_bytes);
}

/* Row block b's share when `lines` lines (the next weight panel's) are spread
 * over nrb row blocks: returns the count, *l0 the first (blocks past the end
 * take the last line again). */
static inline int64_t sepconv_gemm_panel_share(int64_t lines, int64_t nrb, int64_t b, int64_t *l0) {
    const int64_t per = (lines + nrb - 1) / nrb;
    *l0 = b * per < lines ? b * per : lines - 1;
    return *l0 + per <= lines ? per : lines - *l0;
}

/* panel_width/size/pack of a family whose NCHW panels are NCHW_MR rows of W^T and
 * whose NHWC panels are NHWC_NR columns of W (both defined by the family). */
#define SEPCONV_GEMM_PACK_FNS(T, SFX)                                                       \
    static int64_t panel_width(const sepconv_params *p) {                                   \
        return p->layout == SEPCONV_NCHW ? NCHW_MR : NHWC_NR;                               \
    }                                                                                       \
    static int64_t size_##SFX(const sepconv_params *p) {                                    \
        return sepconv_gemm_packed_size(p->c * p->m, p->f, panel_width(p));                 \
    }                                                                                       \
    static void pack_##SFX(const sepconv_params *p, const T *pw, const T *bias, T *wp) {    \
        SEPCONV_GEMM_PACK(T, p->c * p->m, p->f, panel_width(p), pw, bias, wp);              \
    }

#endif
