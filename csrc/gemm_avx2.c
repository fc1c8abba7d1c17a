/* STUB: forwards to the reference family until the optimised kernels land. */
#include "kernels.h"
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
static int64_t size_f32(const sepconv_params *p) { return sepconv_pw_ref_f32.packed_size(p); }
static void pack_f32(const sepconv_params *p, const float *w, const float *b, float *o) { sepconv_pw_ref_f32.pack(p, w, b, o); }
static void tile_f32(const sepconv_params *p, const float *wp, const float *d, int64_t ldd, int64_t npix, int64_t f0, int64_t f1, float *y, int64_t ldy) {
    sepconv_pw_ref_f32.tile(p, wp, d, ldd, npix, f0, f1, y, ldy);
}
const sepconv_pw_kernels_f32 sepconv_pw_avx2_f32 = {size_f32, pack_f32, tile_f32, 1};
#endif
