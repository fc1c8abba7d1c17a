/* Plain reference pointwise kernels: y = act(d . W + bias), one dot product
 * per output element, summed over k in order. */
#include "kernels.h"
#include "epilogue.h"

#define DEFINE_PW_REF(T, SFX)                                                           \
    static int64_t pw_ref_size_##SFX(const sepconv_params *p) {                         \
        return p->c * p->m * p->f + p->f;                                               \
    }                                                                                   \
    static void pw_ref_pack_##SFX(const sepconv_params *p, const T *pw, const T *bias,  \
                                  T *wp) {                                              \
        const int64_t kf = p->c * p->m * p->f;                                          \
        for (int64_t i = 0; i < kf; i++) wp[i] = pw[i];                                 \
        for (int64_t j = 0; j < p->f; j++) wp[kf + j] = bias ? bias[j] : (T)0;          \
    }                                                                                   \
    static void pw_ref_tile_##SFX(const sepconv_params *p, const T *wp, const T *d,     \
                                  int64_t ldd, int64_t npix, int64_t f0, int64_t f1,    \
                                  T *y, int64_t ldy, sepconv_ahead *ahead) {            \
        const int64_t k = p->c * p->m, f = p->f, nchw = p->layout == SEPCONV_NCHW;      \
        (void)ahead;                                                                    \
        const T *bias = wp + k * f;                                                     \
        for (int64_t i = 0; i < npix; i++)                                              \
            for (int64_t j = f0; j < f1; j++) {                                         \
                T acc = 0;                                                              \
                for (int64_t kk = 0; kk < k; kk++)                                      \
                    acc += (nchw ? d[kk * ldd + i] : d[i * ldd + kk]) * wp[kk * f + j]; \
                acc = sepconv_act_##SFX(p->act, acc + bias[j]);                         \
                if (nchw) y[j * ldy + i] = acc; else y[i * ldy + j] = acc;              \
            }                                                                           \
    }                                                                                   \
    const sepconv_pw_kernels_##SFX sepconv_pw_ref_##SFX = {                             \
        pw_ref_size_##SFX, pw_ref_pack_##SFX, pw_ref_tile_##SFX, 1};

DEFINE_PW_REF(float, f32)
DEFINE_PW_REF(double, f64)
