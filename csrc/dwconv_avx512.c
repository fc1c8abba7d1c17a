/* STUB: forwards to the reference family until the optimised kernels land. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
static int64_t size_f32(const sepconv_params *p) { return sepconv_dw_ref_f32.packed_size(p); }
static void pack_f32(const sepconv_params *p, const float *w, float *o) { sepconv_dw_ref_f32.pack(p, w, o); }
static int rows_f32(const sepconv_params *p, const float *t, const float *x, int64_t a, int64_t b, float *d, int64_t ldd) {
    return sepconv_dw_ref_f32.rows(p, t, x, a, b, d, ldd);
}
const sepconv_dw_kernels_f32 sepconv_dw_avx512_f32 = {size_f32, pack_f32, rows_f32};
#endif
