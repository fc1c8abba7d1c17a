/* STUB: forwards to the reference family until the optimised kernels land. */
#include "kernels.h"

static int64_t size_f32(const sepconv_params *p) { return sepconv_dw_ref_f32.packed_size(p); }
static void pack_f32(const sepconv_params *p, const float *w, float *o) { sepconv_dw_ref_f32.pack(p, w, o); }
static int rows_f32(const sepconv_params *p, const float *t, const float *x, int64_t a, int64_t b, float *d, int64_t ldd) {
    return sepconv_dw_ref_f32.rows(p, t, x, a, b, d, ldd);
}
const sepconv_dw_kernels_f32 sepconv_dw_scalar_f32 = {size_f32, pack_f32, rows_f32};
static int64_t size_f64(const sepconv_params *p) { return sepconv_dw_ref_f64.packed_size(p); }
static void pack_f64(const sepconv_params *p, const double *w, double *o) { sepconv_dw_ref_f64.pack(p, w, o); }
static int rows_f64(const sepconv_params *p, const double *t, const double *x, int64_t a, int64_t b, double *d, int64_t ldd) {
    return sepconv_dw_ref_f64.rows(p, t, x, a, b, d, ldd);
}
const sepconv_dw_kernels_f64 sepconv_dw_scalar_f64 = {size_f64, pack_f64, rows_f64};

