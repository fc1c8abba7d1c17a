/* Portable depthwise family (float32 and float64), also the one used on
 * non-x86 machines.  The body is a template in dwconv_scalar_impl.h. */
#include "kernels.h"

#define DWS_CB 16 /* NHWC channels per accumulator block */

/* Valid tap range [*lo, *hi) along one axis for output position o. */
static inline void dws_tap_range(int64_t o, int64_t s, int64_t k, int64_t d, int64_t pad,
                                 int64_t n, int64_t *lo, int64_t *hi) {
    const int64_t i0 = o * s - pad; /* input index of tap 0 */
    int64_t a = 0, b = k;
    if (i0 < 0) a = (-i0 + d - 1) / d;
    if (i0 + (k - 1) * d > n - 1) b = i0 > n - 1 ? 0 : (n - 1 - i0) / d + 1;
    if (a > b) a = b;
    *lo = a;
    *hi = b;
}

#define T float
#define SFX f32
#include "dwconv_scalar_impl.h"
#undef T
#undef SFX
const sepconv_dw_kernels_f32 sepconv_dw_scalar_f32 = {dws_size_f32, dws_pack_f32, dws_rows_f32};

#define T double
#define SFX f64
#include "dwconv_scalar_impl.h"
#undef T
#undef SFX
const sepconv_dw_kernels_f64 sepconv_dw_scalar_f64 = {dws_size_f64, dws_pack_f64, dws_rows_f64};
